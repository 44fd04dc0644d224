"""Config fragments from kconfigs/: selection, merging and the survival check.

A fragment is a list of ``CONFIG_X=value`` / ``# CONFIG_X is not set`` lines.
``base.config`` always applies, then ``arch/<arch>.config`` for the architecture built for
(wgcompat.arch: its console, bus and guest support), ``debug.config`` for the debug flavour, ``signed.config``
for the signed one (module signatures enforced), then ``arch/<arch>-<flavour>.config`` where
it exists (what that flavour's fragment asks for and the architecture cannot have: s390's
missing soft lockup detector), and any
other fragment applies when its header conditions hold against the tree's own
Kconfig files (never against a version number):

    # applies-if-kconfig: WIREGUARD            every named symbol is defined
    # applies-if-no-kconfig: CRYPTO_LIB_UTILS   none of them is defined

After the kernel's ``allnoconfig`` with those values preset, every requested
value must have survived; a dropped option is an error naming it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat import arch as arch_mod
from wgcompat.errors import UserError
from wgcompat.paths import REPO

KCONFIGS = REPO / "kconfigs"
FLAVOURS = ("normal", "debug", "signed")
# The fragment each flavour adds after base.config and the applicable ones.
FLAVOUR_FRAGMENTS = {"debug": "debug.config", "signed": "signed.config"}

_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")
_SYMBOL = re.compile(r"^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$", re.M)


@dataclass(frozen=True)
class Fragment:
    path: Path
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """Its path under kconfigs/ (arch/arm64.config for an architecture's)."""
        return f"arch/{self.path.name}" if self.path.parent.name == "arch" else self.path.name

    def applies(self, symbols: set[str]) -> bool:
        return all(s in symbols for s in self.requires) and not any(s in symbols for s in self.excludes)


def parse_fragment(path: Path) -> Fragment:
    requires: list[str] = []
    excludes: list[str] = []
    values: list[tuple[str, str]] = []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if m := re.match(r"^#\s*applies-if-kconfig:\s*(.+)$", line):
            requires += m.group(1).split()
        elif m := re.match(r"^#\s*applies-if-no-kconfig:\s*(.+)$", line):
            excludes += m.group(1).split()
        elif m := _SET.match(line):
            values.append((m.group(1), m.group(2)))
        elif m := _UNSET.match(line):
            values.append((m.group(1), "n"))
        elif line and not line.startswith("#"):
            raise UserError(f"{path}:{n}: cannot read '{raw}'",
                            "fragment lines are CONFIG_X=value, '# CONFIG_X is not set', or comments")
    return Fragment(path, tuple(requires), tuple(excludes), tuple(values))


def kconfig_symbols(src: Path, cache_dir: Path | None = None) -> set[str]:
    """Every symbol defined by a Kconfig file of the tree.

    Walking a whole tree takes seconds, so with ``cache_dir`` the result is
    kept per tree, keyed by its path and the size and mtime of its top
    Makefile and Kconfig (what changes when a tree is replaced or updated).
    """
    stamp = ""
    if cache_dir is not None:
        parts = [str(src.resolve())]
        for top in ("Makefile", "Kconfig"):
            st = (src / top).stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        stamp = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]
        cached = cache_dir / f"{stamp}.txt"
        if cached.is_file():
            return set(cached.read_text().split())
    symbols: set[str] = set()
    for kconfig in src.rglob("Kconfig*"):
        if kconfig.is_file():
            symbols.update(_SYMBOL.findall(kconfig.read_text(errors="replace")))
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{stamp}.{os.getpid()}"
        tmp.write_text("\n".join(sorted(symbols)))
        tmp.rename(cache_dir / f"{stamp}.txt")
    return symbols


@dataclass(frozen=True)
class MergedConfig:
    fragments: tuple[Fragment, ...]
    requested: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"# merged from: {', '.join(f.name for f in self.fragments)}"]
        for sym, value in self.requested.items():
            lines.append(f"# {sym} is not set" if value == "n" else f"{sym}={value}")
        return "\n".join(lines) + "\n"


def select_fragments(flavour: str, symbols: set[str], directory: Path = KCONFIGS,
                     arch: str = arch_mod.DEFAULT) -> list[Fragment]:
    if flavour not in FLAVOURS:
        raise UserError(f"unknown config flavour '{flavour}'", f"use one of: {', '.join(FLAVOURS)}")
    base = parse_fragment(directory / "base.config")
    for_arch = parse_fragment(directory / "arch" / arch_mod.get(arch).fragment)
    extra = [parse_fragment(p) for p in sorted(directory.glob("*.config"))
             if p.name != "base.config" and p.name not in FLAVOUR_FRAGMENTS.values()]
    chosen = [base, for_arch] + [f for f in extra if f.applies(symbols)]
    if flavour in FLAVOUR_FRAGMENTS:
        chosen.append(parse_fragment(directory / FLAVOUR_FRAGMENTS[flavour]))
        arch_flavour = directory / "arch" / f"{for_arch.path.stem}-{flavour}.config"
        if arch_flavour.exists():
            chosen.append(parse_fragment(arch_flavour))
    return chosen


def merge(fragments: list[Fragment]) -> MergedConfig:
    requested: dict[str, str] = {}
    for fragment in fragments:
        for sym, value in fragment.values:
            requested[sym] = value  # later fragments win
    return MergedConfig(tuple(fragments), requested)


def read_dotconfig(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        if m := _SET.match(line):
            values[m.group(1)] = m.group(2)
        elif m := _UNSET.match(line):
            values[m.group(1)] = "n"
    return values


@dataclass(frozen=True)
class Dropped:
    symbol: str
    wanted: str
    got: str  # "n" when absent


def dropped_options(requested: dict[str, str], final: dict[str, str]) -> list[Dropped]:
    """Requested values that did not survive. ``m`` is satisfied by ``y`` (built in is a superset)."""
    out = []
    for sym, wanted in requested.items():
        got = final.get(sym, "n")
        if got == wanted or (wanted == "m" and got == "y"):
            continue
        out.append(Dropped(sym, wanted, got))
    return out


def explain_dropped(dropped: list[Dropped], fragments: tuple[Fragment, ...]) -> UserError:
    where = {sym: f.name for f in fragments for sym, _ in f.values}
    rows = "\n".join(f"  {d.symbol}: asked {d.wanted} in kconfigs/{where.get(d.symbol, '?')}, got {d.got}" for d in dropped)
    return UserError(
        f"{len(dropped)} requested config option(s) did not survive olddefconfig:\n{rows}",
        "an option is dropped when its dependencies are not met or it does not exist in this kernel: "
        "add the missing dependency to the fragment, or move the option to a fragment with an "
        "'# applies-if-kconfig: SYMBOL' header so it only applies to trees that have it",
    )
