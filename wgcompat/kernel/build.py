"""Configure and build a small test kernel, out of tree, cached.

Layout under ``<cache>/kernels/<release>-<flavour>-<digest>/``:

    .config, arch/x86/boot/bzImage, Module.symvers, ...   the O= build tree
    modules-root/lib/modules/<uname -r>/                  make modules_install
    wgcompat.fragment                                     the merged fragments
    build.log                                             configure + build log
    wgcompat-complete.json                                written last: "complete"

A kernel for another architecture than x86_64 (wgcompat.arch) is cross-built by the host
in ``<release>-<arch>-<flavour>-<digest>/``, its image where that architecture keeps it.

The digest (wgcompat.cache) covers the merged fragments, the source tree, the compiler and
this stage's own code, so a change to any of them gives a new build. The source tree
counts by its origin when a provider fetched it (a Debian package version, a verified
kernel.org tarball) and by its contents when it is a local ``--kernel-src`` tree; its path
counts too, since the O= tree refers to its sources by path. A build without its marker
is unfinished (interrupted or failed) and is wiped and redone — ccache keeps that cheap —
so a half-built tree is never taken for a finished one. A second process wanting the same
build while one runs gets an error naming it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from wgcompat import arch as arch_mod
from wgcompat import cache, paths
from wgcompat.errors import UserError
from wgcompat.kernel import kconfig
from wgcompat.kernel.providers import SourceTree
from wgcompat.progress import Ticker, log_fraction

# The code that decides what a kernel build holds (its key's "code" inputs).
CODE = ("wgcompat.cache", "wgcompat.kernel.build", "wgcompat.kernel.kconfig")


@dataclass(frozen=True)
class KernelBuildRequest:
    source: SourceTree
    flavour: str = "normal"
    jobs: int = os.cpu_count() or 2
    arch: str = arch_mod.DEFAULT


@dataclass(frozen=True)
class KernelBuild:
    """A kernel the module can be built against and, when ``image`` is set, booted."""

    build_dir: Path
    release: str  # `uname -r` of the built kernel, e.g. 6.1.192
    version: str  # upstream version it came from
    flavour: str
    image: Path | None = None
    modules_root: Path | None = None
    source: str = ""  # provider and origin, for reports
    log: Path | None = None
    cached: bool = False
    arch: str = arch_mod.DEFAULT  # wgcompat.arch: what it was built for

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}

    @staticmethod
    def from_json(data: dict[str, object]) -> "KernelBuild":
        def p(key: str) -> Path | None:
            value = data.get(key)
            return Path(str(value)) if value else None

        return KernelBuild(build_dir=Path(str(data["build_dir"])), release=str(data["release"]),
                           version=str(data["version"]), flavour=str(data["flavour"]), image=p("image"),
                           modules_root=p("modules_root"), source=str(data.get("source", "")), log=p("log"),
                           arch=str(data.get("arch", arch_mod.DEFAULT)))


Progress = Callable[[str], None]


def build_entry(request: KernelBuildRequest, merged: kconfig.MergedConfig) -> cache.Entry:
    """The cache entry of a build: ``kernels/<release>[-<arch>]-<flavour>-<digest of its inputs>``
    (x86_64 builds name no architecture)."""
    source = request.source
    arch = arch_mod.get(request.arch)
    key = cache.InputKey().code(*CODE)
    key.add("flavour", request.flavour).add("fragments", merged.text()).add("compiler", cache.compiler_id(arch.gcc))
    if arch.name != arch_mod.DEFAULT:
        # what of wgcompat.arch goes into the build (not how its guests boot)
        key.add("arch", f"{arch.name} ARCH={arch.kbuild} CROSS_COMPILE={arch.cross_compile} {arch.image_target}")
    key.add("source path", str(source.path))
    if source.is_local:
        key.tree("source contents", source.path)
    else:
        key.add("source origin", f"{source.provider} {source.origin}")
    name = f"{source.release}-{_label(arch, request.flavour)}-{key.hexdigest(12)}"
    return cache.Entry(paths.kernels_dir() / name, key.inputs)


def _label(arch: arch_mod.Arch, flavour: str) -> str:
    return flavour if arch.name == arch_mod.DEFAULT else f"{arch.name}-{flavour}"


def _kbuild_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Reproducible banner so ccache hits across rebuilds of the same tree.
    env.update(KBUILD_BUILD_TIMESTAMP="wgcompat", KBUILD_BUILD_USER="wgcompat", KBUILD_BUILD_HOST="wgcompat",
               CCACHE_DIR=str(root / "ccache"), CCACHE_BASEDIR=str(root), CCACHE_COMPILERCHECK="content",
               CCACHE_MAXSIZE=env.get("CCACHE_MAXSIZE", "8G"))
    env.pop("ARCH", None)
    env.pop("CROSS_COMPILE", None)
    return env


def _make(src: Path, build_dir: Path, args: list[str], log: Path, env: dict[str, str], what: str) -> None:
    cmd = ["make", "-C", str(src), f"O={build_dir}", *args]
    with log.open("a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise UserError(f"{what} failed (make exited {proc.returncode}); last lines of the log:\n{tail}\n"
                        f"full log: {log}",
                        "fix the error shown above (a missing build dependency is the usual cause: "
                        "apt-get install flex bison bc libelf-dev libssl-dev), then run the command again")


def cc_args(arch: str = arch_mod.DEFAULT) -> list[str]:
    """The compiler arguments of a Kbuild run for ``arch`` (wgcompat.arch): ccache when the
    host has it, ARCH and CROSS_COMPILE for a foreign architecture."""
    have_ccache = bool(shutil.which("ccache"))
    if arch == arch_mod.DEFAULT and not have_ccache:
        return []
    return arch_mod.get(arch).kbuild_args(ccache=have_ccache)


# (command or header, Debian package) that a kernel build needs.
BUILD_TOOLS = (("make", "make"), ("gcc", "gcc"), ("flex", "flex"), ("bison", "bison"), ("bc", "bc"),
               ("perl", "perl"), ("/usr/include/gelf.h", "libelf-dev"), ("/usr/include/openssl/ssl.h", "libssl-dev"))


def check_build_tools() -> None:
    """Name every missing build dependency at once, with the apt-get line that installs them."""
    missing = [pkg for what, pkg in BUILD_TOOLS
               if not (Path(what).exists() if what.startswith("/") else shutil.which(what))]
    if missing:
        raise UserError(f"the kernel build needs {', '.join(missing)}, which this machine lacks",
                        f"apt-get install {' '.join(missing)} (./wgc installs them for you)")


def build_kernel(request: KernelBuildRequest, progress: Progress = lambda _: None) -> KernelBuild:
    symbols = kconfig.kconfig_symbols(request.source.path, cache_dir=paths.cache_root() / "kconfig-symbols")
    merged = kconfig.merge(kconfig.select_fragments(request.flavour, symbols, arch=request.arch))
    entry = build_entry(request, merged)

    def build(build_dir: Path) -> dict[str, object]:
        return _build(request, merged, build_dir, progress)

    outcome = cache.obtain(entry, f"kernel {entry.path.name}", build, wait=False, progress=progress)
    return replace(KernelBuild.from_json(outcome.result), cached=outcome.cached)


def _build(request: KernelBuildRequest, merged: kconfig.MergedConfig, build_dir: Path,
           progress: Progress) -> dict[str, object]:
    """Configure, build and install into the empty ``build_dir``; the marker's contents."""
    check_build_tools()
    arch = arch_mod.get(request.arch)
    arch.check_compiler()
    cc = cc_args(arch.name)
    src = request.source.path
    log = build_dir / "build.log"
    fragment = build_dir / "wgcompat.fragment"
    fragment.write_text(merged.text())
    env = _kbuild_env(paths.cache_root())
    progress(f"configuring {request.source.release} ({_label(arch, request.flavour)}) from "
             f"{', '.join(f.name for f in merged.fragments)}")
    _make(src, build_dir, [f"KCONFIG_ALLCONFIG={fragment}", *cc, "allnoconfig"], log, env, "allnoconfig")
    _make(src, build_dir, [*cc, "olddefconfig"], log, env, "olddefconfig")
    dropped = kconfig.dropped_options(merged.requested, kconfig.read_dotconfig(build_dir / ".config"))
    if dropped:
        raise kconfig.explain_dropped(dropped, merged.fragments)
    progress(f"building {request.source.release} with -j{request.jobs} (log: {log})")
    started = time.monotonic()
    configured = log.read_bytes().count(b"\n")
    expected = previous_build_lines(paths.kernels_dir(), request.source.release, _label(arch, request.flavour))
    with Ticker(f"building kernel {request.source.release} ({_label(arch, request.flavour)})",
                log_fraction(log, expected, skip=configured)):
        _make(src, build_dir, [f"-j{request.jobs}", *cc, arch.image_target, "modules"], log, env,
              f"building kernel {request.source.release}")
    build_lines = log.read_bytes().count(b"\n") - configured
    modules_root = build_dir / "modules-root"
    _make(src, build_dir, [*cc, f"INSTALL_MOD_PATH={modules_root}", "INSTALL_MOD_STRIP=1",
                           "DEPMOD=/bin/true", "modules_install"], log, env, "modules_install")
    release = (build_dir / "include/config/kernel.release").read_text().strip()
    kb = KernelBuild(build_dir=build_dir, release=release, version=request.source.release,
                     flavour=request.flavour, image=build_dir / arch.image,
                     modules_root=modules_root,
                     source=f"{request.source.provider} {request.source.origin}", log=log, arch=arch.name)
    return {**kb.to_json(), "seconds": round(time.monotonic() - started, 1), "build_lines": build_lines}


