"""The matrix: every kernel built, booted and tested, and the summary table.

Kernel builds run one at a time (they use every core); each kernel's tests
run in a separate process as soon as its build is done, so testing kernel N
overlaps building kernel N+1. The summary goes to the terminal (rich) and to
``reports/matrix-<flavour>[-bundled].md`` with links to each cell's logs; each
cell's JUnit XML, pytest log and consoles go to ``reports/<kernel>-<label>/``.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat import matrix as matrix_data
from wgcompat.errors import UserError
from wgcompat.paths import REPO, REPORTS, run_label, vmtests_report_dir


@dataclass
class Cell:
    """One kernel's row: what happened at each stage, and where the logs are."""

    kernel: str
    release: str = ""
    build: str = "-"
    build_s: float = 0.0
    test: str = "-"
    test_s: float = 0.0
    summary: str = ""
    error: str = ""
    links: dict[str, Path] = field(default_factory=dict)
    artefacts: Path | None = None  # the cell's planned run, which its pytest loads

    @property
    def ok(self) -> bool:
        return self.build in ("ok", "cached") and self.test == "passed"


def _build_cell(cell: Cell, flavour: str, crypto: str, debug_module: bool) -> None:
    """Plan the cell's run (kernel and module, resolved once) and write its artefacts.json."""
    from wgcompat.kernel.select import selection
    from wgcompat.run.plan import FILE_NAME, RunRequest, plan_run

    started = time.monotonic()
    try:
        planned = plan_run(RunRequest(selection(cell.kernel, config=flavour), crypto=crypto,
                                      debug_module=debug_module))
        kernel = planned.stages[0].value
        if kernel is not None:
            cell.release = kernel.release
            if kernel.log:
                cell.links["kernel build log"] = kernel.log
        out = vmtests_report_dir(cell.kernel, flavour, crypto, debug_module)
        cell.artefacts = planned.write(out / FILE_NAME)
        cell.links["module build log"] = planned.require().module.log
        cell.links["compat.h"] = planned.require().module.compat_h
        cell.build = planned.stages[0].status.value
    except UserError as exc:
        cell.build = "failed"
        cell.error = exc.cause.splitlines()[0]
    cell.build_s = time.monotonic() - started


def _test_cell(cell: Cell, keyword: str | None) -> None:
    from wgcompat.session import pytest_vm_args

    assert cell.artefacts is not None
    out = cell.artefacts.parent
    junit = out / "junit.xml"
    log = out / "pytest.log"
    cmd = [*pytest_vm_args(cell.artefacts, junit, keyword), "-q"]
    started = time.monotonic()
    with log.open("w") as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
    cell.test_s = time.monotonic() - started
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    cell.summary = lines[-1].strip("= ") if lines else ""
    cell.test = {0: "passed", 5: "no tests"}.get(proc.returncode, "failed")
    cell.links.update({"pytest log": log, "junit": junit, "console logs": out / "consoles",
                       "artefacts": cell.artefacts})


def run_matrix(flavour: str = "normal", crypto: str = "auto", kernels: list[str] | None = None,
               keyword: str | None = None, debug_module: bool = False) -> int:
    chosen = kernels or list(matrix_data.load().kernels)
    cells = [Cell(k) for k in chosen]
    built: queue.Queue[Cell | None] = queue.Queue()

    def tester() -> None:
        while (cell := built.get()) is not None:
            if cell.build in ("ok", "cached"):
                _test_cell(cell, keyword)
            else:
                cell.test = "skipped"

    worker = threading.Thread(target=tester, name="matrix-tests")
    worker.start()
    try:
        for cell in cells:  # one kernel build at a time: each uses every core
            _build_cell(cell, flavour, crypto, debug_module)
            built.put(cell)
    finally:
        built.put(None)
        worker.join()
    label = run_label(flavour, crypto, debug_module)
    print_summary(cells, label)
    path = write_markdown(cells, label)
    print(f"summary: {path}")
    return 0 if all(c.ok for c in cells) else 1


def print_summary(cells: list[Cell], label: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"wgcompat matrix ({label})")
    for col in ("kernel", "release", "build", "build s", "tests", "tests s", "result"):
        table.add_column(col)
    for c in cells:
        style = "green" if c.ok else "red"
        table.add_row(c.kernel, c.release, c.build, f"{c.build_s:.0f}", c.test, f"{c.test_s:.0f}",
                      c.summary or c.error, style=style)
    Console(stderr=False).print(table)


def write_markdown(cells: list[Cell], label: str) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"matrix-{label}.md"
    rows = ["| kernel | release | build | build s | tests | tests s | result | logs |", "|---|---|---|---|---|---|---|---|"]
    for c in cells:
        links = " · ".join(f"[{name}]({p.as_uri()})" for name, p in c.links.items())
        rows.append(f"| {c.kernel} | {c.release} | {c.build} | {c.build_s:.0f} | {c.test} | {c.test_s:.0f} | "
                    f"{(c.summary or c.error).replace('|', '/')} | {links} |")
    path.write_text(f"# wgcompat matrix ({label})\n\n" + "\n".join(rows) + "\n")
    return path
