"""The kernel matrix, read from kernels.toml at the repository root, and its cells.

    Matrix      the default kernel, `./wgc ci`'s kernels and every [[kernel]] of the file
    Cell        one job of the matrix: a kernel series × flavour × crypto mode × architecture
    cells()     the cells of a run: the quick subset, the full matrix, or one flavour/crypto
    cell_commands()  the exact commands one cell runs, in CI and by hand (`invoke matrix --plan`)

Run as ``python -m wgcompat.matrix --github [--cells quick|full]`` it prints the job matrix
for GitHub Actions (a ``cells=<JSON>`` line for $GITHUB_OUTPUT); the workflow reads it with
fromJSON, so kernels.toml is the only list of kernels. This module uses the standard library
only: the workflow's setup job runs it without the project's virtual environment.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat.arch import ARCHES
from wgcompat.arch import DEFAULT as DEFAULT_ARCH
from wgcompat.errors import UserError
from wgcompat.paths import REPO, run_label

MATRIX_FILE = REPO / "kernels.toml"
FLAVOURS = ("normal", "debug")
CRYPTO = ("auto", "bundled")
KINDS = ("lts", "mainline")
KERNEL_KEYS = {"series", "provider", "kind", "flavours", "crypto", "arches", "quick", "why"}
SUBSETS = ("quick", "full")
KERNEL_ORG = "kernel.org"


@dataclass(frozen=True)
class Kernel:
    """One [[kernel]] of kernels.toml."""

    series: str
    provider: str  # "debian:<suite>" or "kernel.org"
    kind: str = "lts"
    flavours: tuple[str, ...] = ("normal",)
    crypto: tuple[str, ...] = ("auto",)
    quick: bool = False
    arches: tuple[str, ...] = (DEFAULT_ARCH,)


@dataclass(frozen=True)
class Cell:
    """One job of the matrix: a kernel series built in one flavour for one architecture, tested
    with one crypto mode."""

    kernel: str
    flavour: str = "normal"
    crypto: str = "auto"
    provider: str = ""
    arch: str = DEFAULT_ARCH

    @property
    def target(self) -> str:
        """The kernel and, for another architecture than x86_64, that one: ``6.1-arm64``."""
        return self.kernel if self.arch == DEFAULT_ARCH else f"{self.kernel}-{self.arch}"

    @property
    def name(self) -> str:
        """``6.1-debug-bundled``, ``6.1-arm64-normal``: also the name of its report folder
        (reports/<name>/)."""
        return f"{self.target}-{run_label(self.flavour, self.crypto)}"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "kernel": self.kernel, "flavour": self.flavour, "crypto": self.crypto,
                "provider": self.provider, "arch": self.arch}


@dataclass(frozen=True)
class Matrix:
    default: str
    kernels: tuple[str, ...]
    debian_suites: dict[str, str] = field(default_factory=dict)  # series -> suite, the Debian provider's hint
    # the kernels `.ci/run` boots, a subset of ``kernels`` (default: all of them)
    ci_kernels: tuple[str, ...] = ()
    entries: tuple[Kernel, ...] = ()


def _strings(raw: dict[str, object], key: str, allowed: tuple[str, ...], default: tuple[str, ...],
             where: str) -> tuple[str, ...]:
    value = raw.get(key, list(default))
    if not isinstance(value, list) or not value or any(v not in allowed for v in value):
        raise ValueError(f"{where}: {key} must be a non-empty list of {', '.join(allowed)} (it is {value!r})")
    return tuple(str(v) for v in value)


def _kernel(raw: dict[str, object], n: int) -> Kernel:
    where = f"[[kernel]] {n} ({raw.get('series', 'no series')})"
    unknown = set(raw) - KERNEL_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    series, provider = str(raw.get("series", "")), str(raw.get("provider", ""))
    if not series.replace(".", "").isdigit() or series.count(".") != 1:
        raise ValueError(f"{where}: series must be X.Y (it is {series!r})")
    if provider != KERNEL_ORG and not (provider.startswith("debian:") and len(provider) > len("debian:")):
        raise ValueError(f"{where}: provider must be debian:<suite> or {KERNEL_ORG} (it is {provider!r})")
    kind = str(raw.get("kind", "lts"))
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)} (it is {kind!r})")
    return Kernel(series=series, provider=provider, kind=kind,
                  flavours=_strings(raw, "flavours", FLAVOURS, ("normal",), where),
                  crypto=_strings(raw, "crypto", CRYPTO, ("auto",), where), quick=bool(raw.get("quick", False)),
                  arches=_strings(raw, "arches", tuple(ARCHES), (DEFAULT_ARCH,), where))


def load(path: Path = MATRIX_FILE) -> Matrix:
    """kernels.toml, checked; a UserError naming what is wrong otherwise."""
    fix = f"correct {path.name} (its header comment lists the keys of a [[kernel]]), or restore it from git"
    try:
        data = tomllib.loads(path.read_text())
        default = str(data["default"])
        entries = tuple(_kernel(raw, n) for n, raw in enumerate(data.get("kernel", []), 1))
    except (OSError, KeyError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise UserError(f"cannot read the kernel matrix {path}: {exc}", fix) from exc
    kernels = tuple(k.series for k in entries)
    if not kernels or len(set(kernels)) != len(kernels):
        raise UserError(f"{path}: {'no [[kernel]]' if not kernels else 'a series is listed twice'}", fix)
    ci = tuple(str(k) for k in data.get("ci", kernels))
    outside = [k for k in (default, *ci) if k not in kernels]
    if outside:
        raise UserError(f"{path}: {', '.join(outside)} in 'default' or 'ci' but not a [[kernel]] of the matrix",
                        "every kernel CI boots must be one of the matrix's; add a [[kernel]] for it or drop it")
    suites = {k.series: k.provider.split(":", 1)[1] for k in entries if k.provider.startswith("debian:")}
    return Matrix(default=default, kernels=kernels, debian_suites=suites, ci_kernels=ci, entries=entries)


def all_cells(m: Matrix) -> tuple[Cell, ...]:
    """Every cell of the matrix, kernel by kernel, in the file's order."""
    return tuple(Cell(k.series, flavour, crypto, k.provider, arch)
                 for k in m.entries for arch in k.arches for flavour in k.flavours for crypto in k.crypto)


