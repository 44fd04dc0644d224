"""Throwaway Debian roots: where the DKMS path is tried, never on the host.

A root is a Debian suite made by mmdebstrap with the packages the path needs (dkms,
python3, python3-jinja2, openssl for DKMS's signing key), cached as a tarball under
``<cache>/roots/`` (wgcompat.cache: keyed on the suite, the packages, the mirror and
this code). Each use unpacks a fresh copy into a temporary folder; commands run in it
through chroot inside a private mount namespace (unshare), with /proc, /sys, /dev and a
tmpfs /run mounted there only, so the host's /var/lib/dkms, /etc/dkms, /lib/modules and
mounts are never touched, and everything goes when the copy is removed.

Inside the root, apt reaches the same Debian mirror as the host (its sources: the
suite, -updates and -security), so installing a kernel's headers there is the
packager's own ``apt-get install linux-headers-...``.
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

from wgcompat import cache, paths
from wgcompat.apt import host_debian_mirror
from wgcompat.errors import UserError
from wgcompat.progress import say

CODE = ("wgcompat.cache", "wgcompat.package.root")
BASE_PACKAGES = ("dkms", "python3", "python3-jinja2", "kmod", "openssl")
# what the path runs inside the root: apt and dkms, with no terminal to ask questions on
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
       "DEBIAN_FRONTEND": "noninteractive"}


def sources(suite: str, mirror: str) -> list[str]:
    """The root's apt sources: the suite, and its -updates and -security where Debian has them."""
    lines = [f"deb {mirror} {suite} main"]
    if suite not in ("sid", "unstable"):
        security = mirror.rsplit("/", 1)[0] + "/debian-security"
        lines += [f"deb {mirror} {suite}-updates main", f"deb {security} {suite}-security main"]
    return lines


@dataclass(frozen=True)
class RootImage:
    """A cached root: the tarball mmdebstrap wrote."""

    suite: str
    tarball: Path


def root_image(suite: str, packages: Sequence[str] = BASE_PACKAGES) -> RootImage:
    """The cached root of ``suite`` with ``packages``, made on first use (2-3 minutes)."""
    if shutil.which("mmdebstrap") is None:
        raise UserError("mmdebstrap is not installed; it makes the throwaway Debian roots the DKMS path runs in",
                        "apt-get install mmdebstrap (tools/apt-packages.txt lists it; ./wgc installs it)")
    mirror = host_debian_mirror()
    key = cache.InputKey().code(*CODE).add("suite", suite).add("packages", " ".join(sorted(packages)))
    key.add("sources", "\n".join(sources(suite, mirror)))
    entry = cache.Entry(paths.cache_root() / "roots" / f"{suite}-{key.hexdigest(12)}", key.inputs)

    def make(folder: Path) -> dict[str, str]:
        say(f"making a throwaway Debian {suite} root with {', '.join(packages)} (mmdebstrap, once)")
        log = folder / "mmdebstrap.log"
        tarball = folder / "root.tar"
        argv = ["mmdebstrap", "--variant=apt", f"--include={','.join(packages)}", suite, str(tarball),
                *sources(suite, mirror)]
        with log.open("w") as out:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
            raise UserError(f"mmdebstrap could not make the Debian {suite} root:\n{tail}",
                            f"check that {mirror} is reachable; the whole log is {log}")
        return {"tarball": str(tarball)}

    outcome = cache.obtain(entry, f"the Debian {suite} root", make, wait=True)
    return RootImage(suite, Path(outcome.result["tarball"]))


@dataclass
class Completed:
    argv: list[str]
    returncode: int
    output: str


class Root:
    """One unpacked copy of a root image; ``run`` executes a command inside it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, argv: Sequence[str], check: bool = True, timeout: float = 1800) -> Completed:
        # mounts made inside the new namespace vanish with it; the host sees none of them
        script = ('set -e; r=$1; shift; mount -t proc proc "$r/proc"; mount -t sysfs sys "$r/sys"; '
                  'mount --rbind /dev "$r/dev"; mount -t tmpfs tmpfs "$r/run"; '
                  'exec chroot "$r" /usr/bin/env -i "$@"')
        env_args = [f"{k}={v}" for k, v in ENV.items()]
        full = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(self.path),
                *env_args, *argv]
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        result = Completed(list(argv), done.returncode, done.stdout + done.stderr)
        if check and done.returncode != 0:
            tail = "\n".join(result.output.strip().splitlines()[-25:])
            raise AssertionError(f"in the {self.path.name} root, `{shlex.join(argv)}` exited "
                                 f"{done.returncode}:\n{tail}")
        return result

    def sh(self, command: str, check: bool = True) -> Completed:
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
        done = subprocess.run(["tar", "-C", str(folder), "--numeric-owner", "-xf", str(image.tarball)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"unpacking {image.tarball} failed: {done.stderr.strip()}",
                            f"remove {image.tarball.parent} (the next run makes the root again)")
        shutil.copy2("/etc/resolv.conf", folder / "etc" / "resolv.conf")
        os.chmod(folder, 0o755)
        yield Root(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
