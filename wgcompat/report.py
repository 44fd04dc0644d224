"""The matrix: every cell built, booted and tested, and the summary table.

A cell is a kernel series × flavour × crypto mode (wgcompat.matrix). Each cell is planned
(kernel and module, wgcompat.run.plan) and then tested; what happened is the cell's stage
results (wgcompat.run.stages.StageResult: kernel, module, test), from which the two
writers render: ``print_table`` (the terminal, rich) and ``markdown`` (``reports/matrix-
<label>.md``, and the GitHub job summary). Each cell's JUnit XML, pytest log, consoles and
``cell.json`` (its results, which the summary of a CI run reads back) go to
``reports/<cell>/``.

A cell whose series no provider has here (kernel.org unreachable, say) is "not available
here", with the providers' answers as the reason, and does not fail the run unless
``require_all`` (what a CI with internet uses). The providers are asked again only when a
cell's kernel stage failed, to tell the two apart; a cell that resolves is resolved once.

Kernel builds run one at a time (they use every core); each cell's tests run in a separate
process as soon as its build is done, so testing cell N overlaps building cell N+1.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat import matrix as matrix_data
from wgcompat.errors import UserError
from wgcompat.matrix import Cell
from wgcompat.paths import REPO, REPORTS, run_label, vmtests_report_dir
from wgcompat.run.stages import StageResult, Status

CELL_FILE = "cell.json"
NOT_AVAILABLE = "not available here"
STAGES = ("kernel", "module", "test")


@dataclass
class CellRun:
    """One cell's row: its stage results, the release it resolved to, where the logs are."""

    cell: Cell
    stages: list[StageResult] = field(default_factory=list)
    release: str = ""
    unavailable: str = ""  # why no provider has the series here; "" when one has
    summary: str = ""  # pytest's closing line
    links: dict[str, Path] = field(default_factory=dict)
    artefacts: Path | None = None  # the cell's planned run, which its pytest loads

    def stage(self, name: str) -> StageResult | None:
        return next((s for s in self.stages if s.stage == name), None)

    @property
    def state(self) -> str:
        if self.unavailable:
            return NOT_AVAILABLE
        test = self.stage("test")
        return "passed" if test is not None and test.status is Status.OK else "failed"

    @property
    def result(self) -> str:
        """What the result column says: the reason, pytest's summary or the first failure."""
        if self.unavailable:
            return self.unavailable
        failed = next((s for s in self.stages if s.status is Status.FAILED and s.error), None)
        if self.summary:
            return self.summary
        return failed.error.cause.splitlines()[0] if failed and failed.error else ""

    def to_json(self) -> dict[str, object]:
        return {"cell": self.cell.to_json(), "release": self.release, "unavailable": self.unavailable,
                "summary": self.summary, "stages": [s.to_json() for s in self.stages],
                "links": {name: str(path) for name, path in self.links.items()}}

    @staticmethod
    def from_json(data: dict[str, object]) -> CellRun:
        cell = data["cell"]
        assert isinstance(cell, dict)
        stages = data.get("stages", [])
        links = data.get("links", {})
        assert isinstance(stages, list) and isinstance(links, dict)
        return CellRun(Cell(str(cell["kernel"]), str(cell["flavour"]), str(cell["crypto"]), str(cell["provider"]),
                            str(cell.get("arch", "x86_64"))),
                       [_stage_from_json(s) for s in stages], release=str(data.get("release", "")),
                       unavailable=str(data.get("unavailable", "")), summary=str(data.get("summary", "")),
                       links={str(k): Path(str(v)) for k, v in links.items()})


def _stage_from_json(data: dict[str, object]) -> StageResult:
    error = data.get("error")
    log = data.get("log")
    return StageResult(str(data["stage"]), Status(str(data["status"])), float(str(data["seconds"])),
                       error=UserError(str(error), "see the cell's logs") if error else None,
                       log=Path(str(log)) if log else None)


# ---------------------------------------------------------------------------------------------
# running a cell


