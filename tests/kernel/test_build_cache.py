"""The kernel build stage against a fake kernel tree: cache reuse, failure, a build
killed half-way, a dropped option, and two builds of the same key at once."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wgcompat import cache
from wgcompat.errors import UserError
from wgcompat.kernel import build as kbuild
from wgcompat.kernel.providers import SourceTree

FAKE = Path(__file__).parent / "fake_kernel"
KCONFIGS = Path(__file__).resolve().parents[2] / "kconfigs"


@pytest.fixture
def fake_tree(tmp_path) -> SourceTree:
    src = tmp_path / "linux-5.4.286"
    shutil.copytree(FAKE, src)
    symbols = set()
    for frag in [*KCONFIGS.glob("*.config"), *KCONFIGS.glob("arch/*.config")]:
        symbols |= set(re.findall(r"^CONFIG_(\w+)=", frag.read_text(), re.M))
    symbols.discard("WIREGUARD")  # like 5.4: no WireGuard in tree
    (src / "Kconfig").write_text("".join(f"config {s}\n\tbool\n" for s in sorted(symbols)))
    return SourceTree(path=src, release="5.4.286", provider="local", origin=str(src))


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_build_then_cache_hit(fake_tree, isolated_cache):
    first = kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert first.image.read_text().strip() == "image" and not first.cached
    assert first.release == "5.4.286" and first.modules_root.is_dir()
    assert json.loads((first.build_dir / cache.MARKER).read_text())["result"]["release"] == "5.4.286"
    second = kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert second.cached and second.build_dir == first.build_dir


def test_failed_build_shows_the_log_tail_and_leaves_no_finished_entry(fake_tree, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(UserError) as err:
        kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert "error: boom" in err.value.cause and "build.log" in err.value.cause
    monkeypatch.delenv("FAKE_FAIL")
    kb = kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert not kb.cached and kb.image.is_file()


def test_build_killed_half_way_is_not_reused(fake_tree, isolated_cache):
    code = ("import sys; from pathlib import Path; from wgcompat.kernel import build as b;"
            "from wgcompat.kernel.providers import SourceTree;"
            f"b.build_kernel(b.KernelBuildRequest(SourceTree(Path({str(fake_tree.path)!r}), '5.4.286', 'local', {str(fake_tree.path)!r})))")
    env = {**os.environ, "FAKE_HANG": "1", "WGCOMPAT_CACHE": str(isolated_cache)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            cwd=Path(__file__).resolve().parents[2])
    kernels = isolated_cache / "kernels"
    try:
        wait_for(lambda: any(kernels.glob("*/hanging")), what="the fake build to start hanging")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    (unfinished,) = [p for p in kernels.iterdir() if p.is_dir()]
    assert (unfinished / "partial-object.o").exists() and not (unfinished / cache.MARKER).exists()
    kb = kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert not kb.cached and kb.build_dir == unfinished
    assert not (kb.build_dir / "hanging").exists(), "the unfinished tree must be wiped, not continued"


def test_dropped_option_is_named(fake_tree):
    kconfig_file = fake_tree.path / "Kconfig"
    kconfig_file.write_text(kconfig_file.read_text().replace("config VETH\n", "config NOT_VETH\n"))
    with pytest.raises(UserError) as err:
        kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    assert "CONFIG_VETH: asked y in kconfigs/base.config, got n" in err.value.cause


def test_second_build_of_the_same_kernel_gets_a_clear_error(fake_tree, isolated_cache):
    request = kbuild.KernelBuildRequest(fake_tree)
    from wgcompat.kernel import kconfig

    merged = kconfig.merge(kconfig.select_fragments("normal", kconfig.kconfig_symbols(fake_tree.path)))
    entry = kbuild.build_entry(request, merged)
    with cache.build_lock(cache.lock_path(entry.path), "held by this test"):
        with pytest.raises(UserError) as err:
            kbuild.build_kernel(request)
    assert f"pid {os.getpid()}" in err.value.cause and "wait for it" in err.value.fix
    assert not entry.path.exists()


def test_kernel_dir_that_is_not_configured(tmp_path):
    (tmp_path / "Makefile").write_text("")
    with pytest.raises(UserError) as err:
        kbuild.open_kernel_dir(tmp_path)
    assert ".config" in err.value.cause


def test_missing_build_tools_are_named_with_the_install_line(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(kbuild.shutil, "which", lambda name: None if name in ("flex", "bison") else real_which(name))
    with pytest.raises(UserError) as err:
        kbuild.check_build_tools()
    assert "flex, bison" in err.value.cause
    assert err.value.fix.startswith("apt-get install flex bison")


def test_a_changed_file_in_a_kernel_src_tree_gets_a_new_build(fake_tree):
    request = kbuild.KernelBuildRequest(fake_tree)
    first = kbuild.build_kernel(request)
    assert kbuild.build_kernel(request).cached
    (fake_tree.path / "drivers").mkdir()
    (fake_tree.path / "drivers" / "dummy.c").write_text("int dummy;\n")
    second = kbuild.build_kernel(request)
    assert not second.cached and second.build_dir != first.build_dir
    assert kbuild.build_kernel(request).cached


def test_a_changed_kconfig_fragment_gets_a_new_build(fake_tree, tmp_path, monkeypatch):
    from wgcompat.kernel import kconfig

    fragments = tmp_path / "kconfigs"
    shutil.copytree(KCONFIGS, fragments)
    select = kconfig.select_fragments
    monkeypatch.setattr(kconfig, "select_fragments", lambda flavour, symbols, arch: select(flavour, symbols, fragments, arch))
    request = kbuild.KernelBuildRequest(fake_tree)
    first = kbuild.build_kernel(request)
    base = fragments / "base.config"
    base.write_text(base.read_text() + "# a comment is not a config value\n")
    assert kbuild.build_kernel(request).cached
    base.write_text(base.read_text().replace("CONFIG_DUMMY=y\n", "# CONFIG_DUMMY is not set\n"))
    second = kbuild.build_kernel(request)
    assert not second.cached and second.build_dir != first.build_dir
    assert "# CONFIG_DUMMY is not set" in (second.build_dir / "wgcompat.fragment").read_text()


def test_the_marker_names_the_inputs_of_the_build(fake_tree):
    kb = kbuild.build_kernel(kbuild.KernelBuildRequest(fake_tree))
    inputs = json.loads((kb.build_dir / cache.MARKER).read_text())["inputs"]
    assert {"code wgcompat.kernel.build", "fragments", "compiler", "source path", "source contents"} <= set(inputs)
    assert inputs["source contents"].startswith("manifest ")


def test_a_fetched_tree_is_keyed_on_its_origin(fake_tree):
    from dataclasses import replace

    from wgcompat.kernel import kconfig

    merged = kconfig.merge(kconfig.select_fragments("normal", kconfig.kconfig_symbols(fake_tree.path)))
    fetched = replace(fake_tree, provider="kernel.org", origin="https://cdn.example/linux-5.4.286.tar.xz")
    entry = kbuild.build_entry(kbuild.KernelBuildRequest(fetched), merged)
    assert "source contents" not in entry.inputs
    (fake_tree.path / "unrelated").write_text("x")
    assert kbuild.build_entry(kbuild.KernelBuildRequest(fetched), merged).path == entry.path
    other = replace(fetched, origin="https://cdn.example/linux-5.4.287.tar.xz")
    assert kbuild.build_entry(kbuild.KernelBuildRequest(other), merged).path != entry.path


def test_a_build_tells_how_far_it_is_from_the_last_build_of_the_same_kernel(tmp_path: Path) -> None:
    def marker(name: str, lines: int, when: float) -> None:
        path = tmp_path / name / cache.MARKER
        path.parent.mkdir()
        path.write_text(json.dumps({"result": {"build_lines": lines}, "inputs": {}}))
        os.utime(path, (when, when))

    assert kbuild.previous_build_lines(tmp_path, "6.1.192", "normal") is None
    marker("6.1.192-normal-aaa", 9000, 1000)
    marker("6.1.192-normal-bbb", 9500, 2000)
    marker("6.1.192-debug-ccc", 14000, 3000)  # another flavour
    (tmp_path / "6.1.192-normal-ddd").mkdir()  # unfinished: no marker
    assert kbuild.previous_build_lines(tmp_path, "6.1.192", "normal") == 9500
    assert kbuild.previous_build_lines(tmp_path, "6.1.192", "debug") == 14000
