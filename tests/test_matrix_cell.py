"""One cell of the matrix run for real, here, with the commands its CI job runs.

The cheapest cell, 6.1-normal (the default kernel, which `./wgc smoke` builds and caches),
runs the commands `invoke matrix --plan` prints for it, with a -k filter on the last one so
that a single boot test runs. It boots a guest, so it is left out of the unit step (marker
`cell`, which pyproject.toml's addopts deselect): run it with `pytest tests -m cell`.

`./wgc` is invoke once the virtual environment is set up; the test runs the invoke of the
environment it runs in, so that a worktree without its own .venv does not create one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wgcompat import matrix, paths, report

REPO = Path(__file__).resolve().parent.parent
INVOKE = Path(sys.executable).parent / "invoke"
ONE_TEST = "test_guest_runs_the_kernel_that_was_built"


@pytest.mark.cell
def test_the_6_1_cell_runs_its_plan_here_and_reports_it() -> None:
    cell = next(c for c in matrix.cells(matrix.load(), "full") if c.name == "6.1-normal")
    key, build, test = (list(c.argv) for c in matrix.cell_commands(cell))
    assert key[0] == build[0] == test[0] == "./wgc"

    printed = subprocess.run([str(INVOKE), *key[1:]], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert printed.returncode == 0, printed.stderr
    built = subprocess.run([str(INVOKE), *build[1:]], cwd=REPO, capture_output=True, text=True, timeout=3600)
    assert built.returncode == 0, built.stderr
    # the key names the build the build command found or made
    assert Path(built.stdout.strip().splitlines()[-1]).is_relative_to(paths.kernels_dir() / printed.stdout.strip())

    out = paths.vmtests_report_dir(cell.kernel, cell.flavour, cell.crypto)
    (out / report.CELL_FILE).unlink(missing_ok=True)
    ran = subprocess.run([str(INVOKE), *test[1:], "-k", ONE_TEST], cwd=REPO, capture_output=True, text=True,
                         timeout=1800)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    saved = report.CellRun.from_json(json.loads((out / report.CELL_FILE).read_text()))
    assert saved.state == "passed" and saved.release.startswith("6.1.")
    assert [s.stage for s in saved.stages] == ["kernel", "module", "test"]
    assert "1 passed" in saved.summary
