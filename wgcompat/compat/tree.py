"""What the generator needs to know about one kernel build directory.

Works the same for a source-built kernel's O= directory, a Debian linux-headers tree and
/lib/modules/VERSION/build: all three have a Makefile, .config, Module.symvers and
include/generated/utsrelease.h.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat.errors import UserError


class KernelTreeError(UserError):
    pass


# The .config symbol of each architecture the harness cross-builds for: (Kbuild's ARCH,
# `uname -m` on it).
KBUILD_ARCHES = {"X86_64": ("x86", "x86_64"), "ARM64": ("arm64", "aarch64"), "S390": ("s390", "s390x")}


@dataclass(frozen=True)
class Export:
    symbol: str
    module: str  # "vmlinux" or the exporting module's path
    gpl_only: bool


@dataclass
class KernelTree:
    kdir: Path
    release: str
    config_text: str
    symvers_bytes: bytes
    config: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, kdir: Path) -> KernelTree:
        kdir = Path(kdir).expanduser()
        if not kdir.exists():
            modules = kdir.parent
            if kdir.name == "build" and modules.parent == Path("/lib/modules"):
                raise KernelTreeError(
                    f"the headers of kernel {modules.name} are not installed ({kdir} does not exist)",
                    f"install them: on Debian and Ubuntu apt-get install linux-headers-{modules.name}; "
                    "elsewhere the distribution's kernel-devel package of that kernel",
                )
            raise KernelTreeError(
                f"kernel build directory {kdir} does not exist",
                "pass --kernel-dir pointing at a kernel build (O=) directory, a linux-headers tree "
                "or /lib/modules/$(uname -r)/build",
            )
        kdir = kdir.resolve()
        missing = [n for n in ("Makefile", ".config") if not (kdir / n).is_file()]
        if missing:
            raise KernelTreeError(
                f"{kdir} is not a configured kernel build directory (no {', '.join(missing)})",
                "configure and build the kernel there first, or point at its O= build directory",
            )
        symvers = kdir / "Module.symvers"
        if not symvers.is_file():
            raise KernelTreeError(
                f"{kdir} has no Module.symvers, so exported symbols cannot be checked",
                "run 'make modules' (or a full build) in that kernel tree, or install the "
                "linux-headers package that ships Module.symvers",
            )
        uts = kdir / "include" / "generated" / "utsrelease.h"
        release = ""
        if uts.is_file():
            match = re.search(r'UTS_RELEASE\s+"([^"]*)"', uts.read_text())
            if match:
                release = match.group(1)
        if not release:
            raise KernelTreeError(
                f"{kdir} has no include/generated/utsrelease.h",
                "run 'make prepare' (or a full build) in that kernel tree",
            )
        config_text = (kdir / ".config").read_text(errors="replace")
        return cls(
            kdir=kdir,
            release=release,
            config_text=config_text,
            symvers_bytes=symvers.read_bytes(),
            config=parse_config(config_text),
        )

    def identity(self) -> str:
        """A hash of what makes this build distinct: version string, .config, Module.symvers."""
        sha = hashlib.sha256()
        for part in (self.release.encode(), self.config_text.encode(), self.symvers_bytes):
            sha.update(hashlib.sha256(part).digest())
        return sha.hexdigest()

    def exports(self) -> dict[str, Export]:
        return parse_symvers(self.symvers_bytes.decode(errors="replace"))

    def cross_args(self) -> list[str]:
        """ARCH and CROSS_COMPILE for Kbuild when the tree was built for another architecture
        than the host's (its .config says which; the cross compiler's prefix is that of the
        compiler it was built with), else nothing. The generator travels alone (packaging),
        so it keeps its own small table rather than the harness's wgcompat.arch."""
        for symbol, (kbuild, uname) in KBUILD_ARCHES.items():
            if self.config.get(f"CONFIG_{symbol}") == "y":
                if uname == platform.machine():
                    return []
                cc = self.configured_cc() or ""
                prefix = cc[:-len("gcc")] if cc.endswith("-gcc") else ""
                return [f"ARCH={kbuild}", *([f"CROSS_COMPILE={prefix}"] if prefix else [])]
        return []

    def configured_cc(self) -> str | None:
        """The compiler command the kernel was built with, from CONFIG_CC_VERSION_TEXT."""
        text = self.config.get("CONFIG_CC_VERSION_TEXT", "").strip('"')
        if not text:
            return None
        if "clang version" in text:
            return "clang"
        return text.split()[0]


def parse_config(text: str) -> dict[str, str]:
    """CONFIG_X=value lines of a .config; '# CONFIG_X is not set' lines are left out."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def parse_symvers(text: str) -> dict[str, Export]:
    """Module.symvers lines: crc, symbol, module, export type[, namespace] (tab separated)."""
    exports: dict[str, Export] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 4:
            continue
        _crc, symbol, module, kind = parts[:4]
        exports[symbol] = Export(symbol=symbol, module=module, gpl_only=kind.endswith("_GPL"))
    return exports


@dataclass(frozen=True)
class CompilerChoice:
    cc: str
    substituted: bool  # True when a stand-in replaces the kernel's own (missing) compiler
    notes: tuple[str, ...] = ()


def choose_cc(tree: KernelTree, requested: str | None) -> CompilerChoice:
    """The compiler command to build probes with, and notes to show the user.

    The kernel's own compiler is used when it is installed. When it is not (a Debian headers
    package built with a newer gcc than the host has), the host's gcc stands in, and the note
    says so: probes ask about declarations, which do not depend on the compiler version, but
    compile flags the kernel chose for its own compiler may have to be dropped.
    """
    if requested:
        if shutil.which(requested.split()[-1]) is None:
            raise KernelTreeError(f"compiler {requested!r} is not installed", "install it or pass another --cc")
        return CompilerChoice(requested, substituted=False)
    configured = tree.configured_cc()
    if configured and shutil.which(configured):
        return CompilerChoice(configured, substituted=False)
    if shutil.which("gcc") is None:
        raise KernelTreeError(
            f"the kernel was built with {configured or 'an unknown compiler'} and no gcc is installed",
            "install that compiler (or gcc) or pass --cc",
        )
    if configured is None:
        # kernels before 5.8 do not record their compiler; gcc is Kbuild's own default
        return CompilerChoice("gcc", substituted=False)
    note = f"the kernel was built with {configured}, which is not installed; probing with the host's gcc"
    return CompilerChoice("gcc", substituted=True, notes=(note,))
