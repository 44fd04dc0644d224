"""invoke clean --stale: which builds are stale, on a fake cache."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from wgcompat import cache_gc
from wgcompat.cache import MARKER

H1, H2, H3 = "a" * 12, "b" * 12, "c" * 12


def build(folder: Path, marker: str | None, mtime: float) -> Path:
    folder.mkdir(parents=True)
    (folder / "payload").write_bytes(b"x" * 1000)
    if marker:
        (folder / marker).write_text("{}")
        os.utime(folder / marker, (mtime, mtime))
    (folder.parent / (folder.name + ".lock")).write_text("")
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path))
    return tmp_path


def names(entries: list[cache_gc.Stale]) -> dict[str, str]:
    return {e.path.name: e.why for e in entries}


def test_older_kernel_builds_of_the_same_release_and_flavour_are_stale(cache: Path) -> None:
    k = cache / "kernels"
    build(k / f"6.1.192-normal-{H1}", MARKER, 100)
    build(k / f"6.1.192-normal-{H2}", MARKER, 200)
    build(k / f"6.1.192-debug-{H3}", MARKER, 50)
    build(k / f"5.10.262-normal-{H3}", None, 300)
    stale = names(cache_gc.stale_entries())
    assert stale == {
        f"6.1.192-normal-{H1}": f"superseded by 6.1.192-normal-{H2}",
        f"5.10.262-normal-{H3}": "unfinished or an older layout (no build marker)",
    }


def test_module_builds_of_removed_kernels_and_beyond_the_newest_few_are_stale(cache: Path) -> None:
    k, m = cache / "kernels", cache / "modules"
    old_kernel, kernel = f"6.1.192-normal-{H1}", f"6.1.192-normal-{H2}"
    build(k / old_kernel, MARKER, 100)
    build(k / kernel, MARKER, 200)
    build(m / f"{old_kernel}-auto-{H3}", MARKER, 100)
    digests = [f"{i:012x}" for i in range(cache_gc.KEEP_MODULES + 2)]
    for i, d in enumerate(digests):
        build(m / f"{kernel}-auto-{d}", MARKER, 1000 + i)
    build(m / f"{kernel}-bundled-debug-{H1}", MARKER, 10)
    build(m / f"{kernel}-auto", None, 0)
    stale = names(cache_gc.stale_entries())
    assert stale.pop(old_kernel).startswith("superseded")
    assert stale.pop(f"{old_kernel}-auto-{H3}") == f"its kernel build {old_kernel} is gone"
    assert stale.pop(f"{kernel}-auto").startswith("unfinished")
    # the two oldest of the auto builds go; the newest KEEP_MODULES and the bundled-debug one stay
    assert stale == {f"{kernel}-auto-{d}": f"older than the newest {cache_gc.KEEP_MODULES} of its kernel"
                     for d in digests[:2]}


def test_remove_stale_deletes_folders_and_locks_but_never_a_locked_build(cache: Path) -> None:
    k = cache / "kernels"
    build(k / f"6.1.192-normal-{H1}", MARKER, 100)
    busy = build(k / f"6.1.192-normal-{H2}", None, 0)  # being built by someone right now
    build(k / f"6.1.192-normal-{H3}", MARKER, 300)
    fd = os.open(k / (busy.name + ".lock"), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        removed = cache_gc.remove_stale()
    finally:
        os.close(fd)
    assert [(s.path.name, size) for s, size in removed] == [(f"6.1.192-normal-{H1}", 1002)]
    assert not (k / f"6.1.192-normal-{H1}").exists()
    assert not (k / f"6.1.192-normal-{H1}.lock").exists()
    assert busy.exists() and (k / f"6.1.192-normal-{H3}").exists()


def test_dry_run_removes_nothing(cache: Path) -> None:
    k = cache / "kernels"
    old = build(k / f"6.1.192-normal-{H1}", MARKER, 100)
    build(k / f"6.1.192-normal-{H2}", MARKER, 200)
    assert [s.path for s, _ in cache_gc.remove_stale(dry_run=True)] == [old]
    assert old.exists()


def test_module_builds_against_header_trees_are_kept_by_recency_only(cache: Path) -> None:
    m = cache / "modules"
    for i in range(cache_gc.KEEP_MODULES + 1):
        build(m / f"linux-headers-6.12.117+deb12-amd64-bundled-{i:012x}", MARKER, 100 + i)
    assert names(cache_gc.stale_entries()) == {
        f"linux-headers-6.12.117+deb12-amd64-bundled-{0:012x}":
            f"older than the newest {cache_gc.KEEP_MODULES} of its kernel"}
