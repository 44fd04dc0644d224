"""package(): the .deb and the source tarball of the checkout's HEAD (`invoke package`)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.package.deb import build_deb
from wgcompat.package.tarball import build_tarball
from wgcompat.package.version import from_git
from wgcompat.paths import REPO


@dataclass(frozen=True)
class PackageRequest:
    out_dir: Path = REPO / "dist"
    maintainer: str | None = None  # "Name <address>"; default: the author of HEAD


@dataclass(frozen=True)
class PackageResult:
    version: str
    source: str
    deb: Path
    tarball: Path
    sha256_file: Path
    sha256: str


def _head(field: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), "log", "-1", f"--format={field}"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def package(request: PackageRequest) -> PackageResult:
    """Both artefacts of ``invoke package`` from the checkout's HEAD (see wgcompat/package/__init__.py)."""
    version = from_git(REPO)
    maintainer = request.maintainer or _head("%an <%ae>")
    if "<" not in maintainer or not maintainer.rstrip().endswith(">"):
        raise UserError(f"the maintainer {maintainer!r} is not 'Name <address>'",
                        "pass --maintainer 'Your Name <you@example.org>'")
    stamp = int(_head("%ct"))
    deb = build_deb(version, maintainer, stamp, request.out_dir)
    tar = build_tarball(version, stamp, request.out_dir)
    return PackageResult(version.version, version.source, deb.deb, tar.tarball, tar.sha256_file, tar.sha256)
