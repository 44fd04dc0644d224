"""Throwaway chroots of a Debian suite, made with mmdebstrap, to build modules in.

Debian's trixie and sid kernel headers name a newer compiler (gcc-14, gcc-16) than
bookworm's, and their linux-kbuild programs (fixdep, modpost, objtool) link against a
newer C library. The host gets neither: the compat probes and the module build run in a
chroot of the headers' own suite instead, made from the same apt sources as the private
apt environment of that suite (wgcompat.apt), and kept like the kernels (wgcompat.cache):

    <cache>/chroots/<suite>-<digest>/root/     the suite's minimal system + the packages asked for
    <cache>/chroots/<suite>-<digest>/enter     runs a command inside (below)
    <cache>/chroots/<suite>-<digest>/bin/      make and the compiler, each running inside
    <cache>/chroots/<suite>-<digest>/mmdebstrap.log
    <cache>/chroots/<suite>-<digest>/wgcompat-complete.json   written last

The digest covers the suite, its apt sources, the packages and this file. ``enter CWD CMD...``
runs CMD in a private mount namespace (``unshare --mount``: nothing is mounted on the host)
where the cache root, /tmp and the repository are bind-mounted at their own paths inside the root, so a
path means the same inside and out: the headers, the probe folders and the module's build
copy all live in the cache (the suites' own test builds under the repository's reports/). ``bin/`` holds ``make`` and the compiler as commands that enter
the chroot: with it first on PATH, the compat generator's probe run (``make -C KDIR M=...``)
and its compiler checks run inside, with the compiler the module is then built with.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wgcompat import cache, paths
from wgcompat.apt import apt_env
from wgcompat.errors import UserError
from wgcompat.kernel.build import Progress

CODE = ("wgcompat.cache", "wgcompat.chroot")
STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

ENTER = """\
#!/bin/sh
# wgcompat.chroot: run a command in {root}, with {binds} bind-mounted at their own
# paths, in a mount namespace of its own. Usage: enter CWD COMMAND [ARG...]
# (a CWD the chroot does not see, outside those folders, becomes /)
if [ "$WGC_CHROOT_STAGE" != mounted ]; then
	exec unshare --mount --propagation private --fork env WGC_CHROOT_STAGE=mounted "$0" "$@"
fi
root={root_q}
for d in {binds_q}; do
	mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 125
