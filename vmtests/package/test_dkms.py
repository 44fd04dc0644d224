"""The DKMS package as a packager's users meet it, in a throwaway Debian root.

    host: invoke package ──► dist/wgcompat-dkms_<V>_all.deb, wgcompat-<V>.tar.gz + .sha256
                                   │
    throwaway root (mmdebstrap of the suite, cached; unpacked fresh, chroot in a private
    mount namespace: the host's /var/lib/dkms, /etc/dkms and /lib/modules are never used)
      apt-get install ./wgcompat-dkms_<V>_all.deb       sources in /usr/src/wgcompat-<V>
      apt-get install linux-image-K1 linux-headers-K1   DKMS autoinstall: ours beside the
                                                        in-tree wireguard.ko (1.0.0)
      apt-get install linux-headers-K2                  autoinstall again, for K2
      (bad input: a kernel outside the range, a broken compiler)
      apt-get purge wgcompat-dkms                       nothing left behind

K1 is the suite's default kernel flavour (linux-image-amd64's), K2 its cloud flavour. The
suites: bullseye (5.10, Python 3.9: the oldest the generator supports, dkms 2.8) and
bookworm (6.1, dkms 3.0, which also signs the module with its own key). Each suite's
whole story runs once (module-scoped fixture); the tests read what it recorded.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wgcompat.package.build import PackageRequest, PackageResult, package
from wgcompat.package.root import Root, root_image, throwaway_root
from wgcompat.vm.console import CommandResult
from wgcompat.package.tarball import verify

SUITES = ("bullseye", "bookworm")


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> PackageResult:
    return package(PackageRequest(tmp_path_factory.mktemp("dist")))


@dataclass
class Story:
    """What the DKMS path did in one suite's root, step by step."""

    suite: str
    version: str
    k1: str = ""
    k2: str = ""
    steps: dict[str, CommandResult] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)


def _abi_package(root: Root, meta: str) -> str:
    """The versioned package a metapackage (linux-headers-amd64) depends on."""
    out = root.run(["apt-cache", "depends", meta]).output
    found = re.search(r"Depends: (linux-(?:headers|image)-\d\S*)", out)
    assert found, f"{meta} depends on no versioned kernel package:\n{out}"
    return found.group(1)


def _release(package_name: str) -> str:
    return re.sub(r"^linux-(?:headers|image)-", "", package_name)


def _dkms_line(version: str, rest: str) -> re.Pattern[str]:
    """A line of `dkms status`: "wgcompat/V, ..." (dkms 3) or "wgcompat, V, ..." (dkms 2.8)."""
    return re.compile(rf"^wgcompat(?:/|, ){re.escape(version)}{rest}$", re.M)


def _status(root: Root) -> str:
    return root.run(["dkms", "status"]).output.strip()


def _installed_modules(root: Root) -> str:
    return root.sh("find /lib/modules -path '*/updates/*' -name 'wireguard.ko*' | sort").output.strip()


def _tell(story: Story) -> Story:
    print(f"[{story.suite}] " + ", ".join(f"{k}: {v}" for k, v in story.facts.items()), file=sys.stderr)
    return story


def _bad_input(root: Root, story: Story) -> None:
    """A kernel outside the supported range, and a compiler that cannot compile."""
    fake = "3.16.0-wgcompat-too-old"
    root.sh(f"mkdir -p /lib/modules/{fake} && ln -s /usr/src/linux-headers-{story.k1} /lib/modules/{fake}/build")
    story.steps["too old"] = root.run(["dkms", "build", "-m", "wgcompat", "-v", story.version, "-k", fake], check=False)
    root.sh(f"rm -r /lib/modules/{fake}")
    # K2 taken out first (both dkms versions rebuild only what is not built), then every gcc the
    # kernel's build could pick fails like a broken toolchain
    module = ["-m", "wgcompat", "-v", story.version, "-k", story.k2]
    root.run(["dkms", "remove", *module])
    root.sh("for cc in /usr/bin/gcc-[0-9]*; do mv $cc $cc.real; "
            "printf '#!/bin/sh\\necho \"gcc: internal compiler error: the toolchain is broken\" >&2\\nexit 4\\n' > $cc; "
            "chmod 755 $cc; done")
    story.steps["broken compiler"] = root.run(["dkms", "build", *module], check=False)
    log_dir = f"/var/lib/dkms/wgcompat/{story.version}"
    story.steps["make.log"] = root.sh(f"cat {log_dir}/build/make.log 2>/dev/null || cat {log_dir}/{story.k2}/*/log/make.log",
                                      check=False)
    story.steps["compat.log"] = root.sh(f"cat {log_dir}/build/compat.log", check=False)
    root.sh("for cc in /usr/bin/gcc-[0-9]*.real; do mv $cc ${cc%.real}; done")
    # the compiler mended, the same command builds
    root.run(["dkms", "install", *module])


