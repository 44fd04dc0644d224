"""The version of a packaged module: what it sorts as and what it was built from.

``1.1.<commit date>.<commit time>`` (UTC, the committer's date of HEAD), for example
1.1.20261202.1311: later commits sort later (dpkg, DKMS and ``sort -V`` agree), and every
version sorts above the in-tree module's 1.0.0, so DKMS installs ours in its place. The
commit itself goes into ``wgcompat_source`` (``git-<12 hex digits>``, ``-dirty`` when the
work tree differs from it), which modinfo shows next to ``version``.

A packaged tree carries both in its version.mk, which module/Kbuild reads; a build from
a checkout, without that file, is 1.1.0 from "checkout".
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError

SERIES = "1.1"
VERSION_MK = "version.mk"


@dataclass(frozen=True)
class PackageVersion:
    version: str  # 1.1.20261202.1311
    source: str  # git-495971b0a1b2[-dirty]

    def version_mk(self) -> str:
        return ("# SPDX-License-Identifier: GPL-2.0\n"
                "# Written by wgcompat/package/version.py: the version this tree was packaged as.\n"
                f"WGM_VERSION := {self.version}\nWGM_SOURCE := {self.source}\n")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}",
                        "run invoke package in a git checkout of wgcompat: the version names its commit")
    return done.stdout.strip()


def from_git(repo: Path) -> PackageVersion:
    """The version of HEAD of the checkout ``repo``."""
    commit, stamp = _git(repo, "log", "-1", "--format=%H %ct").split()
    dirty = _git(repo, "status", "--porcelain", "--untracked-files=no") != ""
    date = time.strftime("%Y%m%d.%H%M", time.gmtime(int(stamp)))
    return PackageVersion(f"{SERIES}.{date}", f"git-{commit[:12]}{'-dirty' if dirty else ''}")
