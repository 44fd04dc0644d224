"""The guest's root tree, staged on the host from the chosen Debian packages: unpacked with
``dpkg-deb -x``, trimmed (docs, man pages, locales, init-system files), the folders a
booted system needs, busybox applet links for what no package provides, the iptables-nft
alternatives, /etc (etc.py), the harness's own guest programs (files/: /init, the console
server, wgc-load-reference), and the library check (libcheck.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from wgcompat.arch import ARCHES, DEFAULT, Arch
from wgcompat.errors import UserError
from wgcompat.image.debs import DebInfo
from wgcompat.image.etc import write_etc
from wgcompat.image.hosttools import run_tool
from wgcompat.image.libcheck import PROGRAM_DIRS, check_libraries

FILES = Path(__file__).resolve().parent / "files"

# Trimmed from the staging tree.
PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
         "usr/share/bug", "usr/share/bash-completion", "usr/share/zsh", "usr/share/fish", "usr/share/menu",
         "usr/share/common-licenses", "usr/share/doc-base", "usr/share/pixmaps", "usr/share/applications",
         "usr/lib/python3.11/pydoc_data", "usr/lib/python3.11/ensurepip", "etc/init.d", "etc/cron.daily",
         "etc/logrotate.d", "lib/systemd", "usr/lib/systemd", "etc/systemd")

FOLDERS = ("proc", "sys", "dev", "tmp", "run", "root", "mnt", "var/tmp", "var/lib", "etc", "lib/modules",
           "usr/lib/wgcompat", "usr/local/bin", "usr/local/sbin", "sys/fs/cgroup")

IPTABLES_ALTERNATIVES = {
    "iptables": "xtables-nft-multi", "iptables-save": "xtables-nft-multi", "iptables-restore": "xtables-nft-multi",
    "ip6tables": "xtables-nft-multi", "ip6tables-save": "xtables-nft-multi", "ip6tables-restore": "xtables-nft-multi",
}

# the harness's guest programs: file of files/ -> where it goes in the guest
HARNESS_PROGRAMS = {"init": "init", "wgc-server": "usr/lib/wgcompat/wgc-server",
                    "wgc-load-reference": "usr/local/sbin/wgc-load-reference"}


def populate(staging: Path, chosen: Sequence[DebInfo], arch: Arch = ARCHES[DEFAULT]) -> None:
    """Fill the empty folder ``staging`` with the guest's root tree (of ``arch``'s packages)."""
    for info in chosen:
        proc = run_tool(["dpkg-deb", "-x", str(info.path), str(staging)])
        if proc.returncode != 0:
            raise UserError(f"dpkg-deb could not unpack {info.path.name}: {proc.stderr.strip()}",
                            f"delete {info.path} and run again to download it anew")
    for rel in PRUNE:
        shutil.rmtree(staging / rel, ignore_errors=True)
    for d in FOLDERS:
        (staging / d).mkdir(parents=True, exist_ok=True)
    os.chmod(staging / "tmp", 0o1777)
    os.chmod(staging / "var/tmp", 0o1777)
    _busybox_links(staging, arch)
    sbin = staging / "usr/sbin"
    for name, target in IPTABLES_ALTERNATIVES.items():
        if (sbin / target).exists() and not _exists_anywhere(staging, name):
            (sbin / name).symlink_to(target)
    write_etc(staging)
    for name, rel in HARNESS_PROGRAMS.items():
        shutil.copy2(FILES / name, staging / rel)
        os.chmod(staging / rel, 0o755)
    check_libraries(staging, arch.gnu)


def _exists_anywhere(staging: Path, name: str) -> bool:
    return any(os.path.lexists(staging / d / name) for d in PROGRAM_DIRS)


def _busybox_links(staging: Path, arch: Arch) -> None:
    busybox = staging / "bin/busybox"
    if not busybox.is_file():
        raise UserError("busybox-static did not provide /bin/busybox in the guest image",
                        "check the busybox-static package of Debian bookworm in the private apt archive")
    # The guest's busybox lists its applets where the host can run it; for another
    # architecture the host's own busybox-static (the same Debian version) lists them.
    lister = str(busybox) if arch.native else (shutil.which("busybox") or "busybox")
    proc = subprocess.run([lister, "--list-full"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"cannot list the busybox applets: {proc.stderr.strip()}",
                        f"the host must be able to run {lister} (apt-get install busybox-static)")
    for entry in proc.stdout.split():
        name = entry.rsplit("/", 1)[-1]
        if name in ("init", "linuxrc") or _exists_anywhere(staging, name):
            continue
        link = staging / entry
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
