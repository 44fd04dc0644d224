"""Probe-runtime benchmark: a cold run (fresh cache, every probe compiled) and a cached run.

    python -m wgcompat.compat.bench --kernel-dir KDIR [--runs 3]

Reports wall time and the CPU time of the compilers (children's user+sys), which with the
core count gives the wall time an otherwise idle machine would see.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from wgcompat.compat.generator import CompatRequest, generate
from wgcompat.errors import UserError


@dataclass(frozen=True)
class BenchResult:
    release: str
    probes: int
    compiled: int
    cold_wall: float
    cold_cpu: float
    cached_wall: float
    cores: int

    def lines(self) -> list[str]:
        return [
            f"kernel {self.release}: {self.probes} probes ({self.compiled} compiled)",
            f"cold run:   {self.cold_wall:.2f} s wall, {self.cold_cpu:.2f} s compiler CPU "
            f"(= {self.cold_cpu / self.cores:.2f} s on {self.cores} idle cores)",
            f"cached run: {self.cached_wall:.3f} s wall",
        ]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench(kernel_dir: Path, jobs: int | None = None) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="wgc-bench-") as tmp:
        request = CompatRequest(
            kernel_dir=kernel_dir, output_dir=Path(tmp) / "out", cache_dir=Path(tmp) / "cache", jobs=jobs
        )
        cpu0, wall0 = _children_cpu(), time.monotonic()
        cold = generate(request)
        cold_wall, cold_cpu = time.monotonic() - wall0, _children_cpu() - cpu0
        wall1 = time.monotonic()
        cached = generate(request)
        cached_wall = time.monotonic() - wall1
        if not cached.cached:
            raise RuntimeError("the second run was not served from the cache")
    return BenchResult(
        release=cold.release,
        probes=len(cold.probes),
        compiled=sum(1 for p in cold.probes if p.kind in ("control", "compile", "header")),
        cold_wall=cold_wall,
        cold_cpu=cold_cpu,
        cached_wall=cached_wall,
        cores=jobs or os.cpu_count() or 1,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wgcompat.compat.bench", description=__doc__)
    parser.add_argument("--kernel-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args(argv)
    try:
        for _ in range(args.runs):
            print("\n".join(bench(args.kernel_dir, args.jobs).lines()))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
