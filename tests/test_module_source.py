"""--module-source build|dkms: the option's checks, the plan's module stage taking the module
DKMS built (wgcompat.package.dkms_build), the DKMS entry's key, and where a guest gets that
module. The DKMS build itself runs in vmtests (it needs apt and a Debian root); here it is
a fake, and so are the kernel and module builds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.image import cpio_reader
from tests.test_run_plan import fake_kernel, fake_module
from wgcompat import cache_gc, paths
from wgcompat.errors import UserError
from wgcompat.image.overlay import build_overlay
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.debian_prebuilt import unpacked
from wgcompat.kernel.select import selection
from wgcompat.module_build import DkmsOrigin, ModuleBuild
from wgcompat.package import dkms_build
from wgcompat.package.build import PackageResult
from wgcompat.package.root import RootImage
from wgcompat.run import plan as plan_mod
from wgcompat.run.guests import image_request
from wgcompat.run.plan import Artefacts, RunRequest, plan_run
from wgcompat.run.stages import Status
from wgcompat.vm.console import CommandResult

RELEASE = "6.1.0-57-amd64"
SOURCE = f"debian:bookworm linux-image-{RELEASE} 6.1.192-3"


def debian_kernel(tmp_path: Path) -> KernelBuild:
    """One of Debian's kernels as the kernel stage leaves it: its fetch.log names the .debs."""
    folder = tmp_path / "debian-kernels" / f"{RELEASE}-abc"
    headers = folder / "root/usr/src" / f"linux-headers-{RELEASE}"
    headers.mkdir(parents=True)
    (folder / "root/boot").mkdir()
    (folder / "root/boot" / f"vmlinuz-{RELEASE}").write_bytes(b"bzImage")
    lines = []
    for name in (f"linux-headers-{RELEASE}", "linux-headers-6.1.0-57-common", f"linux-image-{RELEASE}",
                 "linux-kbuild-6.1", "linux-compiler-gcc-12-x86"):
        deb = tmp_path / "archives" / f"{name}_6.1.192-3_amd64.deb"
        deb.parent.mkdir(exist_ok=True)
        deb.write_bytes(name.encode())
        lines.append(f"{name} 6.1.192-3 {deb}\n")
    (folder / "fetch.log").write_text("".join(lines))
    return KernelBuild(build_dir=headers, release=RELEASE, version="6.1.192", flavour="debian-amd64",
                       image=folder / "root/boot" / f"vmlinuz-{RELEASE}", modules_root=folder / "root",
                       source=SOURCE, log=folder / "fetch.log")


ORIGIN = DkmsOrigin(package=Path("/cache/modules/x/wgcompat-dkms_1.1.20261204.2035_all.deb"),
                    package_version="1.1.20261204.2035", suite="bookworm", dkms_version="dkms-3.0.10",
                    guest_path="updates/dkms/wireguard.ko", sha256="ab" * 32,
                    modinfo={"version": "1.1.20261204.2035", "srcversion": "0123456789ABCDEF0123456",
                             "signer": "DKMS module signing key", "sig_key": "1A:2B"})


def dkms_built(tmp_path: Path) -> ModuleBuild:
    return replace(fake_module(tmp_path), dkms=ORIGIN)


# ---------------------------------------------------------------------------------------------
# the option


def test_an_unknown_module_source_names_the_choices() -> None:
    with pytest.raises(UserError) as err:
        RunRequest(selection("debian:6.1"), module_source="deb")
    assert "--module-source deb is not a choice" in err.value.cause
    assert "--module-source build" in err.value.fix and "--module-source dkms" in err.value.fix


@pytest.mark.parametrize("sel, named", [
    (selection("6.1"), "--kernel 6.1"),
    (selection(None, "/src/linux-5.4"), "--kernel-src /src/linux-5.4"),
    (selection(None, None, "/usr/src/linux-headers-6.1.0-57-amd64"), "--kernel-dir /usr/src/linux-headers"),
    (selection(None), "the default kernel"),
])
def test_dkms_on_a_kernel_not_debians_names_the_cause_and_the_fix(sel, named: str) -> None:
    with pytest.raises(UserError) as err:
        RunRequest(sel, module_source="dkms")
    assert named in err.value.cause and "is not one of Debian's kernels" in err.value.cause
    assert "--kernel debian:<series> (debian:6.1" in err.value.fix
    assert "drop --module-source dkms" in err.value.fix


@pytest.mark.parametrize("extra, named", [
    ({"crypto": "bundled"}, "--crypto bundled"), ({"debug_module": True}, "--debug-module")])
def test_dkms_refuses_what_only_the_harness_build_can_choose(extra: dict, named: str) -> None:
    with pytest.raises(UserError) as err:
        RunRequest(selection("debian:6.1"), module_source="dkms", **extra)
    assert named in err.value.cause and f"drop {named}" in err.value.fix


