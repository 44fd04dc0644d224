"""wgcompat.chroot's way in: a command run in the chroot sees the cache at its own path, runs
in the caller's folder, gets the standard PATH (never the shims again), and leaves no mount
on the host. The root here is a static busybox, not a suite (mmdebstrap makes those; the
Debian kernels' VM runs use them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wgcompat import cache, chroot
from wgcompat.errors import UserError

BUSYBOX = shutil.which("busybox")
needs_root = pytest.mark.skipif(os.geteuid() != 0 or BUSYBOX is None or shutil.which("unshare") is None,
                                reason="entering a chroot needs root, unshare and a static busybox")


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("WGCOMPAT_CACHE", str(root))
    return root


def busybox_root(folder: Path) -> None:
    assert BUSYBOX is not None
    for d in ("bin", "usr/bin", "proc", "dev", "tmp"):
        (folder / "root" / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(BUSYBOX, folder / "root/bin/busybox")
    for applet in ("sh", "echo", "cat", "pwd", "grep"):
        (folder / "root/bin" / applet).symlink_to("busybox")
    (folder / "root/usr/bin/env").symlink_to("../../bin/busybox")


@needs_root
def test_a_command_runs_inside_with_the_cache_at_its_own_path(cache_root: Path) -> None:
    folder = cache_root / "chroots" / "test"
    busybox_root(folder)
    chroot._write_scripts(folder, ["make"])
    (folder / "root/bin/make").write_text('#!/bin/sh\nexec "$@"\n')  # stands for the suite's make
    (folder / "root/bin/make").chmod(0o755)
    work = cache_root / "modules" / "m"
    work.mkdir(parents=True)
    (work / "input").write_text("from the host\n")
    env = {**os.environ, "PATH": f"{folder / 'bin'}:{os.environ['PATH']}", "WGC_SEEN": "kept"}
    box = chroot.Chroot(folder=folder, suite="test")
    out = subprocess.run(box.argv(["sh", "-c", 'pwd; cat input; echo "$PATH $WGC_SEEN"; test -e /bin/busybox && echo in'],
                                  cwd=work), capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(work), "from the host", f"{chroot.STANDARD_PATH} kept", "in"]
    # the shim enters the chroot from the caller's folder
    shim = subprocess.run([str(box.bin / "make"), "sh", "-c", "pwd"], cwd=work, capture_output=True, text=True)
    assert shim.returncode == 0 and shim.stdout.strip() == str(work), shim.stderr
    mounts = Path("/proc/self/mounts").read_text()
    assert str(folder / "root") not in mounts, "a bind mount leaked onto the host"


@needs_root
def test_on_path_puts_the_shims_first_for_the_block_only(cache_root: Path) -> None:
    box = chroot.Chroot(folder=cache_root / "chroots" / "x", suite="x")
    before = os.environ["PATH"]
    with box.on_path():
        assert os.environ["PATH"].split(":")[0] == str(box.bin)
    assert os.environ["PATH"] == before


def test_a_failed_mmdebstrap_leaves_no_complete_chroot(cache_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "mmdebstrap").write_text("#!/bin/sh\necho 'E: cannot resolve gcc-99' >&2\nexit 1\n")
    (fake / "mmdebstrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setattr(chroot, "sources", lambda suite: [f"deb http://mirror.invalid/debian {suite} main"])
    with pytest.raises(UserError) as err:
        chroot.obtain("trixie", ["gcc-99"], ["make"])
    assert "mmdebstrap could not make the trixie chroot" in err.value.cause
    assert "cannot resolve gcc-99" in err.value.cause
    made = [p for p in (cache_root / "chroots").iterdir() if p.is_dir()]
    assert made and not any((p / cache.MARKER).exists() for p in made)


def test_the_key_changes_with_suite_packages_and_sources(cache_root: Path) -> None:
    base = chroot.entry("trixie", ["gcc-14", "make"], ["deb m trixie main"]).path
    assert chroot.entry("trixie", ["make", "gcc-14"], ["deb m trixie main"]).path == base
    assert chroot.entry("sid", ["gcc-14", "make"], ["deb m trixie main"]).path != base
    assert chroot.entry("trixie", ["gcc-14", "make", "perl"], ["deb m trixie main"]).path != base
    assert chroot.entry("trixie", ["gcc-14", "make"], ["deb other trixie main"]).path != base
