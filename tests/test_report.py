"""The matrix run and its summary: cells planned and tested, cells whose kernel is not
available here, the two writers (terminal and Markdown) rendered from the stage results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wgcompat import paths, report
from wgcompat.errors import UserError
from wgcompat.kernel.providers import ProviderUnavailable
from wgcompat.matrix import Cell
from wgcompat.run.stages import StageResult, Status

UNREACHABLE = "no provider has Linux 4.19 (tried debian: has no 4.19; kernel.org: unreachable (no network))"


def passed_run() -> report.CellRun:
    return report.CellRun(Cell("6.1", "normal", "auto", "debian:bookworm"),
                          [StageResult("kernel", Status.CACHED, 0.4), StageResult("module", Status.OK, 19.2),
                           StageResult("test", Status.OK, 40.0)],
                          release="6.1.192", summary="12 passed in 40s", links={"compat.h": Path("/cache/m/compat.h")})


def failed_run() -> report.CellRun:
    error = UserError("wireguard.ko failed to build against 7.2.13", "see the log")
    return report.CellRun(Cell("7.2", "debug", "bundled", "debian:sid"),
                          [StageResult("kernel", Status.OK, 600.0), StageResult("module", Status.FAILED, 9.0, error=error)],
                          release="7.2.13")


def unavailable_run() -> report.CellRun:
    return report.CellRun(Cell("4.19", "normal", "auto", "kernel.org"), unavailable=UNREACHABLE)


def test_the_markdown_report_has_a_row_per_cell_from_its_stage_results() -> None:
    text = report.markdown([passed_run(), failed_run(), unavailable_run()], "normal")
    assert "1 passed, 1 failed, 1 not available here" in text
    assert ("| 6.1-normal | debian:bookworm | 6.1.192 | cached 0 s | ok 19 s | ok 40 s | passed | 12 passed in 40s "
            "| [compat.h](file:///cache/m/compat.h) |") in text
    assert ("| 7.2-debug-bundled | debian:sid | 7.2.13 | ok 600 s | failed 9 s | - | failed "
            "| wireguard.ko failed to build against 7.2.13 |") in text
    assert f"| 4.19-normal | kernel.org | - | - | - | - | not available here | {UNREACHABLE} |" in text
    assert "logs" not in report.markdown([passed_run()], "quick", links=False)


def test_the_terminal_table_shows_the_same_cells(capsys: pytest.CaptureFixture[str]) -> None:
    report.print_table([passed_run(), failed_run(), unavailable_run()], "normal")
    out = capsys.readouterr().out
    for text in ("6.1-normal", "7.2-debug-bundled", "4.19-normal", "cached 0 s", "failed 9 s",
                 "not available here"):
        assert text in out


def test_a_cell_not_available_here_does_not_fail_the_run_unless_every_cell_is_required() -> None:
    runs = [passed_run(), unavailable_run()]
    assert report.exit_code(runs, require_all=False) == 0
    assert report.exit_code(runs, require_all=True) == 1
    assert report.exit_code([passed_run(), failed_run()], require_all=False) == 1


def test_the_reason_is_what_the_providers_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    class Offline:
        name = "kernel.org"

        def find(self, want):
            raise ProviderUnavailable(f"https://cdn.example/v{want.major}.x/sha256sums.asc: no network")

    class Debian:
        name = "debian"

        def find(self, want):
            return None

    from wgcompat.kernel import providers

    monkeypatch.setattr(providers, "default_providers", lambda hints=None: [Debian(), Offline()])
    reason = report.unavailable_reason("4.19")
    assert reason.startswith("no provider has Linux 4.19")
    assert "debian: has no 4.19" in reason and "kernel.org: unreachable (https://cdn.example/v4.x" in reason


def test_run_matrix_reports_an_unavailable_cell_and_writes_its_results(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(paths, "REPORTS", tmp_path)
    monkeypatch.setattr(report, "REPORTS", tmp_path)
    planned: list[str] = []

    def plan_fails(run: report.CellRun, debug_module: bool) -> None:
        planned.append(run.cell.name)
        run.stages = [StageResult("kernel", Status.FAILED, 0.3, error=UserError(UNREACHABLE, "--kernel-src"))]

    monkeypatch.setattr(report, "_build_cell", plan_fails)
    monkeypatch.setattr(report, "unavailable_reason", lambda kernel: UNREACHABLE if kernel == "4.19" else "")
    cells = [Cell("4.19", "normal", "auto", "kernel.org"), Cell("4.19", "debug", "auto", "kernel.org")]
    assert report.run_matrix(cells, "full") == 0
    assert planned == ["4.19-normal"]  # the debug cell of a kernel not available is not planned again
    assert report.run_matrix(cells, "full", require_all=True) == 1
    # a kernel some provider has whose build failed is a failure, not "not available"
    assert report.run_matrix([Cell("6.1")], "normal") == 1
    assert json.loads((tmp_path / "6.1-normal" / report.CELL_FILE).read_text())["unavailable"] == ""
    assert "not available here" in (tmp_path / "matrix-full.md").read_text()
    saved = json.loads((tmp_path / "4.19-debug" / report.CELL_FILE).read_text())
    assert saved["unavailable"] == UNREACHABLE and saved["cell"]["flavour"] == "debug"
    assert "not available here" in capsys.readouterr().out


def test_the_summary_of_a_ci_run_reads_the_cells_back_and_names_a_missing_one(tmp_path: Path) -> None:
    for run in (passed_run(), failed_run()):
        folder = tmp_path / f"cell-{run.cell.name}" / "home" / "reports" / run.cell.name
        folder.mkdir(parents=True)
        (folder / report.CELL_FILE).write_text(json.dumps(run.to_json()))
    expected = [passed_run().cell, failed_run().cell, Cell("6.18", "normal", "auto", "kernel.org")]
    runs = report.collected(tmp_path, expected)
    assert [r.cell.name for r in runs] == ["6.1-normal", "7.2-debug-bundled", "6.18-normal"]
    assert report.markdown(runs[:2], "x") == report.markdown([passed_run(), failed_run()], "x")
    assert runs[2].state == "failed" and "left no results" in runs[2].result


def test_the_summary_command_runs_without_the_virtual_environment(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "cell-4.19-normal"
    folder.mkdir()
    (folder / report.CELL_FILE).write_text(json.dumps(unavailable_run().to_json()))
    # the summary job runs it with the runner's python3: the standard library only
    proc = subprocess.run([sys.executable, "-S", "-m", "wgcompat.report", "--summary", str(tmp_path),
                           "--cells", "quick"], cwd=paths.REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "| 4.19-normal | kernel.org |" in proc.stdout and "not available here" in proc.stdout
    assert "| 6.1-normal | debian:bookworm | - | - | - | failed 0 s | failed |" in proc.stdout


def test_a_forced_crypto_run_reports_apart_from_the_default_one() -> None:
    assert report.matrix_label(None, "normal", "auto", False) == "normal"
    assert report.matrix_label(None, "debug", "bundled", False) == "debug-bundled"
    assert report.matrix_label("quick", "normal", "auto", True) == "quick-wgdebug"
    assert Cell("6.1", "debug", "bundled").name == paths.vmtests_report_dir("6.1", "debug", "bundled").name