def cells(m: Matrix, subset: str | None = None, flavour: str = "normal", crypto: str = "auto",
          kernels: list[str] | None = None, arch: str | None = None) -> tuple[Cell, ...]:
    """The cells of a run. ``subset`` "full": every cell; "quick": the normal/auto x86_64 cell
    of each quick kernel. Otherwise the ``flavour``/``crypto`` cells of each kernel that has
    them, on each of its architectures or only ``arch``, or, with ``kernels`` named, of exactly
    those (any series or release, in the matrix or not; x86_64 unless ``arch`` says)."""
    if subset == "full":
        return all_cells(m)
    if subset == "quick":
        return tuple(Cell(k.series, "normal", "auto", k.provider) for k in m.entries if k.quick)
    if subset is not None:
        raise UserError(f"--cells {subset} is not a subset of the matrix", f"use --cells {' or --cells '.join(SUBSETS)}")
    if arch is not None and arch not in ARCHES:
        raise UserError(f"--arch {arch} is not an architecture wgcompat knows", f"use one of: {', '.join(ARCHES)}")
    if kernels:
        providers = {k.series: k.provider for k in m.entries}
        return tuple(Cell(k, flavour, crypto, providers.get(k, ""), arch or DEFAULT_ARCH) for k in kernels)
    return tuple(c for c in all_cells(m)
                 if c.flavour == flavour and c.crypto == crypto and arch in (None, c.arch))


@dataclass(frozen=True)
class Command:
    """One command a cell runs, and what it is for."""

    what: str
    argv: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.argv)


def cell_commands(cell: Cell) -> tuple[Command, ...]:
    """What one cell runs, in this order: CI's jobs run exactly these (the workflow test checks
    it), and `invoke matrix --plan` prints them."""
    kernel = ("--kernel", cell.kernel, "--config", cell.flavour, "--arch", cell.arch)
    return (
        Command("the kernel build's cache key (CI restores its caches with it)", ("./wgc", "kernel", *kernel, "--key")),
        Command("fetch and build the kernel (cached)", ("./wgc", "kernel", *kernel)),
        Command("build the module, boot, run the VM suites, write the cell's report",
                ("./wgc", "matrix", "--kernels", cell.kernel, "--config", cell.flavour, "--crypto", cell.crypto,
                 "--arch", cell.arch, "--require-all")),
    )


def github_matrix(m: Matrix, subset: str) -> str:
    """The line for $GITHUB_OUTPUT: ``cells=`` and the JSON list of the subset's cells."""
    return "cells=" + json.dumps([c.to_json() for c in cells(m, subset)], separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wgcompat.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--github", action="store_true", help="print the job matrix for $GITHUB_OUTPUT")
    parser.add_argument("--cells", choices=SUBSETS, default="quick", help="which cells (default: quick)")
    args = parser.parse_args(argv)
    try:
        m = load()
    except UserError as exc:
        print(f"error: {exc.cause}\nfix: {exc.fix}", file=sys.stderr)
        return 2
    if args.github:
        print(github_matrix(m, args.cells))
    else:
        for cell in cells(m, args.cells):
            print(cell.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
