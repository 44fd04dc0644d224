"""Module builds: content-addressed folders, one build for two concurrent callers, and a new
build for a change to any input (module/, the generator's code and probe flags, the kernel)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wgcompat import module_build as mb
from wgcompat import paths
from wgcompat.kernel.build import KernelBuild

from tests.compat.conftest import HEALTHY_HEADERS, make_fake_tree


def kernel_at(build_dir: Path) -> KernelBuild:
    return KernelBuild(build_dir=build_dir, release="6.1.192", version="6.1.192", flavour="normal")


@pytest.fixture
def request_(tmp_path, monkeypatch) -> mb.ModuleBuildRequest:
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    return mb.ModuleBuildRequest(kernel_at(tmp_path / "kernels" / "6.1.192-normal-abc"))


def fake_build(calls: list[str], gate: threading.Event | None = None):
    def build(request, out: Path, progress) -> dict[str, object]:
        calls.append(out.name)
        if gate is not None:
            gate.wait(10)
        src = out / "src"
        return {"ko": str(src / "wireguard.ko"), "build_dir": str(src), "compat_h": str(src / "compat.h"),
                "log": str(out / "build.log"), "warnings": [], "seconds": 1.0}
    return build


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The folders the (fake) module build ran in, in order."""
    made: list[str] = []
    monkeypatch.setattr(mb, "_build", fake_build(made))
    return made


def folder(built: mb.ModuleBuild) -> str:
    return built.build_dir.parent.name


