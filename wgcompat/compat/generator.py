"""generate(CompatRequest) -> CompatResult: probe a kernel (or reuse cached answers), render.

Contract 3 of docs/architecture.md. Probe answers are cached (wgcompat.cache) under a key of
the kernel build's identity (its version string, .config and Module.symvers), the probe
sources, the compiler used (command and version) and the generator's own code (its probe
flags included). A cached run compiles nothing. An entry is probed under its lock (a second
run wanting the same one waits for it) and counts only once its marker is written, so a
crash never leaves half an entry that a later run would trust.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from wgcompat import cache
from wgcompat.compat.catalogue import Catalogue, load_catalogue
from wgcompat.compat.render import Derived, RenderInput, RenderProbe, render
from wgcompat.compat.runner import run_probes
from wgcompat.compat.tree import CompilerChoice, KernelTree, choose_cc
from wgcompat.errors import UserError
from wgcompat.paths import cache_root

# The code whose change can change the probe answers (the key's "code" inputs).
CODE = ("wgcompat.cache", "wgcompat.compat")


@dataclass(frozen=True)
class CompatRequest:
    kernel_dir: Path
    output_dir: Path
    crypto: Literal["auto", "bundled"] = "auto"
    cache_dir: Path = field(default_factory=lambda: cache_root() / "compat")
    cc: str | None = None  # compiler for the probes; default: the kernel's own, else gcc
    jobs: int | None = None  # parallel compile jobs; default: all cores


@dataclass(frozen=True)
class ProbeResult:
    name: str
    kind: str  # control | compile | header | symbol | kconfig
    define: str | None
    present: bool
    seconds: float  # compile time of this probe (0 for symbol/kconfig probes)
    detail: str  # "compiles", the first compiler error, "EXPORT_SYMBOL_GPL in vmlinux", "CONFIG_X=m"
    log: Path | None = None  # the compiler's output for this probe, kept in the cache


@dataclass(frozen=True)
class CompatResult:
    compat_h: Path
    compat_mk: Path
    probes: list[ProbeResult]
    cached: bool
    seconds: float
    release: str = ""
    kernel_dir: Path | None = None
    crypto: str = ""  # "kernel" or "bundled"
    crypto_reason: str = ""
    derived: list[Derived] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped_cflags: list[str] = field(default_factory=list)
    cache_entry: Path | None = None


class StoredProbe(TypedDict):
    name: str
    kind: str
    define: str | None
    present: bool
    seconds: float
    detail: str
    has_log: bool


class StoredResults(TypedDict):
    """The result a cache entry's marker holds."""

    release: str
    kernel_dir: str
    cc: str
    notes: list[str]
    dropped_cflags: list[str]
    probe_seconds: float
    probes: list[StoredProbe]


def cache_key(tree: KernelTree, catalogue: Catalogue, cc: str) -> cache.InputKey:
    """What the probe answers depend on; its digest names the cache entry."""
    key = cache.InputKey().code(*CODE)
    return key.add("kernel", tree.identity()).add("probes", catalogue.digest).add(
        "compiler", f"{cc}\0{cache.compiler_id(cc)}")


def generate(request: CompatRequest) -> CompatResult:
    started = time.monotonic()
    if request.crypto not in ("auto", "bundled"):
        raise UserError(f"unknown crypto choice {request.crypto!r}", "use --crypto auto or --crypto bundled")
    catalogue = load_catalogue()
    tree = KernelTree.open(request.kernel_dir)
    compiler = choose_cc(tree, request.cc)
    cc = compiler.cc
    key = cache_key(tree, catalogue, cc)
    entry = cache.Entry(Path(request.cache_dir) / key.hexdigest(), key.inputs)

    def probe(folder: Path) -> dict[str, Any]:
        return cast(dict[str, Any], _probe(catalogue, tree, compiler, folder, request.jobs))

    outcome = cache.obtain(entry, f"the probe answers for {tree.kdir}", probe, wait=True)
    stored = cast(StoredResults, outcome.result)
    cached = outcome.cached

    probes = [
        ProbeResult(
            name=p["name"],
            kind=p["kind"],
            define=p["define"],
            present=p["present"],
            seconds=p["seconds"],
            detail=p["detail"],
            log=(entry.path / "logs" / f"{p['name']}.log") if p["has_log"] else None,
        )
        for p in stored["probes"]
    ]
    rendered = render(
        RenderInput(
            release=tree.release,
            kdir=tree.kdir,
            cc=cc,
            notes=tuple(stored["notes"]),
            cache_key=key.hexdigest(),
            probes=tuple(RenderProbe(p.name, p.kind, p.define, p.present, p.detail) for p in probes),
            crypto=request.crypto,
            dropped_cflags=tuple(stored["dropped_cflags"]),
        )
    )
    output_dir = Path(request.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    compat_h = _write_atomic(output_dir / "compat.h", rendered.compat_h)
    compat_mk = _write_atomic(output_dir / "compat.mk", rendered.compat_mk)
    return CompatResult(
        compat_h=compat_h,
        compat_mk=compat_mk,
        probes=probes,
        cached=cached,
        seconds=time.monotonic() - started,
        release=tree.release,
        kernel_dir=tree.kdir,
        crypto=rendered.crypto.mode,
        crypto_reason=rendered.crypto.reason,
        derived=list(rendered.derived),
        notes=list(stored["notes"]),
        dropped_cflags=list(stored["dropped_cflags"]),
        cache_entry=entry.path,
    )


def _probe(
    catalogue: Catalogue, tree: KernelTree, compiler: CompilerChoice, entry: Path, jobs: int | None
) -> StoredResults:
    """Run every probe in the empty folder ``entry``; keep the logs there, return the answers."""
    workdir = entry / "probes"
    outcome = run_probes(catalogue, tree, compiler.cc, workdir, cc_substituted=compiler.substituted, jobs=jobs)
    logs = entry / "logs"
    logs.mkdir()
    records: list[StoredProbe] = []
    for probe in catalogue.probes:
        got = outcome.outcomes[probe.name]
        if got.log:
            (logs / f"{probe.name}.log").write_text(got.log)
        records.append(
            {
                "name": probe.name,
                "kind": str(probe.kind),
                "define": probe.define,
                "present": got.present,
                "seconds": round(got.seconds, 4),
                "detail": got.detail,
                "has_log": bool(got.log),
            }
        )
    all_notes = list(compiler.notes)
    if outcome.dropped_cflags:
        all_notes.append("dropped compiler flags the stand-in compiler rejects: " + " ".join(outcome.dropped_cflags))
    (entry / "make.log").write_text(outcome.make_log)
    shutil.rmtree(workdir)
    return {
        "release": tree.release,
        "kernel_dir": str(tree.kdir),
        "cc": compiler.cc,
        "notes": all_notes,
        "dropped_cflags": list(outcome.dropped_cflags),
        "probe_seconds": round(outcome.seconds, 3),
        "probes": records,
    }


def _write_atomic(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
