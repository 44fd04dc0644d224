"""Debian packages for the guest: fetching them from the private apt environment, reading
their control fields, and the runtime dependency closure of a package list.

The closure follows Depends and Pre-Depends (the first alternative that was downloaded,
or a package that Provides it) and leaves out what only installing packages needs
(maintainer scripts: ``SKIP_PACKAGES``, ``SKIP_PATTERNS``) or what busybox covers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wgcompat import paths
from wgcompat.errors import UserError
from wgcompat.image.hosttools import run_tool

SUITE = "bookworm"

# Needed only to install packages (maintainer scripts), or covered by busybox.
SKIP_PACKAGES: frozenset[str] = frozenset({
    "dpkg", "debconf", "debconf-2.0", "cdebconf", "adduser", "passwd", "perl-base", "perl", "init-system-helpers",
    "usrmerge", "coreutils", "tar", "mawk", "debianutils", "base-files", "logsave", "sensible-utils",
    "lsb-base", "sysvinit-utils", "libpam-modules", "libpam-modules-bin", "libpam0g", "libpam-runtime",
    "libsemanage2", "libsemanage-common", "libsepol2", "udev", "systemd", "initramfs-tools",
    "initramfs-tools-core", "linux-base", "klibc-utils", "libklibc", "cpio", "readline-common",
})
SKIP_PATTERNS = (re.compile(r"^perl-modules-"), re.compile(r"^libperl\d"))


@dataclass(frozen=True)
class DebInfo:
    path: Path
    package: str
    version: str
    depends: tuple[tuple[str, ...], ...]   # each a list of alternatives
    provides: tuple[str, ...]


def _split_relations(text: str) -> tuple[tuple[str, ...], ...]:
    out: list[tuple[str, ...]] = []
    for group in filter(None, (g.strip() for g in text.split(","))):
        alts = tuple(re.split(r"[\s(:\[]", a.strip(), maxsplit=1)[0] for a in group.split("|"))
        out.append(tuple(a for a in alts if a))
    return tuple(out)


def read_deb(path: Path) -> DebInfo:
    proc = run_tool(["dpkg-deb", "-f", str(path), "Package", "Version", "Depends", "Pre-Depends", "Provides"])
    if proc.returncode != 0:
        raise UserError(f"{path} is not a readable .deb: {proc.stderr.strip()}",
                        f"delete {path} and run the command again to download it anew")
    fields: dict[str, str] = {}
    key = ""
    for line in proc.stdout.splitlines():
        if line[:1].isspace() and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    deps = _split_relations(fields.get("Pre-Depends", "")) + _split_relations(fields.get("Depends", ""))
    provides = tuple(p[0] for p in _split_relations(fields.get("Provides", "")))
    return DebInfo(path=path, package=fields.get("Package", ""), version=fields.get("Version", ""),
                   depends=deps, provides=provides)


def _newest(a: DebInfo, b: DebInfo) -> DebInfo:
    proc = run_tool(["dpkg", "--compare-versions", a.version, "gt", b.version])
    return a if proc.returncode == 0 else b


def skipped(package: str) -> bool:
    return package in SKIP_PACKAGES or any(p.match(package) for p in SKIP_PATTERNS)


def closure(roots: Sequence[str], debs: Sequence[Path]) -> list[DebInfo]:
    """The runtime dependency closure of ``roots`` among ``debs`` (install-time packages skipped)."""
    by_name: dict[str, DebInfo] = {}
    for d in debs:
        info = read_deb(d)
        by_name[info.package] = _newest(info, by_name[info.package]) if info.package in by_name else info
    providers: dict[str, str] = {}
    for info in by_name.values():
        for p in info.provides:
            providers.setdefault(p, info.package)
    chosen: dict[str, DebInfo] = {}
    todo = list(roots)
    for root in roots:
        if root not in by_name:
            raise UserError(f"the guest package {root} was not downloaded",
                            f"check that Debian {SUITE} has {root}; the downloaded files are in {debs[0].parent if debs else '?'}")
    while todo:
        name = todo.pop()
        name = name if name in by_name else providers.get(name, name)
        if name in chosen or skipped(name) or name not in by_name:
            continue
        info = by_name[name]
        chosen[name] = info
        for alts in info.depends:
            if any(a in chosen or (providers.get(a) in chosen) for a in alts):
                continue
            pick = next((a for a in alts if a in by_name or a in providers), None)
            if pick is not None:
                todo.append(pick)
    return sorted(chosen.values(), key=lambda i: i.package)


def download_debs(packages: Sequence[str], architecture: str = "amd64") -> list[Path]:
    """The .deb files of ``packages`` and their closure for ``architecture`` (Debian's name),
    from the private apt environment."""
    from wgcompat.apt import apt_env

    env = apt_env(paths.cache_root(), SUITE, architecture)
    env.update()
    env.download_closure(list(packages))
    return sorted(env.archives.glob("*.deb"))