def unavailable_reason(kernel: str) -> str:
    """Why no provider has ``kernel`` here ("" when one has it): the providers' own answers."""
    from wgcompat.kernel.providers import default_providers, resolve
    from wgcompat.kernel.version import KernelVersion

    try:
        resolve(KernelVersion.parse(kernel), default_providers(matrix_data.load().debian_suites))
    except UserError as exc:
        return exc.cause
    return ""


def _build_cell(run: CellRun, debug_module: bool) -> None:
    """Plan the cell's run (kernel and module, resolved once) and write its artefacts.json."""
    from wgcompat.kernel.select import selection
    from wgcompat.run.plan import FILE_NAME, RunRequest, plan_run

    cell = run.cell
    planned = plan_run(RunRequest(selection(cell.kernel, config=cell.flavour, arch=cell.arch), crypto=cell.crypto,
                                  debug_module=debug_module))
    run.stages = list(planned.stages)
    kernel = planned.stages[0].value
    if kernel is not None:
        run.release = kernel.release
        if kernel.log:
            run.links["kernel build log"] = kernel.log
    if planned.artefacts is not None:
        out = vmtests_report_dir(cell.target, cell.flavour, cell.crypto, debug_module)
        run.artefacts = planned.write(out / FILE_NAME)
        run.links["module build log"] = planned.artefacts.module.log
        run.links["compat.h"] = planned.artefacts.module.compat_h


def _test_cell(run: CellRun, keyword: str | None) -> None:
    from wgcompat.session import pytest_vm_args

    assert run.artefacts is not None
    out = run.artefacts.parent
    junit = out / "junit.xml"
    log = out / "pytest.log"
    cmd = [*pytest_vm_args(run.artefacts, junit, keyword), "-q"]
    started = time.monotonic()
    with log.open("w") as f:
        code = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT).returncode
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    run.summary = lines[-1].strip("= ") if lines else ""
    error = None if code == 0 else UserError(f"pytest exited {code}" + (" (no tests ran)" if code == 5 else ""),
                                             f"see {log}")
    run.stages.append(StageResult("test", Status.OK if code == 0 else Status.FAILED, time.monotonic() - started,
                                  value=code, error=error, log=log))
    run.links.update({"pytest log": log, "junit": junit, "console logs": out / "consoles",
                      "artefacts": run.artefacts})


def _write_cell(run: CellRun, debug_module: bool) -> None:
    out = vmtests_report_dir(run.cell.target, run.cell.flavour, run.cell.crypto, debug_module)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{CELL_FILE}.tmp"
    tmp.write_text(json.dumps(run.to_json(), indent=2) + "\n")
    tmp.rename(out / CELL_FILE)


def run_matrix(cells: Sequence[Cell], label: str, keyword: str | None = None, debug_module: bool = False,
               require_all: bool = False) -> int:
    runs = [CellRun(c) for c in cells]
    unavailable: dict[str, str] = {}  # kernel -> why no provider has it here
    built: queue.Queue[CellRun | None] = queue.Queue()

    def tester() -> None:
        while (run := built.get()) is not None:
            if run.artefacts is not None:
                _test_cell(run, keyword)
            _write_cell(run, debug_module)

    worker = threading.Thread(target=tester, name="matrix-tests")
    worker.start()
    try:
        for run in runs:  # one kernel build at a time: each uses every core
            kernel = run.cell.kernel
            if kernel not in unavailable:
                _build_cell(run, debug_module)
                # a failed kernel stage is either a failure or a kernel no provider has here
                failed = run.stages[0].status is Status.FAILED
                if failed and (reason := unavailable_reason(kernel)):
                    unavailable[kernel] = reason
            if kernel in unavailable:
                run.stages, run.unavailable = [], unavailable[kernel]
            built.put(run)
    finally:
        built.put(None)
        worker.join()
    print_table(runs, label)
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"matrix-{label}.md"
    path.write_text(markdown(runs, label))
    print(f"summary: {path}")
    return exit_code(runs, require_all)


def exit_code(runs: Sequence[CellRun], require_all: bool) -> int:
    """0 when every cell passed, or was not available here and ``require_all`` is off."""
    allowed = ("passed",) if require_all else ("passed", NOT_AVAILABLE)
    return 0 if all(r.state in allowed for r in runs) else 1


# ---------------------------------------------------------------------------------------------
# the plan and the summary of a CI run


