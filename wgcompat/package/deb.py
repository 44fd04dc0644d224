"""wgcompat-dkms_<version>_all.deb, built with dpkg-deb from the packaged tree.

dpkg-deb, not debhelper: the package is one source tree under /usr/src, a dkms.conf and
two maintainer scripts, so there is nothing for a debian/rules to build, and dpkg-deb is
in every Debian (no build-dependencies to install, nothing written outside the staging
folder). The maintainer scripts do what dh_dkms's do: postinst hands the tree to
Debian's /usr/lib/dkms/common.postinst (dkms add, build and install for each kernel with
headers); prerm runs dkms remove --all. The .deb is checked with lintian
(tests/package/test_package.py).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.package.tree import FILES, write_tree
from wgcompat.package.version import PackageVersion

PACKAGE = "wgcompat-dkms"
# what the generator and DKMS need at install time
DEPENDS = "dkms (>= 2.8), python3 (>= 3.9), python3-jinja2"
DESCRIPTION = """\
WireGuard kernel module for any Linux kernel (DKMS)
 wgcompat's WireGuard module (wireguard.ko), which the stock wg, wg-quick
 and "ip link add type wireguard" drive, built by DKMS for each installed
 kernel.
 .
 Before each build a generator asks that kernel's headers which interfaces
 it has and writes compat.h, so one source tree builds on kernels from 4.19
 on, distribution backports included. The module's version sorts above the
 in-tree module's 1.0.0, so on kernels that have their own WireGuard, DKMS
 installs this one in its place (under updates/dkms, which modprobe
 prefers)."""


@dataclass(frozen=True)
class DebResult:
    deb: Path
    version: PackageVersion


def _dpkg_deb() -> str:
    path = shutil.which("dpkg-deb")
    if path is None:
        raise UserError("dpkg-deb was not found on PATH; it builds the .deb",
                        "install dpkg (apt-get install dpkg), or build only the tarball")
    return path


def _installed_size_kib(root: Path) -> int:
    return sum((p.stat().st_size + 1023) // 1024 for p in root.rglob("*") if p.is_file())


def _changelog(version: PackageVersion, maintainer: str, stamp: int) -> bytes:
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(stamp))
    text = (f"{PACKAGE} ({version.version}) unstable; urgency=medium\n\n"
            f"  * Packaged from {version.source}.\n\n -- {maintainer}  {date}\n")
    # mtime fixed and no file name: the same commit gives the same bytes
    return gzip.compress(text.encode(), compresslevel=9, mtime=stamp)


def _script(name: str, version: PackageVersion) -> str:
    return (FILES / name).read_text().replace("@VERSION@", version.version)


def build_deb(version: PackageVersion, maintainer: str, stamp: int, out_dir: Path) -> DebResult:
    """Stage the package in a temporary folder and build it into ``out_dir``."""
    dpkg_deb = _dpkg_deb()
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version.version}_all.deb"
    with tempfile.TemporaryDirectory(prefix="wgcompat-deb-") as tmp:
        root = Path(tmp) / "root"
        write_tree(root / "usr" / "src" / f"wgcompat-{version.version}", version)
        doc = root / "usr" / "share" / "doc" / PACKAGE
        doc.mkdir(parents=True)
        shutil.copy2(FILES / "copyright", doc / "copyright")
        # a native package (no Debian revision): changelog.gz, not changelog.Debian.gz
        (doc / "changelog.gz").write_bytes(_changelog(version, maintainer, stamp))
        control = root / "DEBIAN"
        control.mkdir()
        md5sums = []
        for path in sorted(p for p in root.rglob("*") if p.is_file() and control not in p.parents):
            md5sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}\n")
        (control / "md5sums").write_text("".join(md5sums))
        (control / "control").write_text(
            f"Package: {PACKAGE}\nVersion: {version.version}\nArchitecture: all\n"
            f"Maintainer: {maintainer}\nInstalled-Size: {_installed_size_kib(root)}\n"
            f"Depends: {DEPENDS}\nRecommends: wireguard-tools\n"
            # what wireguard-tools asks for (wireguard-modules | wireguard-dkms): ours counts,
            # so installing wg does not pull in a kernel package for its module
            f"Provides: wireguard-modules (= {version.version})\n"
            f"Section: kernel\nPriority: optional\n"
            f"Description: {DESCRIPTION}\n")
        for name in ("postinst", "prerm"):
            (control / name).write_text(_script(name, version))
        _normalise(root, stamp)
        partial = out_dir / f".{deb.name}.partial"
        done = subprocess.run([dpkg_deb, "--root-owner-group", "-Zxz", "--build", str(root), str(partial)],
                              capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": str(stamp)})
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise UserError(f"dpkg-deb failed to build {deb.name}:\n{done.stderr.strip()}",
                            "fix the staged package (the error names the file) and run invoke package again")
        os.replace(partial, deb)
    return DebResult(deb, version)


def _normalise(root: Path, stamp: int) -> None:
    """Modes dpkg and lintian expect (0755 for folders and scripts, 0644 otherwise) and
    one modification time, so the same commit gives the same package."""
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
        elif path.is_file():
            path.chmod(0o755 if path.read_bytes().startswith(b"#!") else 0o644)
        os.utime(path, (stamp, stamp), follow_symlinks=False)
