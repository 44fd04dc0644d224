"""Build wireguard.ko from module/ against one kernel.

module/ is copied into ``<cache>/modules/<kernel dir name>-<crypto>[-debug]-<digest>/src``,
compat.h and compat.mk are generated into that copy, and Kbuild runs there:

    make -C <kernel build dir> M=<copy> W=1 [WG_DEBUG=1]

The digest (wgcompat.cache) covers module/ and wgcompat/compat/ (the generator with its
probes and templates), the code that builds the module, the crypto and
debug choices, the compiler and the kernel: its full build path, its release, its .config
and Module.symvers. So a folder is never rebuilt in place: unchanged inputs reuse a
build, a changed one gets a new folder, and two kernel trees that happen to share a
folder name get a build each. A build happens under a lock (a second process wanting the
same one waits, then reuses it) and the entry's marker is written last.

Where the kernel's headers need a newer compiler and C library than the host's (Debian's
trixie and sid kernels: the headers tree holds wgcompat.kernel.debian_prebuilt's
TOOLCHAIN_FILE), both the compat probes and Kbuild run in a chroot of the headers' suite
(wgcompat.chroot) with the kernel's own compiler, so the probes answer for the compiler
that builds the module; the chroot is part of the key.

A packager does the same by hand; see README.md ("Packaging").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from wgcompat import arch, cache, chroot, paths
from wgcompat.compat import CompatRequest, CompatResult, generate
from wgcompat.errors import UserError
from wgcompat.compat.tree import KernelTree
from wgcompat.kernel.build import KernelBuild, cc_args
from wgcompat.kernel.debian_prebuilt import toolchain_of

MODULE_SRC = paths.REPO / "module"
COMPAT_SRC = paths.REPO / "wgcompat" / "compat"  # the generator, its probes and templates
# The code that decides what a module build holds: this file, and the generator that
# probes the kernel and renders compat.h (its probe flags included).
CODE = ("wgcompat.cache", "wgcompat.module_build", "wgcompat.compat", "wgcompat.chroot")
OUTPUTS = ("*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd", "modules.order", "Module.symvers", "compat.h",
           "compat.mk", ".tmp_versions", "__pycache__", "*.pyc")
CRYPTO_CHOICES = ("auto", "bundled")


@dataclass(frozen=True)
class ModuleBuildRequest:
    kernel: KernelBuild
    crypto: str = "auto"
    debug: bool = False  # WG_DEBUG=1: self-tests at load and the timer-scaling parameter
    strict: bool = False  # fail on any compiler warning


@dataclass(frozen=True)
class DkmsOrigin:
    """What the throwaway Debian root said about a module DKMS built there from our .deb
    (wgcompat.package.dkms_build): the guest installs it at the same path, and the suites
    compare what the guest loads with these facts."""

    package: Path  # the wgcompat-dkms .deb that was installed
    package_version: str  # 1.1.<date>.<time>: the version DKMS built
    suite: str  # the root's suite (the kernel's own)
    dkms_version: str  # `dkms --version` in the root
    guest_path: str  # where DKMS installed it, under /lib/modules/<release>/ (updates/dkms/wireguard.ko)
    sha256: str  # of the .ko file DKMS installed
    modinfo: dict[str, str]  # modinfo's fields of that file in the root: version, srcversion, signer, sig_key, ...


@dataclass(frozen=True)
class ModuleBuild:
    ko: Path
    build_dir: Path
    compat_h: Path
    log: Path
    warnings: tuple[str, ...]  # in module/ and compat.h: ours to fix (--strict fails on them)
    seconds: float
    header_warnings: tuple[str, ...] = ()  # W=1 warnings inside the kernel's own headers
    cached: bool = False  # read back from an earlier build (then ``seconds`` is 0)
    dkms: DkmsOrigin | None = None  # built by DKMS from our .deb (--module-source dkms), not by the harness

    def to_json(self) -> dict[str, object]:
        """What a run's artefacts.json (wgcompat.run.plan) and a DKMS build's marker keep."""
        data: dict[str, object] = {
            "ko": str(self.ko), "build_dir": str(self.build_dir), "compat_h": str(self.compat_h), "log": str(self.log),
            "warnings": list(self.warnings), "seconds": self.seconds, "header_warnings": list(self.header_warnings)}
        if self.dkms is not None:
            data["dkms"] = {**asdict(self.dkms), "package": str(self.dkms.package)}
        return data

    @staticmethod
    def from_json(data: dict[str, Any], cached: bool = False) -> ModuleBuild:
        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key, [])
            return tuple(str(x) for x in value) if isinstance(value, list) else ()

        dkms = data.get("dkms")
        origin = None if not isinstance(dkms, dict) else DkmsOrigin(
            package=Path(str(dkms["package"])), package_version=str(dkms["package_version"]),
            suite=str(dkms["suite"]), dkms_version=str(dkms["dkms_version"]), guest_path=str(dkms["guest_path"]),
            sha256=str(dkms["sha256"]), modinfo={str(k): str(v) for k, v in dict(dkms["modinfo"]).items()})
        return ModuleBuild(ko=Path(str(data["ko"])), build_dir=Path(str(data["build_dir"])),
                           compat_h=Path(str(data["compat_h"])), log=Path(str(data["log"])),
                           warnings=strings("warnings"), seconds=0.0 if cached else float(str(data["seconds"])),
                           header_warnings=strings("header_warnings"), cached=cached, dkms=origin)

    @property
    def crypto(self) -> str:
        """What compat chose for this build: "kernel" (the kernel's crypto library) or
        "bundled" (module/crypto/) — compat.mk's WGC_CRYPTO."""
        found = re.search(r"^WGC_CRYPTO\s*:?=\s*(\S+)", (self.build_dir / "compat.mk").read_text(), re.M)
        if not found:
            raise UserError(f"{self.build_dir / 'compat.mk'} does not set WGC_CRYPTO",
                            "rebuild the module: `invoke clean` then `invoke build`")
        return found.group(1)


def split_warnings(log_text: str, src: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The compiler's warning lines of a build log: (those located in our sources under
    ``src``, those located in the kernel's headers — e.g. 5.10's mmzone.h under W=1)."""
    lines = [ln for ln in log_text.splitlines() if re.search(r"\bwarning:", ln)]
    ours = tuple(ln for ln in lines if ln.startswith(f"{src}/") or not ln.startswith(("/", "./")))
    return ours, tuple(ln for ln in lines if ln not in ours)


def build_entry(request: ModuleBuildRequest) -> cache.Entry:
    """The cache entry of a module build:
    ``modules/<kernel dir name>-<crypto>[-debug]-<digest of every input>``."""
    kernel = request.kernel
    key = cache.InputKey().code(*CODE)
    key.folder("module/", MODULE_SRC, exclude=OUTPUTS).folder("compat/", COMPAT_SRC, exclude=OUTPUTS)
    key.add("crypto", request.crypto).add("debug", str(request.debug))
    key.add("compiler", cache.compiler_id(arch.get(kernel.arch).gcc))
    key.add("kernel dir", str(kernel.build_dir)).add("kernel release", kernel.release)
    key.file("kernel .config", kernel.build_dir / ".config")
    key.file("kernel Module.symvers", kernel.build_dir / "Module.symvers")
    toolchain = Toolchain.of(kernel)
    key.add("toolchain", str(toolchain.planned()) if toolchain else "host")
    tag = f"{kernel.build_dir.name}-{request.crypto}{'-debug' if request.debug else ''}-{key.hexdigest(12)}"
    return cache.Entry(paths.modules_dir() / tag, key.inputs)


@dataclass(frozen=True)
class Toolchain:
    """The chroot a kernel's modules are built in, with the kernel's own compiler."""

    suite: str
    packages: tuple[str, ...]
    cc: str  # the compiler command the kernel was built with (gcc-14, x86_64-linux-gnu-gcc-16)

    @staticmethod
    def of(kernel: KernelBuild) -> Toolchain | None:
        """None: the host's compiler builds for this kernel."""
        data = toolchain_of(kernel.build_dir)
        if data is None:
            return None
        cc = KernelTree.open(kernel.build_dir).configured_cc() or "gcc"
        return Toolchain(suite=str(data["suite"]), packages=tuple(str(p) for p in data["packages"]), cc=cc)

    def planned(self) -> Path:
        return chroot.planned(self.suite, self.packages, ("make", self.cc))

    def obtain(self, progress) -> chroot.Chroot:
        return chroot.obtain(self.suite, self.packages, ("make", self.cc), progress=progress)


def _copy_sources(dest: Path) -> None:
    """A clean copy of module/ without build outputs."""
    if not (MODULE_SRC / "Kbuild").is_file():
        raise UserError(f"{MODULE_SRC}/Kbuild is missing", "restore module/ from git")
    shutil.copytree(MODULE_SRC, dest, ignore=shutil.ignore_patterns(*OUTPUTS))


def generate_compat(kernel: KernelBuild, output_dir: Path, crypto: str, progress=lambda _: None) -> CompatResult:
    """compat.h and compat.mk for ``kernel`` in ``output_dir``; probed in the kernel's chroot
    when it has one (Toolchain), with the compiler the module is built with."""
    request = CompatRequest(kernel_dir=kernel.build_dir, output_dir=output_dir, crypto=crypto,
                            cache_dir=paths.cache_root() / "compat")
    toolchain = Toolchain.of(kernel)
    if toolchain is None:
        return generate(request)
    with toolchain.obtain(progress).on_path():
        return generate(request)


def kbuild_argv(kernel: KernelBuild, args: list[str], cwd: Path) -> list[str]:
    """``make -C <kernel build dir> ARGS`` as this kernel's modules are built: with the host's
    compiler (cc_args), or inside the kernel's chroot with its own (run it from ``cwd``)."""
    cmd = ["make", "-C", str(kernel.build_dir), *args]
    toolchain = Toolchain.of(kernel)
    if toolchain is None:
        return [*cmd, *cc_args(kernel.arch)]
    return toolchain.obtain(lambda _: None).argv([*cmd, f"CC={toolchain.cc}"], cwd=cwd)


def build_module(request: ModuleBuildRequest, progress=lambda _: None) -> ModuleBuild:
    if request.crypto not in CRYPTO_CHOICES:
        raise UserError(f"--crypto {request.crypto} is not a choice", f"use one of: {', '.join(CRYPTO_CHOICES)}")
    entry = build_entry(request)

    def build(out: Path) -> dict[str, Any]:
        return _build(request, out, progress)

    outcome = cache.obtain(entry, f"wireguard.ko in {entry.path}", build, wait=True, progress=progress)
    built = _from_marker(outcome.result, cached=outcome.cached)
    if built.warnings and request.strict:
        raise _warnings_error(built)
    return built


def _from_marker(data: dict[str, Any], cached: bool) -> ModuleBuild:
    built = ModuleBuild.from_json(data, cached=cached)
    ours, headers = split_warnings("\n".join([*built.warnings, *built.header_warnings]), built.build_dir)
    return replace(built, warnings=ours, header_warnings=headers)


def _warnings_error(built: ModuleBuild) -> UserError:
    return UserError(f"wireguard.ko built with {len(built.warnings)} warning(s) (W=1):\n"
                     + "\n".join(built.warnings[:20]), f"fix the warnings (full log: {built.log})")


def _build(request: ModuleBuildRequest, out: Path, progress) -> dict[str, Any]:
    """Copy module/, generate compat.h and build in the empty ``out``; the marker's contents."""
    started = time.monotonic()
    src = out / "src"
    _copy_sources(src)
    toolchain = Toolchain.of(request.kernel)
    progress(f"probing kernel {request.kernel.release} for compat.h"
             + (f" (in a {toolchain.suite} chroot, with {toolchain.cc})" if toolchain else ""))
    compat = generate_compat(request.kernel, src, request.crypto, progress)
    log = out / "build.log"
    cmd = kbuild_argv(request.kernel, [f"M={src}", "W=1", f"-j{os.cpu_count() or 2}",
                                       *(["WG_DEBUG=1"] if request.debug else []), "modules"], cwd=src)
    progress(f"building wireguard.ko for {request.kernel.release} (crypto {request.crypto}"
             f"{', debug' if request.debug else ''})")
    with log.open("w") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    text = log.read_text(errors="replace")
    warnings, header_warnings = split_warnings(text, src)
    ko = src / "wireguard.ko"
    if proc.returncode != 0 or not ko.is_file():
        tail = "\n".join(text.splitlines()[-30:])
        raise UserError(f"wireguard.ko failed to build against {request.kernel.release}; last lines:\n{tail}\n"
                        f"full log: {log}; compat.h: {compat.compat_h}",
                        "fix the compile error above; if it is a kernel API difference, add a probe in compat/ "
                        "rather than a version check in module/")
    return {"ko": str(ko), "build_dir": str(src), "compat_h": str(compat.compat_h), "log": str(log),
            "warnings": list(warnings), "header_warnings": list(header_warnings),
            "seconds": round(time.monotonic() - started, 1)}
