"""Throwaway Debian roots: where the DKMS path is tried, never on the host.

A root starts from a cached chroot of the suite (wgcompat.chroot: mmdebstrap, the suite's
apt sources, kept like the kernels) with the packages the path needs: dkms, python3,
python3-jinja2, and openssl for DKMS's signing key. Each use copies that chroot into a
temporary folder; commands run in the copy through chroot inside a private mount
namespace (unshare), with /proc, /sys, /dev and a tmpfs /run mounted there only, so the
host's /var/lib/dkms, /etc/dkms, /lib/modules and mounts are never touched, and
everything goes when the copy is removed.

Inside the root, apt reaches the same Debian mirror as the host, so installing a
kernel's headers there is the packager's own ``apt-get install linux-headers-...``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wgcompat import chroot
from wgcompat.errors import UserError
from wgcompat.progress import say
from wgcompat.vm.console import CommandResult  # a command's status and output, as in a guest

BASE_PACKAGES = ("dkms", "python3", "python3-jinja2", "kmod", "openssl")
# what the path runs inside the root: apt and dkms, with no terminal to ask questions on
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
       "DEBIAN_FRONTEND": "noninteractive"}


@dataclass(frozen=True)
class RootImage:
    """A cached chroot that throwaway roots are copied from."""

    suite: str
    tree: Path
    # apt sources each copy gets beside the chroot's own (a backports suite's, over its base suite)
    extra_sources: tuple[str, ...] = ()


def root_image(suite: str, packages: Sequence[str] = BASE_PACKAGES) -> RootImage:
    """The cached chroot of ``suite`` with ``packages``, made on first use (2-3 minutes). A
    backports suite (bookworm-backports) is its base suite's chroot whose copies also get the
    backports source, as a user of that suite adds it."""
    base = suite.removesuffix("-backports")
    made = chroot.obtain(base, packages, commands=(), progress=say)
    return RootImage(suite, made.root, tuple(chroot.sources(suite)) if base != suite else ())


class Root:
    """One unpacked copy of a root image; ``run`` executes a command inside it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, argv: Sequence[str], check: bool = True, timeout: float = 1800) -> CommandResult:
        # mounts made inside the new namespace vanish with it; the host sees none of them
        script = ('set -e; r=$1; shift; mount -t proc proc "$r/proc"; mount -t sysfs sys "$r/sys"; '
                  'mount --rbind /dev "$r/dev"; mount -t tmpfs tmpfs "$r/run"; '
                  'exec chroot "$r" /usr/bin/env -i "$@"')
        env_args = [f"{k}={v}" for k, v in ENV.items()]
        full = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(self.path),
                *env_args, *argv]
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        result = CommandResult(done.returncode, done.stdout + done.stderr)
        if check and done.returncode != 0:
            tail = "\n".join(result.output.strip().splitlines()[-25:])
            raise AssertionError(f"in the {self.path.name} root, `{shlex.join(argv)}` exited "
                                 f"{done.returncode}:\n{tail}")
        return result

    def sh(self, command: str, check: bool = True) -> CommandResult:
        return self.run(["sh", "-c", command], check=check)

    def put(self, source: Path, inside: str) -> str:
        """Copy a host file into the root; its path inside."""
        target = self.path / inside.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        return inside


@contextmanager
def throwaway_root(image: RootImage, parent: Path | None = None) -> Iterator[Root]:
    """A fresh copy of ``image``, removed afterwards whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix=f"wgcompat-root-{image.suite}-", dir=parent))
    try:
        done = subprocess.run(["cp", "-a", f"{image.tree}/.", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"copying the {image.suite} chroot {image.tree} failed: {done.stderr.strip()}",
                            f"check the free space under {folder.parent}; remove {image.tree.parent} to make it again")
        shutil.copy2("/etc/resolv.conf", folder / "etc" / "resolv.conf")
        if image.extra_sources:
            (folder / "etc/apt/sources.list.d/wgcompat-extra.list").write_text(
                "".join(f"{line}\n" for line in image.extra_sources))
        os.chmod(folder, 0o755)
        yield Root(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
