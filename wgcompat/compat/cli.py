"""Command-line face of the generator: a table of probe / result / time and the compat.h path.

`python -m wgcompat.compat` calls main(), which runs run_cli(). `invoke compat` (tasks.py)
resolves or builds the kernel itself, generates through wgcompat.module_build.generate_compat()
and prints the same table with print_table().
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgcompat.cache import MARKER
from wgcompat.compat.generator import CompatRequest, CompatResult, generate
from wgcompat.errors import UserError
from wgcompat.paths import REPO, cache_root, kernels_dir


@dataclass(frozen=True)
class CliOptions:
    kernel: str | None = None
    kernel_dir: Path | None = None
    output: Path | None = None
    crypto: Literal["auto", "bundled"] = "auto"
    cache_dir: Path | None = None
    cc: str | None = None
    jobs: int | None = None
    show_log: str | None = None  # print this probe's compiler log after the table


def resolve_kernel_dir(kernel: str) -> Path:
    """A kernel build directory for --kernel V.

    Looks in the harness's kernel cache (a complete build whose name starts with V; the
    newest Module.symvers wins), then /lib/modules/V/build.
    """
    candidates: list[Path] = []
    root = kernels_dir()
    if root.is_dir():
        for path in root.iterdir():
            if path.is_dir() and (path.name == kernel or path.name.startswith(f"{kernel}.") or path.name.startswith(f"{kernel}-")):
                if (path / MARKER).is_file() and (path / "Module.symvers").is_file():
                    candidates.append(path)
    if candidates:
        return max(candidates, key=lambda p: (p / "Module.symvers").stat().st_mtime)
    modules_build = Path("/lib/modules") / kernel / "build"
    if modules_build.exists():
        return modules_build
    raise UserError(
        f"no built kernel {kernel} found in {root} or /lib/modules/{kernel}/build",
        f"build it first (invoke build --kernel {kernel}) or pass --kernel-dir PATH",
    )


def format_table(result: CompatResult) -> str:
    """probe / kind / result / time / detail, then the summary lines and the compat.h path."""
    rows = [("probe", "kind", "result", "time", "detail")]
    for probe in result.probes:
        answer = "yes" if probe.present else "no"
        if probe.kind == "control":
            answer = "ok" if probe.present else "FAILED"
        time_text = f"{probe.seconds:.2f}s" if probe.kind in ("control", "compile", "header") else "-"
        rows.append((probe.name, probe.kind, answer, time_text, probe.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join(cells) + "  " + row[4][:100])
    present = sum(1 for p in result.probes if p.present)
    lines.append("")
    for derived in result.derived:
        lines.append(f"{derived.define} = {int(derived.value)}  ({derived.reason})")
    lines.append(f"crypto: {result.crypto} ({result.crypto_reason})")
    for note in result.notes:
        lines.append(f"note: {note}")
    state = "cached answers, nothing compiled" if result.cached else "probed"
    lines.append(
        f"kernel {result.release}: {len(result.probes)} probes, {present} present; "
        f"{state}; {result.seconds:.2f} s"
    )
    lines.append(f"compat.h: {result.compat_h}")
    lines.append(f"compat.mk: {result.compat_mk}")
    return "\n".join(lines)


def print_table(result: CompatResult) -> None:
    """Print format_table(result): what `invoke compat` shows."""
    print(format_table(result))


def run_cli(options: CliOptions) -> CompatResult:
    """Generate and print the table. Raises UserError for anything the user can fix."""
    if (options.kernel is None) == (options.kernel_dir is None):
        raise UserError("give exactly one of --kernel V and --kernel-dir KDIR", "pass one of them")
    kdir = options.kernel_dir if options.kernel_dir is not None else resolve_kernel_dir(str(options.kernel))
    output = options.output
    if output is None:
        output = REPO / "build" / "compat" / (options.kernel or Path(kdir).resolve().name)
    # absolute: the probes run under make -C KDIR, in another directory
    request = CompatRequest(
        kernel_dir=Path(kdir).absolute(),
        output_dir=Path(output).absolute(),
        crypto=options.crypto,
        cache_dir=Path(options.cache_dir or cache_root() / "compat").absolute(),
        cc=options.cc,
        jobs=options.jobs,
    )
    result = generate(request)
    print_table(result)
    if options.show_log:
        for probe in result.probes:
            if probe.name == options.show_log:
                print(f"\n--- {probe.name}: {probe.log or 'no compiler output'}")
                if probe.log:
                    print(probe.log.read_text())
                break
        else:
            raise UserError(f"there is no probe named {options.show_log}", "pick a name from the table")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wgcompat.compat", description="Probe a kernel and generate compat.h/compat.mk for module/."
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--kernel", help="a kernel the harness built (6.1, 6.1.192) or /lib/modules/<V>")
    which.add_argument("--kernel-dir", type=Path, help="kernel build dir (O=), linux-headers tree, /lib/modules/V/build")
    parser.add_argument("--output", type=Path, help="where to write compat.h and compat.mk")
    parser.add_argument("--crypto", choices=("auto", "bundled"), default="auto")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--cc", help="compiler for the probes (default: the kernel's own, else gcc)")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--show-log", metavar="PROBE", help="print one probe's compiler output")
    args = parser.parse_args(argv)
    options = CliOptions(
        kernel=args.kernel,
        kernel_dir=args.kernel_dir,
        output=args.output,
        crypto=args.crypto,
        cache_dir=args.cache_dir,
        cc=args.cc,
        jobs=args.jobs,
        show_log=args.show_log,
    )
    try:
        run_cli(options)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