def print_plan(cells: Sequence[Cell]) -> None:
    """Each cell's commands, as its CI job runs them; nothing is run."""
    for cell in cells:
        print(f"{cell.name} ({cell.provider or 'any provider'})")
        for command in matrix_data.cell_commands(cell):
            print(f"  # {command.what}\n  {command.text}")


def collected(folder: Path, expected: Sequence[Cell]) -> list[CellRun]:
    """The cells' results under ``folder`` (each job's reports/<cell>/cell.json, downloaded),
    in the order of ``expected``; a cell without one is a failed row saying so."""
    found: dict[str, CellRun] = {}
    for path in sorted(folder.rglob(CELL_FILE)):
        try:
            run = CellRun.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, AssertionError) as exc:
            raise UserError(f"{path} is not a cell's results ({exc})", "download the jobs' artifacts again") from exc
        found[run.cell.name] = run
    missing = UserError("the job left no results (it failed or was cancelled before its report)", "see its log")
    runs = [found.pop(c.name, None) or CellRun(c, [StageResult("test", Status.FAILED, 0.0, error=missing)])
            for c in expected]
    return runs + list(found.values())


# ---------------------------------------------------------------------------------------------
# the writers


def _stage_text(run: CellRun, name: str) -> str:
    s = run.stage(name)
    return "-" if s is None else f"{s.status.value} {s.seconds:.0f} s"


def _columns(run: CellRun) -> list[str]:
    return [run.cell.name, run.cell.provider or "-", run.release or "-",
            *(_stage_text(run, name) for name in STAGES), run.state, run.result]


HEADERS = ("cell", "provider", "release", *STAGES, "state", "result")


def print_table(runs: Sequence[CellRun], label: str) -> None:
    """The terminal's table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"wgcompat matrix ({label})")
    for col in HEADERS:
        table.add_column(col, no_wrap=col not in ("provider", "result"), overflow="fold")
    for run in runs:
        style = {"passed": "green", NOT_AVAILABLE: "yellow"}.get(run.state, "red")
        table.add_row(*_columns(run), style=style)
    # a log (CI, a pipe) gets a wide table rather than rich's default of 80 columns
    Console(stderr=False, width=None if sys.stdout.isatty() else 200).print(table)


def markdown(runs: Sequence[CellRun], label: str, links: bool = True) -> str:
    """The Markdown report (reports/matrix-<label>.md; with ``links`` off, the GitHub job summary)."""
    head = [*HEADERS, "logs"] if links else list(HEADERS)
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        cols = [c.replace("|", "/") for c in _columns(run)]
        if links:
            cols.append(" · ".join(f"[{name}]({p.as_uri()})" for name, p in run.links.items()))
        rows.append("| " + " | ".join(cols) + " |")
    counts = {state: sum(r.state == state for r in runs) for state in ("passed", "failed", NOT_AVAILABLE)}
    tally = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    return f"# wgcompat matrix ({label})\n\n{tally}\n\n" + "\n".join(rows) + "\n"


def matrix_label(subset: str | None, flavour: str, crypto: str, debug_module: bool) -> str:
    """reports/matrix-<label>.md: the subset's name, or the flavour and crypto of the run."""
    if subset:
        return f"{subset}-wgdebug" if debug_module else subset
    return run_label(flavour, crypto, debug_module)


def main(argv: list[str] | None = None) -> int:
    """``python -m wgcompat.report --summary DIR --cells SUBSET``: the Markdown matrix of a CI
    run from its jobs' downloaded results (standard library only: no virtual environment)."""
    parser = argparse.ArgumentParser(prog="python -m wgcompat.report", description=main.__doc__)
    parser.add_argument("--summary", type=Path, required=True, help="folder with the cells' cell.json files")
    parser.add_argument("--cells", choices=matrix_data.SUBSETS, required=True, help="the subset the run ran")
    args = parser.parse_args(argv)
    try:
        runs = collected(args.summary, matrix_data.cells(matrix_data.load(), args.cells))
    except UserError as exc:
        print(f"error: {exc.cause}\nfix: {exc.fix}", file=sys.stderr)
        return 2
    print(markdown(runs, args.cells, links=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