def test_the_harness_build_stays_the_default_on_every_kernel() -> None:
    assert RunRequest(selection("6.1")).module_source == "build"
    assert RunRequest(selection("debian:5.10"), module_source="dkms").module_source == "dkms"


def test_a_dkms_runs_reports_go_to_a_folder_of_their_own() -> None:
    assert paths.run_label("normal", "auto", module_source="dkms") == "normal-dkms"
    assert paths.vmtests_report_dir("debian:6.1", "normal", "auto", module_source="dkms").name == "debian-6.1-normal-dkms"
    assert paths.vmtests_report_dir("debian:6.1", "normal", "auto").name == "debian-6.1-normal"


def test_invoke_refuses_dkms_for_a_kernel_of_ours_before_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    from wgcompat import session

    monkeypatch.setattr(session, "plan_run", lambda *_a, **_k: pytest.fail("planned a run that cannot be"))
    with pytest.raises(UserError, match="not one of Debian's kernels"):
        session.run_vmtests(selection("6.1"), module_source="dkms")
    with pytest.raises(UserError, match="--no-module with --module-source dkms"):
        session.boot_session(selection("debian:6.1"), "auto", False, None, [], with_module=False,
                             module_source="dkms")


# ---------------------------------------------------------------------------------------------
# the plan


def test_the_module_stage_takes_the_module_dkms_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = debian_kernel(tmp_path)
    asked: list[KernelBuild] = []
    monkeypatch.setattr(plan_mod, "build_module", lambda *_a, **_k: pytest.fail("the harness built the module"))
    monkeypatch.setattr(plan_mod, "dkms_module",
                        lambda req, progress: asked.append(req.kernel) or replace(dkms_built(tmp_path), cached=True))
    planned = plan_run(RunRequest(selection("debian:6.1"), module_source="dkms"), kernel=kernel)
    assert [(s.stage, s.status) for s in planned.stages] == [("kernel", Status.CACHED), ("module", Status.CACHED)]
    assert asked == [kernel] and planned.require().module.dkms == ORIGIN
    assert planned.stages[1].log == planned.require().module.log


def test_a_failing_dkms_build_fails_the_module_stage_with_its_error(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_req, progress):
        raise UserError("in the throwaway bookworm root, `apt-get update -q` exited 100", "check the mirror")

    monkeypatch.setattr(plan_mod, "dkms_module", fail)
    planned = plan_run(RunRequest(selection("debian:6.1"), module_source="dkms"), kernel=debian_kernel(tmp_path))
    assert planned.failed is not None and planned.failed.stage == "module"
    with pytest.raises(UserError, match="apt-get update"):
        planned.require()


def test_the_artefacts_file_keeps_the_module_source_and_what_the_root_said(tmp_path: Path) -> None:
    request = RunRequest(selection("debian:6.1"), module_source="dkms")
    written = Artefacts(request, fake_kernel(tmp_path), dkms_built(tmp_path))
    path = written.write(tmp_path / "artefacts.json")
    assert Artefacts.read(path) == written
    assert json.loads(path.read_text())["module"]["dkms"]["modinfo"]["signer"] == "DKMS module signing key"


def test_an_artefacts_file_from_before_the_option_is_a_harness_build(tmp_path: Path) -> None:
    path = Artefacts(RunRequest(selection("6.1")), fake_kernel(tmp_path), fake_module(tmp_path)).write(
        tmp_path / "a.json")
    data = json.loads(path.read_text())
    del data["request"]["module_source"]
    path.write_text(json.dumps(data))
    read = Artefacts.read(path)
    assert read.request.module_source == "build" and read.module.dkms is None


# ---------------------------------------------------------------------------------------------
# the guest


def test_the_guest_gets_dkmss_module_where_dkms_installed_it(tmp_path: Path) -> None:
    kernel, built = debian_kernel(tmp_path), fake_module(tmp_path)
    assert image_request(kernel, replace(built, dkms=ORIGIN)).wireguard_path == "updates/dkms/wireguard.ko"
    assert image_request(kernel, built).wireguard_path == "updates/wireguard.ko"


def test_the_overlay_puts_a_module_at_the_path_it_is_given(tmp_path: Path) -> None:
    from wgcompat.image.overlay import OverlayRequest

    ours = tmp_path / "wireguard.ko.xz"
    ours.write_bytes(b"dkms's wireguard")
    overlay = build_overlay(OverlayRequest(release="9.9.9-test", wireguard_ko=ours,
                                           wireguard_path="updates/dkms/wireguard.ko.xz"), tmp_path / "o.cpio")
    e = cpio_reader.as_dict(overlay.path)
    assert e["lib/modules/9.9.9-test/updates/dkms/wireguard.ko.xz"].data == b"dkms's wireguard"
    assert "lib/modules/9.9.9-test/updates/wireguard.ko" not in e
    assert "updates/dkms/wireguard.ko.xz:" in e["lib/modules/9.9.9-test/modules.dep"].data.decode()


