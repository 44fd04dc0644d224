"""Cleaning the cache: everything (``invoke clean``) or only what is stale (``--stale``).

Kernel builds are named by release, flavour and a digest of what went into them
(``<release>-<flavour>-<digest>``), module builds by the kernel build's folder, crypto,
debug and a digest of what went into them (``<kernel build>-<crypto>[-debug]-<digest>``;
``<kernel build>-dkms-<digest>`` for one DKMS built from our .deb, wgcompat.package.dkms_build);
see wgcompat.cache. Every change to an input therefore leaves the previous build behind. Stale:

- a kernel build superseded by a newer finished one of the same release and flavour;
- a module build whose kernel build (one the harness built) is gone, or older than the
  newest ``KEEP_MODULES`` finished ones of the same kernel, crypto and debug setting;
- any build folder without its marker (unfinished or from an older layout).

"Newest" is the marker's time, which a build reuse refreshes. A build whose lock another
process holds is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from wgcompat import paths
from wgcompat.cache import MARKER, lock_path, locked

KEEP_MODULES = 3
KERNEL_NAME = re.compile(r"^(?P<group>.+-(?:normal|debug))-[0-9a-f]{12}$")
MODULE_NAME = re.compile(r"^(?P<kernel>.+)-(?P<setting>(?:auto|bundled)(?:-debug)?|dkms)-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Stale:
    path: Path
    why: str


def _finished_at(folder: Path) -> float | None:
    try:
        return (folder / MARKER).stat().st_mtime
    except OSError:
        return None


def _folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


Dated = list[tuple[re.Match[str], Path]]


def _sort_builds(root: Path, name: re.Pattern[str]) -> tuple[list[Stale], Dated]:
    """Folders without a marker or a name of ``name``'s form (stale), and the others,
    most recently used first."""
    unfinished: list[Stale] = []
    dated: list[tuple[float, re.Match[str], Path]] = []
    for folder in _folders(root):
        m = name.match(folder.name)
        used = _finished_at(folder)
        if m is None or used is None:
            unfinished.append(Stale(folder, "unfinished or an older layout (no build marker)"))
        else:
            dated.append((used, m, folder))
    dated.sort(key=lambda d: d[0], reverse=True)
    return unfinished, [(m, folder) for _, m, folder in dated]


def stale_kernel_builds(root: Path) -> list[Stale]:
    out, builds = _sort_builds(root, KERNEL_NAME)
    newest: dict[str, str] = {}
    for m, folder in builds:
        if m["group"] in newest:
            out.append(Stale(folder, f"superseded by {newest[m['group']]}"))
        else:
            newest[m["group"]] = folder.name
    return out


def stale_module_builds(root: Path, kernels: Path, removed: frozenset[str] = frozenset()) -> list[Stale]:
    """``removed``: names of kernel builds this same pass removes."""
    out, builds = _sort_builds(root, MODULE_NAME)
    kept: Counter[tuple[str, str]] = Counter()
    for m, folder in builds:
        kernel = m["kernel"]
        if KERNEL_NAME.match(kernel) and (kernel in removed or not (kernels / kernel / MARKER).is_file()):
            out.append(Stale(folder, f"its kernel build {kernel} is gone"))
        elif kept[(kernel, m["setting"])] >= KEEP_MODULES:
            out.append(Stale(folder, f"older than the newest {KEEP_MODULES} of its kernel"))
        else:
            kept[(kernel, m["setting"])] += 1
    return out


def stale_entries() -> list[Stale]:
    """What ``invoke clean --stale`` removes, with the reason for each; locked builds left out."""
    kernels = paths.kernels_dir()
    doomed = stale_kernel_builds(kernels)
    doomed += stale_module_builds(paths.modules_dir(), kernels, frozenset(s.path.name for s in doomed))
    return [s for s in doomed if not locked(s.path)]


def _size(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def remove_stale(dry_run: bool = False) -> list[tuple[Stale, int]]:
    """Removes the stale builds (and their lock files); returns each with its size in bytes."""
    removed = []
    for s in stale_entries():
        size = _size(s.path)
        if not dry_run:
            shutil.rmtree(s.path, ignore_errors=True)
            lock_path(s.path).unlink(missing_ok=True)
        removed.append((s, size))
    return removed


def everything(downloads_too: bool) -> list[Path]:
    """The folders ``invoke clean`` removes: build outputs, and with ``downloads_too`` the
    downloads, unpacked sources (Debian's prebuilt kernels too), the chroots, apt state and ccache."""
    root = paths.cache_root()
    doomed = [paths.kernels_dir(), paths.modules_dir(), paths.initramfs_dir(), paths.logs_dir(),
              root / "compat", root / "compat-out", paths.REPO / "reports"]
    if downloads_too:
        doomed += [paths.downloads_dir(), paths.sources_dir(), root / "debian-kernels", root / "chroots",
                   root / "apt", root / "ccache"]
    return [d for d in doomed if d.exists()]
