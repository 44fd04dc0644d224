"""The probe catalogue (probes/, package data of wgcompat.compat): what each probe asks and
which define it sets.

Four kinds of probe, one question each:

- ``compile``: a small C file (``probes/<name>.c``) that compiles against the kernel only
  when the API it exercises exists with that shape. Its header comment names the define.
- ``header``: a header exists on the kernel's include path (``headers.toml``). It is answered
  by compiling a one-line ``#include`` in the same batch, so arch, generated and uapi paths count.
- ``symbol``: a symbol is exported in this build (``symbols.toml``, looked up in Module.symvers).
- ``kconfig``: a Kconfig option is ``y`` or ``m`` in the build's .config (``kconfig.toml``).

The ``control`` probe is a compile probe that must succeed on every kernel.
The ``detects``/``when`` lines of a probe are for people reading the probe files; the catalogue
does not load them.

The .toml tables are read by a small reader of their one shape (``[[table]]`` headers and
``key = "string"`` lines), not by tomllib: the generator runs on the distribution's own
Python, back to Debian bullseye's 3.9, which has no tomllib (see README.md here).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from wgcompat.cache import folder_digest
from wgcompat.errors import UserError

COMPAT_DIR = Path(__file__).resolve().parent
PROBES_DIR = COMPAT_DIR / "probes"
CONTROL = "control"

_NAME_RE = re.compile(r"^[a-z0-9_]+$")
_DEFINE_RE = re.compile(r"^WGC_HAVE_[A-Z0-9_]+$")
_HEADER_FIELD_RE = re.compile(r"^\s*\*\s*(probe|define|kind|detects|when):\s*(.*?)\s*$")


class ProbeKind(str, Enum):
    CONTROL = "control"
    COMPILE = "compile"
    HEADER = "header"
    SYMBOL = "symbol"
    KCONFIG = "kconfig"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Probe:
    """One question about the kernel. ``subject`` is the header, symbol or option asked about."""

    name: str
    kind: ProbeKind
    define: str | None
    subject: str = ""
    source: Path | None = None

    @property
    def compiled(self) -> bool:
        return self.kind in (ProbeKind.CONTROL, ProbeKind.COMPILE, ProbeKind.HEADER)

    def c_source(self) -> str:
        """The C text compiled for this probe (compile, control and header probes only)."""
        if self.kind is ProbeKind.HEADER:
            return (
                "// SPDX-License-Identifier: GPL-2.0\n"
                f"/* probe: {self.name}: does <{self.subject}> exist? */\n"
                f"#include <{self.subject}>\n"
            )
        if self.source is None:
            raise ValueError(f"probe {self.name} has no C source")
        return self.source.read_text()


@dataclass(frozen=True)
class Catalogue:
    probes: tuple[Probe, ...]
    digest: str  # of every file of the catalogue, so editing a probe invalidates cached answers


class CatalogueError(UserError):
    pass


def _parse_c_probe(path: Path) -> Probe:
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines()[:20]:
        match = _HEADER_FIELD_RE.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
    name = path.stem
    fix = (
        f"give {path} a header comment with ' * define: WGC_HAVE_...', ' * kind: compile', "
        "' * detects: ...' and ' * when: ...' lines, like the other probes"
    )
    if fields.get("probe", name) != name:
        raise CatalogueError(f"probe file {path} says 'probe: {fields['probe']}'", f"rename it to {name}")
    kind_text = fields.get("kind")
    if kind_text not in (ProbeKind.COMPILE, ProbeKind.CONTROL):
        raise CatalogueError(f"probe file {path} has no valid 'kind:' line", fix)
    kind = ProbeKind(kind_text)
    define = fields.get("define")
    if kind is ProbeKind.COMPILE and (define is None or not _DEFINE_RE.match(define)):
        raise CatalogueError(f"probe file {path} has no 'define: WGC_HAVE_...' line", fix)
    return Probe(
        name=name,
        kind=kind,
        define=define if kind is ProbeKind.COMPILE else None,
        source=path,
    )


_TABLE_RE = re.compile(r"^\[\[([a-z]+)\]\]$")
_PAIR_RE = re.compile(r'^([a-z_]+)\s*=\s*("(?:[^"\\]|\\.)*")$')

Tables = dict[str, list[dict[str, str]]]  # PEP 585 generics: Python 3.9 has them


def parse_tables(text: str, path: Path) -> Tables:
    """The arrays of tables of a catalogue .toml file: ``[[name]]`` headers, each followed by
    ``key = "basic string"`` lines; blank lines and ``#`` comments anywhere. Anything else is
    an error naming the line, so a construct this reader does not know is never misread."""
    tables: Tables = {}
    current: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _TABLE_RE.match(line)
        pair = _PAIR_RE.match(line)
        if header:
            current = {}
            tables.setdefault(header.group(1), []).append(current)
        elif pair and current is not None:
            key, quoted = pair.groups()
            if key in current:
                raise CatalogueError(f"{path}:{number}: the key {key} is given twice", "remove one of them")
            current[key] = json.loads(quoted)  # a TOML basic string without \U escapes is a JSON string
        else:
            raise CatalogueError(
                f"{path}:{number}: {line!r} is not a [[table]] header or a key = \"string\" line",
                f"write {path.name} in the shape of its other entries (the generator reads only that "
                "subset of TOML)")
    return tables


def _parse_table(path: Path, table: str, kind: ProbeKind, subject_key: str) -> list[Probe]:
    if not path.exists():
        return []
    data = parse_tables(path.read_text(), path)
    probes = []
    for entry in data.get(table, []):
        try:
            probe = Probe(
                name=entry["name"],
                kind=kind,
                define=entry["define"],
                subject=entry[subject_key],
            )
        except KeyError as exc:
            raise CatalogueError(
                f"an entry of [[{table}]] in {path} lacks the key {exc}",
                f"give every [[{table}]] entry name, define and {subject_key}",
            ) from exc
        probes.append(probe)
    return probes


def load_catalogue(probes_dir: Path = PROBES_DIR) -> Catalogue:
    """Read every probe; check names and defines are well formed and unique."""
    if not probes_dir.is_dir():
        raise CatalogueError(f"probe directory {probes_dir} does not exist", "reinstall the generator: its probes/ folder ships next to catalogue.py")
    probes: list[Probe] = [_parse_c_probe(path) for path in sorted(probes_dir.glob("*.c"))]
    probes += _parse_table(probes_dir / "headers.toml", "header", ProbeKind.HEADER, "header")
    probes += _parse_table(probes_dir / "symbols.toml", "symbol", ProbeKind.SYMBOL, "symbol")
    probes += _parse_table(probes_dir / "kconfig.toml", "kconfig", ProbeKind.KCONFIG, "option")
    if not any(p.kind is ProbeKind.CONTROL for p in probes):
        raise CatalogueError(f"{probes_dir} has no control probe", f"restore {probes_dir}/{CONTROL}.c")
    names: set[str] = set()
    defines: set[str] = set()
    for probe in probes:
        if not _NAME_RE.match(probe.name):
            raise CatalogueError(f"probe name {probe.name!r} is not [a-z0-9_]+", "rename the probe")
        if probe.define is not None and not _DEFINE_RE.match(probe.define):
            raise CatalogueError(f"probe {probe.name} sets {probe.define!r}", "name the define WGC_HAVE_<THING>")
        if probe.name in names:
            raise CatalogueError(f"two probes are named {probe.name}", "rename one of them")
        if probe.define in defines:
            raise CatalogueError(f"two probes set {probe.define}", "give each probe its own define")
        names.add(probe.name)
        if probe.define:
            defines.add(probe.define)
    return Catalogue(probes=tuple(probes), digest=folder_digest(probes_dir))
