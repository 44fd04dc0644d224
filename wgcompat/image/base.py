"""The guest's base image: its Debian userland as one cpio archive, built once per package
set and kept in the cache.

``build_base`` asks for the .deb files of ``BASE_PACKAGES`` (debs.py), takes their
runtime closure, stages the root tree (staging.py) and writes it as a cpio "newc"
archive with the device nodes the kernel needs before devtmpfs (``write_archive``). The
image lives in ``paths.initramfs_dir()/base-<family>-<debs>/`` with a manifest.json: the
family hashes the package list, the compression, ``BUILDER_VERSION`` and the sources of
the builder (``BUILDER_SOURCES`` and files/); the second half hashes the exact .deb file
names. An image is built in a temporary folder and renamed into place only when complete,
so an interrupted build is never taken for a finished one; a newer image of the same
family replaces the older one.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgcompat import arch as arch_mod
from wgcompat import paths
from wgcompat.image.cpio import CpioWriter
from wgcompat.image.debs import SUITE, closure, download_debs
from wgcompat.image.staging import FILES, populate
from wgcompat.progress import Ticker

BUILDER_VERSION = 3
HERE = Path(__file__).resolve().parent
# the sources whose every change may change the image
BUILDER_SOURCES = ("base.py", "debs.py", "staging.py", "etc.py", "libcheck.py", "cpio.py")

BASE_PACKAGES: tuple[str, ...] = (
    "bash", "busybox-static", "iproute2", "wireguard-tools", "wireguard-go", "iputils-ping",
    "iperf3", "ncat", "iptables", "kmod", "procps", "python3-minimal", "netbase",
)

Compression = Literal["none", "gzip"]


@dataclass(frozen=True)
class BaseImage:
    path: Path                  # the cpio archive (append an overlay to it); manifest.json beside it
    debs: tuple[str, ...]       # exact .deb file names that went in
    size: int
    cached: bool
    seconds: float


def _key(packages: Sequence[str], compress: str, deb_names: Sequence[str] | None,
         arch: str = arch_mod.DEFAULT) -> str:
    h = hashlib.sha256()
    extra = {} if arch == arch_mod.DEFAULT else {"arch": arch}
    h.update(json.dumps({"v": BUILDER_VERSION, "packages": sorted(packages), "compress": compress, **extra,
                         "files": [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(FILES.iterdir())],
                         "builder": [hashlib.sha256((HERE / name).read_bytes()).hexdigest() for name in BUILDER_SOURCES]}).encode())
    if deb_names is not None:
        h.update(json.dumps(sorted(deb_names)).encode())
    return h.hexdigest()[:16]


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _complete_images(root: Path, family: str) -> list[Path]:
    """Finished base images of a package family, newest first (a temp dir is never one)."""
    found = [d for d in root.glob(f"base-{family}-*") if (d / "manifest.json").is_file()]
    return sorted(found, key=lambda d: (d / "manifest.json").stat().st_mtime, reverse=True)


def _load(d: Path, cached: bool, seconds: float) -> BaseImage:
    m = json.loads((d / "manifest.json").read_text())
    archive = d / m["archive"]
    return BaseImage(path=archive, debs=tuple(m["debs"]), size=archive.stat().st_size, cached=cached,
                     seconds=seconds)


def _clean_stale_tmp(root: Path) -> None:
    for d in root.glob(".tmp-base-*"):
        pid = d.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def build_base(*, cache_dir: Path | None = None, packages: Sequence[str] = BASE_PACKAGES,
               compress: Compression = "none", refresh: bool = False,
               fetch: Callable[[Sequence[str]], list[Path]] | None = None,
               progress: Callable[[str], None] = lambda s: None, arch: str = arch_mod.DEFAULT) -> BaseImage:
    """The base image for ``arch`` (wgcompat.arch), from the cache when one exists for these
    packages; ``fetch`` gives the .deb files (default: Debian's, for that architecture).

    ``refresh=True`` asks apt again and rebuilds when the .deb set changed.
    """
    started = time.monotonic()
    root = cache_dir or paths.initramfs_dir()
    target = arch_mod.get(arch)
    if fetch is None:
        def fetch(names: Sequence[str]) -> list[Path]:
            return download_debs(names, target.debian)
    family = _key(packages, compress, None, target.name)
    if not refresh:
        done = _complete_images(root, family)
        if done:
            return _load(done[0], True, time.monotonic() - started)
    with _locked(root / "base.lock"):
        if not refresh:  # someone else may have finished it while we waited
            done = _complete_images(root, family)
            if done:
                return _load(done[0], True, time.monotonic() - started)
        _clean_stale_tmp(root)
        progress(f"downloading the guest packages ({', '.join(packages)}) from Debian {SUITE} ({target.debian})")
        debs = fetch(packages)
        chosen = closure(packages, debs)
        names = [c.path.name for c in chosen]
        key = f"{family}-{_key(packages, compress, names, target.name)}"
        final = root / f"base-{key}"
        if (final / "manifest.json").is_file():
            os.utime(final / "manifest.json")
            return _load(final, True, time.monotonic() - started)
        progress(f"building the guest base image from {len(chosen)} packages")
        tmp = root / f".tmp-base-{key}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            staging = tmp / "root"
            staging.mkdir()
            archive = tmp / ("base.cpio.gz" if compress == "gzip" else "base.cpio")
            with Ticker(f"building the guest base image ({len(chosen)} packages)"):
                populate(staging, chosen, target)
                write_archive(staging, archive, compress, target)
            shutil.rmtree(staging)
            (tmp / "manifest.json").write_text(json.dumps({
                "key": key, "packages": list(packages), "debs": names, "archive": archive.name,
                "builder": BUILDER_VERSION, "compress": compress}, indent=1))
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)  # the image exists only once it is complete
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for older in _complete_images(root, family):
            if older != final:  # superseded images of the same package list (60 MB each)
                shutil.rmtree(older, ignore_errors=True)
        return _load(final, False, time.monotonic() - started)


def write_archive(staging: Path, archive: Path, compress: Compression,
                  arch: arch_mod.Arch = arch_mod.ARCHES[arch_mod.DEFAULT]) -> None:
    """The staged tree as the base archive, after the device nodes /init needs before it
    mounts devtmpfs (the console, /dev/null, the kernel console's and the shell's ports);
    gzip pads it so that an overlay appended to it starts aligned."""
    raw = archive if compress == "none" else archive.with_suffix("")
    with raw.open("wb") as f:
        w = CpioWriter(f)
        w.device("dev/console", "c", 5, 1)
        w.device("dev/null", "c", 1, 3, 0o666)
        w.device(f"dev/{arch.console}", "c", *arch.console_major_minor)
        w.device(f"dev/{arch.shell}", "c", *arch.shell_major_minor)
        w.tree("", staging)
        w.close()
    if compress == "gzip":
        with raw.open("rb") as src, gzip.open(archive, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        raw.unlink()
        pad = (-archive.stat().st_size) % 512  # the next archive must start 4-aligned
        with archive.open("ab") as f:
            f.write(b"\0" * pad)
