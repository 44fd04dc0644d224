"""What a guest boots besides its kernel: one initrd file, the cached base image followed by
the guest's own overlay (QEMU takes a single -initrd; Linux unpacks concatenated cpio
archives in order, so the overlay's files win).

``boot_image`` makes it in a per-boot folder ``<cache>/tmp/boot-<pid>-<name>-*/`` and
removes that folder when the guest is done with it; folders that killed harness processes
left behind are removed at the next boot.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wgcompat import paths
from wgcompat.image.base import BaseImage, build_base
from wgcompat.image.overlay import OverlayRequest, build_overlay


@dataclass(frozen=True)
class BootImage:
    """A ready initrd and what went into it (the launcher records it in boot.json)."""

    initrd: Path
    base: Path                  # the base archive it starts with
    release: str | None         # the kernel release of the overlay's modules
    modules: int                # .ko files in the overlay
    reference_ko: bool          # the kernel's own wireguard.ko is in /lib/modules/reference
    seconds: float              # to make it (base from the cache, overlay, concatenation)
    arch: str = "x86_64"        # wgcompat.arch: the architecture of its programs


def concatenate(parts: Sequence[Path], out: Path) -> Path:
    """One initrd file from the base and overlay archives, each part starting 4-aligned."""
    with out.open("wb") as dst:
        for p in parts:
            with p.open("rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            pad = (-dst.tell()) % 4
            dst.write(b"\0" * pad)
    return out


def _clean_stale_boot_dirs(tmp_root: Path) -> None:
    """Remove per-boot folders left by harness processes that were killed."""
    for d in tmp_root.glob("boot-*"):
        pid = d.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


@contextmanager
def boot_image(request: OverlayRequest, *, base: BaseImage | None = None, name: str = "vm") -> Iterator[BootImage]:
    """The initrd of one guest: ``base`` (default: the cached base image, built if missing)
    plus the overlay of ``request``; removed when the block ends."""
    tmp_root = paths.cache_root() / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    _clean_stale_boot_dirs(tmp_root)
    with tempfile.TemporaryDirectory(prefix=f"boot-{os.getpid()}-{name}-", dir=tmp_root) as tmpname:
        tmp = Path(tmpname)
        started = time.monotonic()
        base = base or build_base(arch=request.arch)
        overlay = build_overlay(request, tmp / "overlay.cpio")
        initrd = concatenate([base.path, overlay.path], tmp / "initrd.img")
        yield BootImage(initrd=initrd, base=base.path, release=overlay.release, modules=overlay.modules,
                        reference_ko=overlay.reference_ko, seconds=time.monotonic() - started, arch=request.arch)
