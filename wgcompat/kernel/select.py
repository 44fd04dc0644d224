"""Which kernel a run is about, and getting it: --kernel V | --kernel debian:SERIES | --kernel-src PATH |
--kernel-dir PATH.

``selection`` checks the options once into a KernelSelection; ``resolve_kernel`` turns
that into a KernelBuild: a provider's source (or the user's tree) configured and built,
cached, or a build tree the user points at. wgcompat.run.plan calls it once per run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat import arch as arch_mod
from wgcompat import matrix
from wgcompat.errors import UserError
from wgcompat.kernel import debian_prebuilt
from wgcompat.kernel.build import KernelBuild, KernelBuildRequest, build_kernel, open_kernel_dir
from wgcompat.kernel.kconfig import FLAVOURS
from wgcompat.kernel.providers import default_providers, fetch_source, local_tree
from wgcompat.kernel.version import KernelVersion
from wgcompat.progress import say


@dataclass(frozen=True)
class KernelSelection:
    kernel: str | None = None
    kernel_src: Path | None = None
    kernel_dir: Path | None = None
    flavour: str = "normal"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)
    arch: str = arch_mod.DEFAULT  # wgcompat.arch: what the kernel is built for and booted on


def selection(kernel: str | None = None, kernel_src: str | None = None, kernel_dir: str | None = None,
              config: str = "normal", arch: str | None = None) -> KernelSelection:
    given = [x for x in (kernel, kernel_src, kernel_dir) if x]
    if len(given) > 1:
        raise UserError("--kernel, --kernel-src and --kernel-dir name the kernel in three different ways; "
                        "more than one was given", "pass only one of them")
    if config not in FLAVOURS:
        raise UserError(f"--config {config} is not a kernel flavour", "use " + " or ".join(f"--config {f}" for f in FLAVOURS))
    chosen = arch_mod.get(arch)
    if debian_prebuilt.is_prebuilt(kernel):
        _check_prebuilt(str(kernel), config)
        if chosen.name != arch_mod.DEFAULT:
            raise UserError(f"--arch {chosen.name} with {kernel}: Debian's prebuilt kernels are taken for "
                            f"{arch_mod.DEFAULT} only", f"drop --arch, or use --kernel SERIES --arch {chosen.name}")
    if kernel_dir and arch:
        raise UserError("--arch with --kernel-dir: a build tree's .config already says what it was built for",
                        "drop --arch")
    return KernelSelection(kernel=kernel, kernel_src=Path(kernel_src) if kernel_src else None,
                           kernel_dir=Path(kernel_dir) if kernel_dir else None, flavour=config, arch=chosen.name)


def resolve_kernel(sel: KernelSelection) -> KernelBuild:
    """Fetch and build (or open) the kernel the selection names."""
    if debian_prebuilt.is_prebuilt(sel.kernel):
        return _resolve_prebuilt(str(sel.kernel))
    if sel.kernel_dir:
        return open_kernel_dir(sel.kernel_dir)
    if sel.kernel_src:
        source = local_tree(sel.kernel_src)
    else:
        m = matrix.load()
        want = KernelVersion.parse(sel.kernel or m.default)
        say(f"looking for Linux {want}")
        source = fetch_source(want, default_providers(m.debian_suites))
    say(f"source: Linux {source.release} from {source.provider} ({source.path})")
    kb = build_kernel(KernelBuildRequest(source=source, flavour=sel.flavour, jobs=sel.jobs, arch=sel.arch),
                      progress=say)
    label = kb.flavour if kb.arch == arch_mod.DEFAULT else f"{kb.arch}, {kb.flavour}"
    say(f"kernel {kb.release} ({label}){' (cached)' if kb.cached else ''}: {kb.build_dir}")
    return kb


# --------------------------------------------------------------------------
# --kernel debian:<series>[-<flavour>][@<suite>]: Debian's own prebuilt kernels


def _check_prebuilt(kernel: str, config: str) -> None:
    """The name parses, and asks for nothing a prebuilt kernel cannot be (our debug config)."""
    spec = debian_prebuilt.parse_spec(kernel)
    if config != "normal":
        raise UserError(f"--config {config} configures a kernel we build; {spec} is Debian's, built as Debian "
                        "configured it", f"drop --config {config}, or use --kernel {spec.series} --config {config}")


def _resolve_prebuilt(kernel: str) -> KernelBuild:
    spec = debian_prebuilt.parse_spec(kernel)
    say(f"looking for Debian's {spec}")
    kb = debian_prebuilt.fetch_prebuilt(spec, progress=say)
    say(f"kernel {kb.release} ({kb.source}){' (cached)' if kb.cached else ''}: {kb.build_dir}")
    return kb