# ---------------------------------------------------------------------------------------------
# the DKMS build's entry


def _deb(tmp_path: Path, body: bytes, version: str = "1.1.20261204.2035") -> PackageResult:
    deb = tmp_path / f"wgcompat-dkms_{version}_all.deb"
    deb.write_bytes(body)
    return PackageResult(version, "git-31967e842cb6", deb, tmp_path / "t.tar.gz", tmp_path / "t.sha256", "0" * 64)


def test_the_root_installs_the_kernels_headers_side_not_its_image(tmp_path: Path) -> None:
    kernel = unpacked(debian_kernel(tmp_path))
    assert [name for name, _, _ in dkms_build.headers_side(kernel)] == [
        f"linux-headers-{RELEASE}", "linux-headers-6.1.0-57-common", "linux-kbuild-6.1", "linux-compiler-gcc-12-x86"]


def test_the_entry_is_keyed_by_the_package_the_kernel_and_the_suite(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    kb = debian_kernel(tmp_path)
    kernel = unpacked(kb)
    image = RootImage("bookworm", tmp_path / "chroots/bookworm-abc/root")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = dkms_build.dkms_entry(kb, _deb(tmp_path / "a", b"deb one"), kernel, image)
    assert first.path == dkms_build.dkms_entry(kb, _deb(tmp_path / "b", b"deb one"), kernel, image).path
    others = [dkms_build.dkms_entry(kb, _deb(tmp_path / "b", b"deb two"), kernel, image),
              dkms_build.dkms_entry(replace(kb, release="6.1.0-58-amd64"), _deb(tmp_path / "a", b"deb one"), kernel,
                                    image),
              dkms_build.dkms_entry(kb, _deb(tmp_path / "a", b"deb one"), replace(kernel, suite="bookworm-backports"),
                                    replace(image, extra_sources=("deb http://deb.debian.org/debian bookworm-backports "
                                                                  "main",)))]
    assert len({first.path, *(o.path for o in others)}) == 4
    assert first.path.parent == paths.modules_dir()
    # `invoke clean --stale` reads the name as a module build of that kernel
    match = cache_gc.MODULE_NAME.match(first.path.name)
    assert match and match["kernel"] == kb.build_dir.name and match["setting"] == "dkms"


def test_a_kernel_not_debians_is_refused_before_anything_is_packaged(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dkms_build, "package", lambda *_a, **_k: pytest.fail("packaged for a kernel DKMS cannot take"))
    with pytest.raises(UserError) as err:
        dkms_build.dkms_module(dkms_build.DkmsModuleRequest(fake_kernel(tmp_path)))
    assert "is not one" in err.value.cause and "debian:6.1" in err.value.fix


class FailingRoot:
    path = Path("/tmp/wgcompat-root-bookworm-x")

    def run(self, argv, check=True):
        return CommandResult(100, "Reading package lists...\nE: Failed to fetch http://deb.debian.org/debian\n")


def test_a_command_failing_in_the_root_is_named_with_its_output_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "dkms.log"
    with log.open("w") as f:
        session = dkms_build._Session(FailingRoot(), "bookworm", f, log)
        with pytest.raises(UserError) as err:
            session.run(["apt-get", "update", "-q"], "check the mirror")
    assert "`apt-get update -q` exited 100" in err.value.cause and "Failed to fetch" in err.value.cause
    assert str(log) in err.value.cause and err.value.fix == "check the mirror"
    assert "$ apt-get update -q\n" in log.read_text() and "[exit 100]" in log.read_text()


def test_modinfo_fields_keep_the_first_value_and_join_a_signature() -> None:
    text = ("filename:       /lib/modules/6.1.0-57-amd64/updates/dkms/wireguard.ko\nversion:        1.1.2\n"
            "alias:          rtnl-link-wireguard\nalias:          net-pf-16-proto-16-family-wireguard\n"
            "srcversion:     0123456789ABCDEF0123456\nsigner:         DKMS module signing key\n"
            "sig_key:        1A:2B:3C\nsignature:      AA:BB:\n\t\tCC:DD\nsig_hashalgo:   sha512\n")
    fields = dkms_build.modinfo_fields(text)
    assert fields["alias"] == "rtnl-link-wireguard" and fields["signer"] == "DKMS module signing key"
    assert fields["signature"] == "AA:BB:CC:DD" and fields["sig_hashalgo"] == "sha512"

