"""wgcompat-<version>.tar.gz: the packaged tree for every other distribution, and its sha256.

The archive holds one folder, wgcompat-<version>/, the same tree as the .deb's
/usr/src/wgcompat-<version>/ (so ``dkms add ./wgcompat-<version>`` works, and so does the
plain route: its generator/wgc-compat, then make). Entries are sorted, owned by root and
stamped with the commit's time: the same commit gives the same bytes and the same sum.
``verify`` checks a tarball against its .sha256 before anything is unpacked.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wgcompat.checksum import sha256_file
from wgcompat.errors import UserError
from wgcompat.package.tree import write_tree
from wgcompat.package.version import PackageVersion


@dataclass(frozen=True)
class TarballResult:
    tarball: Path
    sha256_file: Path
    sha256: str


def build_tarball(version: PackageVersion, stamp: int, out_dir: Path) -> TarballResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    top = f"wgcompat-{version.version}"
    tarball = out_dir / f"{top}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="wgcompat-tar-") as tmp:
        tree = write_tree(Path(tmp) / top, version)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for path in [tree, *sorted(tree.rglob("*"))]:
                info = archive.gettarinfo(str(path), arcname=path.relative_to(tree.parent).as_posix())
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = stamp
                info.mode = 0o755 if path.is_dir() or (path.is_file() and os.access(path, os.X_OK)) else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        archive.addfile(info, handle)
                else:
                    archive.addfile(info)
        partial = out_dir / f".{tarball.name}.partial"
        partial.write_bytes(gzip.compress(raw.getvalue(), compresslevel=9, mtime=stamp))
        os.replace(partial, tarball)
    digest = sha256_file(tarball)
    sums = out_dir / f"{tarball.name}.sha256"
    sums.write_text(f"{digest}  {tarball.name}\n")
    return TarballResult(tarball, sums, digest)


def verify(tarball: Path, sums_file: Path | None = None) -> str:
    """The tarball's sha256, after checking it against ``<tarball>.sha256`` (or the file given)."""
    sums = sums_file or tarball.with_name(tarball.name + ".sha256")
    if not sums.is_file():
        raise UserError(f"{sums} is missing, so {tarball.name} cannot be checked",
                        "download the .sha256 that was published with the tarball, next to it")
    expected = sums.read_text().split()[0] if sums.read_text().split() else ""
    actual = sha256_file(tarball)
    if actual != expected:
        raise UserError(f"{tarball.name} does not match its sha256 ({actual}, {sums.name} says {expected}): "
                        "the file is damaged or was altered",
                        "download the tarball and its .sha256 again from where they were published; do not unpack this one")
    return actual