def previous_build_lines(root: Path, version: str, flavour: str) -> int | None:
    """How many log lines the last complete build of ``version`` (``flavour``) wrote while
    compiling, to tell how far through a new one is; None when there was none."""
    newest: tuple[float, int] | None = None
    for marker in root.glob(f"{version}-{flavour}-*/{cache.MARKER}"):
        try:
            lines = json.loads(marker.read_text()).get("result", {}).get("build_lines")
            when = marker.stat().st_mtime
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(lines, int) and lines > 0 and (newest is None or when > newest[0]):
            newest = (when, lines)
    return newest[1] if newest else None


def open_kernel_dir(kdir: Path) -> KernelBuild:
    """A build tree or installed headers the user points at (--kernel-dir)."""
    kdir = kdir.expanduser().resolve()
    if not (kdir / "Makefile").is_file():
        raise UserError(f"{kdir} has no Makefile: it is not a kernel build tree",
                        "point --kernel-dir at a configured build tree (the O= folder) or at installed "
                        "headers such as /lib/modules/$(uname -r)/build")
    if not (kdir / ".config").is_file():
        raise UserError(f"{kdir} has no .config: the tree is not configured",
                        "configure and build it first (make olddefconfig && make modules_prepare), or use "
                        "--kernel VERSION to let wgcompat build one")
    release_file = kdir / "include/config/kernel.release"
    release = release_file.read_text().strip() if release_file.is_file() else kdir.name
    arch = arch_mod.arch_of_config(kconfig.read_dotconfig(kdir / ".config"))
    image = kdir / arch.image if (kdir / arch.image).is_file() else None
    modules_root = kdir / "modules-root" if (kdir / "modules-root").is_dir() else None
    version = release.split("-", 1)[0].split("+", 1)[0]
    return KernelBuild(build_dir=kdir, release=release, version=version, flavour="external", image=image,
                       modules_root=modules_root, source=f"local {kdir}", cached=True, arch=arch.name)