def test_two_concurrent_builds_of_the_same_module_build_once(request_, monkeypatch):
    calls: list[str] = []
    gate = threading.Event()
    monkeypatch.setattr(mb, "_build", fake_build(calls, gate))
    results: list[mb.ModuleBuild] = []
    threads = [threading.Thread(target=lambda: results.append(mb.build_module(request_))) for _ in range(2)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(20)
    assert len(calls) == 1, "the second caller must wait for the first build and reuse it"
    assert len(results) == 2 and results[0].ko == results[1].ko


def test_unchanged_inputs_reuse_the_build(request_, calls):
    first, second = mb.build_module(request_), mb.build_module(request_)
    assert calls == [folder(first)] and second.ko == first.ko
    assert first.seconds == 1.0 and second.seconds == 0.0


def test_a_module_source_change_gets_a_new_build(request_, calls, tmp_path, monkeypatch):
    module = tmp_path / "module"
    shutil.copytree(mb.MODULE_SRC, module, ignore=shutil.ignore_patterns(*mb.OUTPUTS))
    monkeypatch.setattr(mb, "MODULE_SRC", module)
    first = mb.build_module(request_)
    (module / "noise.o").write_text("a build output in module/ is not an input")
    assert mb.build_module(request_).ko == first.ko
    (module / "send.c").write_text((module / "send.c").read_text() + "/* edited */\n")
    second = mb.build_module(request_)
    assert calls == [folder(first), folder(second)] and folder(second) != folder(first)
    assert folder(second).startswith("6.1.192-normal-abc-auto-")


def test_two_kernel_trees_with_the_same_folder_name_get_a_build_each(request_, calls, tmp_path):
    one = mb.ModuleBuildRequest(kernel_at(tmp_path / "one" / "build"))
    two = mb.ModuleBuildRequest(kernel_at(tmp_path / "two" / "build"))
    first, second = mb.build_module(one), mb.build_module(two)
    assert len(calls) == 2 and first.ko != second.ko
    assert folder(first).startswith("build-auto-") and folder(second).startswith("build-auto-")


def test_a_kernel_tree_rebuilt_in_place_gets_a_new_build(calls, tmp_path, monkeypatch):
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    kdir = make_fake_tree(tmp_path / "headers", HEALTHY_HEADERS)
    request = mb.ModuleBuildRequest(kernel_at(kdir))
    first = mb.build_module(request)
    (kdir / ".config").write_text((kdir / ".config").read_text() + "CONFIG_KASAN=y\n")
    assert mb.build_module(request).ko != first.ko and len(calls) == 2


def test_crypto_and_debug_choices_get_a_build_each(request_, calls):
    for crypto, debug in (("auto", False), ("bundled", False), ("auto", True)):
        mb.build_module(mb.ModuleBuildRequest(request_.kernel, crypto=crypto, debug=debug))
    assert [name.rsplit("-", 1)[0] for name in calls] == [
        "6.1.192-normal-abc-auto", "6.1.192-normal-abc-bundled", "6.1.192-normal-abc-auto-debug"]


# The generator's code and its probe flags are inputs too. A copy of the harness, edited, in
# a Python process of its own (the code hashed is what Python imports), names the entries.
ENTRY_NAMES = """
import sys
from pathlib import Path
import wgcompat
from wgcompat import module_build as mb
from wgcompat.compat.catalogue import load_catalogue
from wgcompat.compat.generator import cache_key
from wgcompat.compat.tree import KernelTree
from wgcompat.kernel.build import KernelBuild

kdir = Path(sys.argv[1])
assert Path(wgcompat.__file__).is_relative_to(Path.cwd()), wgcompat.__file__
kernel = KernelBuild(build_dir=kdir, release="9.9.9-fake", version="9.9.9", flavour="external")
print(mb.build_entry(mb.ModuleBuildRequest(kernel)).path.name)
print(cache_key(KernelTree.open(kdir), load_catalogue(), "gcc").hexdigest())
"""


@pytest.fixture
def harness_copy(tmp_path: Path) -> Path:
    """wgcompat/ copied (so it can be edited), module/, compat/ and kconfigs/ linked."""
    repo = tmp_path / "repo"
    shutil.copytree(paths.REPO / "wgcompat", repo / "wgcompat", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("module", "compat", "kconfigs"):
        (repo / name).symlink_to(paths.REPO / name)
    return repo


def entry_names(repo: Path, kdir: Path) -> tuple[str, str]:
    """(the module build's folder, the compat cache key) as ``repo``'s code names them."""
    env = {**os.environ, "PYTHONPATH": str(repo), "WGCOMPAT_CACHE": str(repo.parent / "cache")}
    out = subprocess.run([sys.executable, "-c", ENTRY_NAMES, str(kdir)], cwd=repo, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], out[1]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_generator_code_change_gets_a_new_module_build(harness_copy, tmp_path):
    kdir = make_fake_tree(tmp_path / "kernel", HEALTHY_HEADERS)
    module, _ = before = entry_names(harness_copy, kdir)
    assert entry_names(harness_copy, kdir) == before
    edit(harness_copy / "wgcompat/compat/render.py", "def derive(", "# edited\ndef derive(")
    assert entry_names(harness_copy, kdir)[0] != module


def test_a_probe_flag_change_gets_new_probe_answers_and_a_new_module_build(harness_copy, tmp_path):
    kdir = make_fake_tree(tmp_path / "kernel", HEALTHY_HEADERS)
    module, compat = entry_names(harness_copy, kdir)
    edit(harness_copy / "wgcompat/compat/runner.py", '"-Werror=implicit-int",', '"-Werror=implicit-int", "-Werror=vla",')
    changed = entry_names(harness_copy, kdir)
    assert changed[0] != module and changed[1] != compat


def test_unknown_crypto_choice(request_):
    with pytest.raises(Exception) as err:
        mb.build_module(mb.ModuleBuildRequest(request_.kernel, crypto="fast"))
    assert "bundled" in str(err.value)


def test_warnings_in_kernel_headers_are_told_apart_from_ours(tmp_path: Path) -> None:
    from wgcompat.module_build import split_warnings

    src = tmp_path / "src"
    log = "\n".join([
        f"{src}/replay.c:12:3: warning: unused variable ‘x’ [-Wunused-variable]",
        "/cache/sources/linux-5.10.262/include/linux/mmzone.h:1136:13: warning: variable ‘nid’ set but not used",
        f"In file included from {src}/replay.c:1:",
        "./include/linux/mmzone.h:1136:13: warning: variable ‘nid’ set but not used",
        f"{src}/compat.h:40:1: warning: no previous prototype for ‘wgc_x’ [-Wmissing-prototypes]",
    ])
    ours, headers = split_warnings(log, src)
    assert [w.split(":")[0] for w in ours] == [f"{src}/replay.c", f"{src}/compat.h"]
    assert len(headers) == 2 and all("mmzone.h" in w for w in headers)


def test_module_build_reports_the_crypto_compat_chose(tmp_path):
    from wgcompat.errors import UserError
    from wgcompat.module_build import ModuleBuild

    built = ModuleBuild(ko=tmp_path / "wireguard.ko", build_dir=tmp_path, compat_h=tmp_path / "compat.h",
                        log=tmp_path / "build.log", warnings=(), seconds=0.0)
    (tmp_path / "compat.mk").write_text("# crypto: bundled (forced)\nWGC_CRYPTO := bundled\n")
    assert built.crypto == "bundled"
    (tmp_path / "compat.mk").write_text("# nothing chosen\n")
    with pytest.raises(UserError, match="does not set WGC_CRYPTO"):
        built.crypto


# --------------------------------------------------------------------------
# a kernel whose modules are built in a chroot (Debian's trixie and sid headers)


def _chroot_kernel(tmp_path: Path) -> KernelBuild:
    kdir = make_fake_tree(tmp_path / "headers", HEALTHY_HEADERS, release="6.12.118+deb13-amd64",
                          config='CONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"\n')
    (kdir / "wgcompat-toolchain.json").write_text('{"suite": "trixie", "packages": ["gcc-14", "make"]}\n')
    return KernelBuild(build_dir=kdir, release="6.12.118+deb13-amd64", version="6.12.118", flavour="debian-amd64")


def test_a_toolchain_file_builds_in_the_chroot_with_the_kernels_compiler(tmp_path, monkeypatch):
    from wgcompat import chroot

    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    asked: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []

    def obtain(suite, packages, commands, progress=lambda _: None):
        asked.append((suite, tuple(packages), tuple(commands)))
        return chroot.Chroot(folder=tmp_path / "box", suite=suite)

    monkeypatch.setattr(chroot, "obtain", obtain)
    monkeypatch.setattr(chroot, "sources", lambda suite: [f"deb m {suite} main"])
    kernel = _chroot_kernel(tmp_path)
    argv = mb.kbuild_argv(kernel, ["M=/src", "modules"], cwd=tmp_path / "src")
    assert argv == [str(tmp_path / "box/enter"), str(tmp_path / "src"), "make", "-C", str(kernel.build_dir),
                    "M=/src", "modules", "CC=x86_64-linux-gnu-gcc-14"]
    assert asked == [("trixie", ("gcc-14", "make"), ("make", "x86_64-linux-gnu-gcc-14"))]
    # the same kernel built on the host is another module build
    with_chroot = mb.build_entry(mb.ModuleBuildRequest(kernel)).path
    (kernel.build_dir / "wgcompat-toolchain.json").unlink()
    assert mb.build_entry(mb.ModuleBuildRequest(kernel)).path != with_chroot
    assert mb.kbuild_argv(kernel, ["modules"], cwd=tmp_path)[:3] == ["make", "-C", str(kernel.build_dir)]
