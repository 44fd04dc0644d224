"""The stages, as typed requests flowing fetch -> configure/build -> module -> boot -> test -> report.

Each stage takes a request object and returns its result; ``run_stage`` wraps
one in timing and status so the matrix can report every cell the same way.
tasks.py only parses options into a ``KernelSelection`` and calls these.
"""

from __future__ import annotations

import enum
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from wgcompat import matrix
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild, KernelBuildRequest, build_kernel, open_kernel_dir
from wgcompat.kernel.providers import default_providers, fetch_source, local_tree
from wgcompat.kernel.version import KernelVersion

T = TypeVar("T")


def say(message: str) -> None:
    """Progress for the user, on stderr so --exec output stays clean."""
    print(f"wgcompat: {message}", file=sys.stderr, flush=True)


class Status(enum.Enum):
    OK = "ok"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class StageResult(Generic[T]):
    stage: str
    status: Status
    seconds: float
    value: T | None = None
    error: str = ""
    log: Path | None = None


def run_stage(stage: str, fn: Callable[[], T], cached: Callable[[T], bool] = lambda _: False) -> StageResult[T]:
    started = time.monotonic()
    try:
        value = fn()
    except UserError as exc:
        return StageResult(stage, Status.FAILED, time.monotonic() - started, error=str(exc))
    status = Status.CACHED if cached(value) else Status.OK
    return StageResult(stage, status, time.monotonic() - started, value=value)


# ---------------------------------------------------------------------------
# kernel selection: --kernel V | --kernel-src PATH | --kernel-dir PATH


@dataclass(frozen=True)
class KernelSelection:
    kernel: str | None = None
    kernel_src: Path | None = None
    kernel_dir: Path | None = None
    flavour: str = "normal"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)

    def describe(self) -> str:
        if self.kernel_dir:
            return f"--kernel-dir {self.kernel_dir}"
        if self.kernel_src:
            return f"--kernel-src {self.kernel_src}"
        return self.kernel or matrix.load().default


def selection(kernel: str | None = None, kernel_src: str | None = None, kernel_dir: str | None = None,
              config: str = "normal") -> KernelSelection:
    given = [x for x in (kernel, kernel_src, kernel_dir) if x]
    if len(given) > 1:
        raise UserError("--kernel, --kernel-src and --kernel-dir name the kernel in three different ways; "
                        "more than one was given", "pass only one of them")
    if config not in ("normal", "debug"):
        raise UserError(f"--config {config} is not a kernel flavour", "use --config normal or --config debug")
    return KernelSelection(kernel=kernel, kernel_src=Path(kernel_src) if kernel_src else None,
                           kernel_dir=Path(kernel_dir) if kernel_dir else None, flavour=config)


def resolve_kernel(sel: KernelSelection) -> KernelBuild:
    """Fetch and build (or open) the kernel the selection names."""
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
    kb = build_kernel(KernelBuildRequest(source=source, flavour=sel.flavour, jobs=sel.jobs), progress=say)
    say(f"kernel {kb.release} ({kb.flavour}){' (cached)' if kb.cached else ''}: {kb.build_dir}")
    return kb