done
mount -t proc proc "$root/proc" || exit 125
mount --rbind /dev "$root/dev" || exit 125
cwd=$1
shift
exec chroot "$root" /usr/bin/env -u WGC_CHROOT_STAGE PATH={path} /bin/sh -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$cwd" "$@"
"""

SHIM = """\
#!/bin/sh
# {name}, run in the chroot {root} (wgcompat.chroot)
exec {enter} "$PWD" {name} "$@"
"""


@dataclass(frozen=True)
class Chroot:
    """A ready chroot: ``enter`` runs a command in it, ``bin`` holds its make and compiler."""

    folder: Path
    suite: str

    @property
    def root(self) -> Path:
        return self.folder / "root"

    @property
    def enter(self) -> Path:
        return self.folder / "enter"

    @property
    def bin(self) -> Path:
        return self.folder / "bin"

    def argv(self, cmd: Sequence[str], cwd: Path) -> list[str]:
        """``cmd`` run inside, in ``cwd`` (a path under the cache root or /tmp)."""
        return [str(self.enter), str(cwd), *cmd]

    @contextmanager
    def on_path(self) -> Iterator[None]:
        """The chroot's make and compiler first on this process's PATH for the block."""
        before = os.environ.get("PATH", STANDARD_PATH)
        os.environ["PATH"] = f"{self.bin}:{before}"
        try:
            yield
        finally:
            os.environ["PATH"] = before


def binds() -> tuple[Path, ...]:
    """What the chroot sees of the host, at the same paths: the cache root, /tmp and the
    repository (whose reports/ holds the test suites' own build folders)."""
    return (paths.cache_root(), Path("/tmp"), paths.REPO)


def sources(suite: str) -> list[str]:
    """The apt source lines of the suite's private apt environment (wgcompat.apt)."""
    env = apt_env(paths.cache_root(), suite)
    env.prepare()
    return [line for line in (env.root / "etc/sources.list").read_text().splitlines() if line.strip()]


def host_apt_config() -> list[Path]:
    """The host's apt.conf.d files: the private apt environments read them (wgcompat.apt only
    replaces the sources and state), so the chroot's apt gets them too (proxies, a mirror's
    Check-Valid-Until, ...)."""
    parts = Path("/etc/apt/apt.conf.d")
    return sorted(p for p in parts.iterdir() if p.is_file()) if parts.is_dir() else []


def entry(suite: str, packages: Sequence[str], source_lines: Sequence[str]) -> cache.Entry:
    key = cache.InputKey().code(*CODE)
    key.add("suite", suite).add("sources", "\n".join(source_lines)).add("packages", "\n".join(sorted(packages)))
    key.add("apt config", "\n".join(f"{p}\0{p.read_text(errors='replace')}" for p in host_apt_config()))
    return cache.Entry(paths.cache_root() / "chroots" / f"{suite}-{key.hexdigest(12)}", key.inputs)


def check_tools() -> None:
    missing = [tool for tool in ("mmdebstrap", "unshare", "chroot") if shutil.which(tool) is None]
    if missing:
        raise UserError(f"building modules for this kernel needs a chroot of its suite, and {', '.join(missing)} "
                        "is not installed", "apt-get install mmdebstrap util-linux coreutils (./wgc installs them)")


def _write_scripts(folder: Path, commands: Sequence[str]) -> None:
    root = folder / "root"
    bind_text = " ".join(str(b) for b in binds())
    enter = folder / "enter"
    enter.write_text(ENTER.format(root=root, binds=bind_text, root_q=shlex.quote(str(root)),
                                  binds_q=" ".join(shlex.quote(str(b)) for b in binds()), path=STANDARD_PATH))
    enter.chmod(0o755)
    (folder / "bin").mkdir()
    for name in commands:
        shim = folder / "bin" / name
        shim.write_text(SHIM.format(name=shlex.quote(name), root=root, enter=shlex.quote(str(enter))))
        shim.chmod(0o755)


def _mmdebstrap(suite: str, packages: Sequence[str], source_lines: Sequence[str], folder: Path,
                progress: Progress) -> None:
    log = folder / "mmdebstrap.log"
    cmd = ["mmdebstrap", "--mode=root", "--variant=apt", f"--include={','.join(packages)}",
           *(f"--aptopt={conf}" for conf in host_apt_config()),
           "--aptopt=Acquire::Languages \"none\"",
           "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
           "--dpkgopt=path-exclude=/usr/share/locale/*",
           suite, str(folder / "root"), *source_lines]
    progress(f"making a {suite} chroot with {', '.join(packages)} (log: {log})")
    with log.open("w") as f:
        f.write(f"$ {shlex.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise UserError(f"mmdebstrap could not make the {suite} chroot (exit {proc.returncode}):\n{tail}\nfull log: {log}",
                        "check that the Debian mirror is reachable and carries these packages, then run again "
                        "(the unfinished chroot is removed then)")


def obtain(suite: str, packages: Sequence[str], commands: Sequence[str],
           progress: Progress = lambda _: None) -> Chroot:
    """The chroot of ``suite`` with ``packages``, made once; ``commands`` get shims in ``bin/``."""
    lines = sources(suite)
    the_entry = entry(suite, [*packages, *(f"command {c}" for c in commands)], lines)

    def make(folder: Path) -> dict[str, object]:
        check_tools()
        _mmdebstrap(suite, packages, lines, folder, progress)
        _write_scripts(folder, commands)
        return {"suite": suite, "packages": list(packages), "folder": str(folder)}

    cache.obtain(the_entry, f"the {suite} chroot {the_entry.path.name}", make, wait=True, progress=progress)
    return Chroot(folder=the_entry.path, suite=suite)


def planned(suite: str, packages: Sequence[str], commands: Sequence[str]) -> Path:
    """The folder :func:`obtain` makes for these arguments (made or not): a module build's key."""
    return entry(suite, [*packages, *(f"command {c}" for c in commands)], sources(suite)).path