def _run_story(suite: str, packaged: PackageResult, workdir: Path) -> Story:
    story = Story(suite, packaged.version)
    with throwaway_root(root_image(suite), parent=workdir) as root:
        deb = root.put(packaged.deb, f"/tmp/{packaged.deb.name}")
        root.run(["apt-get", "update", "-q"])
        story.steps["install"] = root.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", deb])
        # wg's own package asks for wireguard-modules, which ours provides: no kernel comes with it
        # (with its recommends, as a user installs it: without our Provides, apt would pick a
        # linux-image that provides wireguard-modules)
        story.steps["wireguard-tools"] = root.run(["apt-get", "install", "-y", "-q", "wireguard-tools"])
        story.facts["python"] = root.run(["python3", "--version"]).output.strip()
        story.facts["dkms"] = root.run(["dkms", "--version"]).output.strip()
        story.steps["status before headers"] = CommandResult(0, _status(root))

        image = _abi_package(root, "linux-image-amd64")
        story.k1 = _release(image)
        story.steps["headers k1"] = root.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", image, f"linux-headers-{story.k1}"])
        story.steps["modinfo k1"] = root.run(["modinfo", f"/lib/modules/{story.k1}/updates/dkms/wireguard.ko"])
        story.steps["in-tree modinfo"] = root.run(
            ["modinfo", "-F", "version", f"/lib/modules/{story.k1}/kernel/drivers/net/wireguard/wireguard.ko"])
        story.steps["modprobe k1"] = root.run(["modprobe", "-S", story.k1, "--show-depends", "wireguard"])

        story.k2 = _release(_abi_package(root, "linux-headers-cloud-amd64"))
        story.steps["headers k2"] = root.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", f"linux-headers-{story.k2}"])
        story.steps["status with both"] = CommandResult(0, _status(root))

        _bad_input(root, story)

        story.steps["purge"] = root.run(["apt-get", "purge", "-y", "-q", "wgcompat-dkms"])
        story.steps["status after purge"] = CommandResult(0, _status(root))
        story.steps["left after purge"] = root.sh(
            "ls -d /usr/src/wgcompat* /var/lib/dkms/wgcompat 2>/dev/null; "
            "find /lib/modules -path '*/updates/*' -name 'wireguard.ko*'", check=False)

        # the other route: the source tarball, checked, unpacked and given to dkms by path
        verify(packaged.tarball, packaged.sha256_file)
        tarball = root.put(packaged.tarball, f"/tmp/{packaged.tarball.name}")
        top = f"/tmp/wgcompat-{packaged.version}"
        root.run(["tar", "-C", "/tmp", "-xzf", tarball])
        story.steps["tarball dkms install"] = root.run(["dkms", "install", top, "-k", story.k1])
        story.steps["tarball modules"] = CommandResult(0, _installed_modules(root))
        story.steps["tarball dkms remove"] = root.run(["dkms", "remove", "-m", "wgcompat", "-v", packaged.version,
                                                       "--all"])
        story.steps["tarball left"] = CommandResult(0, _status(root) + _installed_modules(root))
    story.facts.update(k1=story.k1, k2=story.k2)
    return _tell(story)


@pytest.fixture(scope="module", params=SUITES)
def story(request: pytest.FixtureRequest, packaged: PackageResult,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    yield _run_story(request.param, packaged, tmp_path_factory.mktemp(f"root-{request.param}"))


def _modinfo(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def test_installing_the_package_registers_its_sources_with_dkms(story: Story) -> None:
    assert "Loading new wgcompat-" in story.steps["install"].output
    status = story.steps["status before headers"].output
    assert _dkms_line(story.version, ": added").search(status), status


def test_wireguard_tools_installs_with_ours_as_its_module(story: Story) -> None:
    output = story.steps["wireguard-tools"].output
    assert "linux-image" not in output and "wireguard-dkms" not in output, output


def test_installing_a_kernels_headers_builds_and_installs_our_module_for_it(story: Story) -> None:
    info = _modinfo(story.steps["modinfo k1"].output)
    assert info["version"] == story.version
    assert info["vermagic"].startswith(story.k1 + " ")
    assert info["wgcompat_source"].startswith("git-")


def test_ours_sorts_above_the_in_tree_module_and_modprobe_loads_ours(story: Story) -> None:
    assert story.steps["in-tree modinfo"].output.strip() == "1.0.0"
    loaded = [line for line in story.steps["modprobe k1"].output.splitlines() if line.endswith("wireguard.ko")
              or "/wireguard.ko" in line]
    assert loaded and all("/updates/dkms/wireguard.ko" in line for line in loaded), story.steps["modprobe k1"].output


def test_a_second_kernels_headers_get_the_module_too(story: Story) -> None:
    status = story.steps["status with both"].output
    for kernel in (story.k1, story.k2):
        assert _dkms_line(story.version, rf", {re.escape(kernel)}, x86_64: installed").search(status), status


def test_dkms_signs_the_module_with_its_own_key_where_it_can(story: Story) -> None:
    info = _modinfo(story.steps["modinfo k1"].output)
    if story.suite == "bullseye":
        # dkms 2.8 does not sign: the module carries no signature
        assert "signer" not in info
    else:
        assert info.get("sig_hashalgo") and info.get("signer"), story.steps["modinfo k1"].output


def test_a_kernel_outside_the_supported_range_is_skipped_with_the_reason(story: Story) -> None:
    step = story.steps["too old"]
    assert step.status != 0
    assert "BUILD_EXCLUSIVE" in step.output, step.output


def test_a_broken_compiler_stops_the_build_and_make_log_says_where_the_cause_is(story: Story) -> None:
    assert story.steps["broken compiler"].status != 0
    make_log = story.steps["make.log"].output
    assert "compat.h was not generated for this kernel" in make_log and "compat.log" in make_log, make_log
    compat_log = story.steps["compat.log"].output
    # the generator names the compiler it tried and quotes what it said
    assert re.search(r"compiler 'gcc-\d+' cannot compile|control probe", compat_log), compat_log
    assert "the toolchain is broken" in compat_log, compat_log


def test_purging_the_package_leaves_nothing_behind(story: Story) -> None:
    assert story.steps["status after purge"].output == ""
    assert story.steps["left after purge"].output.strip() == ""


def test_the_source_tarball_installs_through_dkms_and_removes_cleanly(story: Story) -> None:
    assert f"/lib/modules/{story.k1}/updates/dkms/wireguard.ko" in story.steps["tarball modules"].output
    assert story.steps["tarball left"].output == ""


def test_a_tampered_tarball_is_refused_before_it_is_unpacked(packaged: PackageResult, tmp_path: Path) -> None:
    from wgcompat.errors import UserError

    copy = tmp_path / packaged.tarball.name
    data = bytearray(packaged.tarball.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    with pytest.raises(UserError, match="does not match its sha256") as err:
        verify(copy, packaged.sha256_file)
    assert "download the tarball and its .sha256 again" in err.value.fix


def test_lintian_reports_no_errors_or_warnings_on_the_deb(packaged: PackageResult) -> None:
    """Accepted: the informational tag package-contains-documentation-outside-usr-share-doc,
    for the READMEs of the module and generator sources DKMS builds from."""
    done = subprocess.run(["lintian", "--no-cfg", "--pedantic", str(packaged.deb)], capture_output=True, text=True)
    tags = [line for line in done.stdout.splitlines() if re.match(r"^[EWP]: ", line)]
    assert tags == [], done.stdout
