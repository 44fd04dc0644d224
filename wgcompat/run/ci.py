"""`./wgc ci`: the steps of ci.toml, one pytest run each, and their summary.

The kernels the steps boot are built ahead, in the background (wgcompat.prebuild), each
resolved once: the prebuilder records the KernelBuild it resolved, and each step plans
its run on that record (plan_run(kernel=...)) instead of asking the providers again. Each
VM step writes its artefacts.json into reports/ci/<step>/ and pytest loads it from there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from wgcompat import matrix, paths
from wgcompat.arch import ARCHES
from wgcompat.arch import DEFAULT as DEFAULT_ARCH
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.kconfig import FLAVOURS
from wgcompat.kernel.select import selection
from wgcompat.prebuild import KernelPrebuilder
from wgcompat.progress import say
from wgcompat.run.plan import FILE_NAME, RunRequest, plan_run

PLAN_FILE = paths.REPO / "ci.toml"
REPORTS = paths.REPORTS / "ci"
STEP_KEYS = {"name", "paths", "kernel", "flavour", "crypto", "arch", "debug_module", "pytest", "why"}


@dataclass(frozen=True)
class CiStep:
    """One step of `./wgc ci`: a pytest run over some paths, for one kernel/flavour/crypto."""

    name: str
    paths: tuple[str, ...]
    kernel: str | None = None  # None: host-only tests
    flavour: str = "normal"
    crypto: str = "auto"
    arch: str = DEFAULT_ARCH  # wgcompat.arch: what the kernel is built for and booted on
    debug_module: bool = False  # the WG_DEBUG build instead of the release build
    deselect: tuple[str, ...] = ()  # node ids left out: ci.toml's known_unstable
    options: tuple[str, ...] = ()  # more pytest arguments

    @property
    def tag(self) -> str:
        return re.sub(r"[^A-Za-z0-9.]+", "-", self.name).strip("-").lower()


@dataclass(frozen=True)
class CiPlan:
    steps: tuple[CiStep, ...]
    known_unstable: dict[str, str]  # node id -> why CI leaves it out


def load_plan(path: Path = PLAN_FILE, m: matrix.Matrix | None = None) -> CiPlan:
    """ci.toml's steps, with "default"/"others" resolved against kernels.toml; a UserError
    naming the step and the key when the file is wrong."""
    m = m or matrix.load()
    fix = f"correct {path.name} (its header comment lists the keys of a step)"
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read the CI plan {path}: {exc}", fix) from exc
    unstable = {str(k): str(v) for k, v in data.get("known_unstable", {}).items()}
    steps: list[CiStep] = []
    for n, raw in enumerate(data.get("step", []), 1):
        where = f"{path.name}, step {n} ({raw.get('name', 'unnamed')})"
        unknown = set(raw) - STEP_KEYS
        if unknown or "name" not in raw or not raw.get("paths"):
            raise UserError(f"{where}: {'unknown keys ' + ', '.join(sorted(unknown)) if unknown else 'needs name and paths'}",
                            fix)
        # a path, or a pytest node id in one (path::test)
        missing = [p for p in raw["paths"] if not (paths.REPO / p.split("::")[0]).exists()]
        if missing:
            raise UserError(f"{where}: no such test path {', '.join(missing)}", fix)
        if raw.get("flavour", "normal") not in FLAVOURS or raw.get("crypto", "auto") not in ("auto", "bundled"):
            raise UserError(f"{where}: flavour must be {', '.join(FLAVOURS)}; crypto auto or bundled", fix)
        if raw.get("arch", DEFAULT_ARCH) not in ARCHES:
            raise UserError(f"{where}: arch must be one of {', '.join(ARCHES)}", fix)
        which = raw.get("kernel")
        kernels: list[str | None]
        if which is None:
            kernels = [None]
        elif which == "default":
            kernels = [m.default]
        elif which == "others":
            kernels = [k for k in m.ci_kernels if k != m.default]
        elif which in m.kernels:
            kernels = [str(which)]
        else:
            raise UserError(f"{where}: kernel {which!r} is neither default, others nor a kernel of the matrix", fix)
        for k in kernels:
            steps.append(CiStep(name=str(raw["name"]).replace("{kernel}", k or ""), paths=tuple(raw["paths"]),
                                kernel=k, flavour=raw.get("flavour", "normal"), crypto=raw.get("crypto", "auto"),
                                arch=str(raw.get("arch", DEFAULT_ARCH)),
                                debug_module=bool(raw.get("debug_module", False)),
                                deselect=tuple(unstable) if k is not None else (),
                                options=tuple(str(x) for x in raw.get("pytest", []))))
    tags = [s.tag for s in steps]
    if len(set(tags)) != len(tags):
        raise UserError(f"{path.name}: two steps have the same name", fix)
    return CiPlan(tuple(steps), unstable)


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML file; (0, 1, 0) if it is missing."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 1, 0
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(x.get("tests", 0)) for x in suites)
    failed = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
    skipped = sum(int(x.get("skipped", 0)) for x in suites)
    return tests - failed - skipped, failed, skipped


@dataclass(frozen=True)
class StepResult:
    step: CiStep
    code: int
    seconds: float
    counts: tuple[int, int, int]  # passed, failed, skipped


def _prebuilt(prebuilder: KernelPrebuilder, step: CiStep) -> KernelBuild | None:
    """The kernel the prebuilder resolved and built for ``step``, or None (the step then
    resolves it itself and reports what went wrong as its own failure)."""
    assert step.kernel is not None
    wanted = (step.kernel, step.flavour, step.arch)
    code = prebuilder.wait(*wanted)
    record = prebuilder.record_of(*wanted)
    if code == 0 and record.is_file():
        return KernelBuild.from_json(json.loads(record.read_text()))
    if code is not None:
        say(f"the background build of {step.kernel} ({step.arch}, {step.flavour}) failed (exit {code}, "
            f"{prebuilder.log_of(*wanted)}); the step builds it itself")
    return None


def host_step_command(step: CiStep, junit: Path, basetemp: Path) -> list[str]:
    """The pytest command of a step that boots no kernel: its paths and its own options."""
    return [sys.executable, "-m", "pytest", *step.paths, "-q", "-rfE", f"--junitxml={junit}",
            f"--basetemp={basetemp}", *step.options]


def _run_step(step: CiStep, plan: CiPlan, prebuilder: KernelPrebuilder) -> StepResult:
    from wgcompat.session import pytest_vm_args

    out = REPORTS / step.tag
    out.mkdir(parents=True, exist_ok=True)
    junit = out / "junit.xml"
    junit.unlink(missing_ok=True)
    started = time.monotonic()
    say(f"CI step: {step.name}")
    if step.kernel is None:
        cmd = host_step_command(step, junit, out / "tmp")
    else:
        request = RunRequest(selection(step.kernel, config=step.flavour, arch=step.arch), crypto=step.crypto,
                             debug_module=step.debug_module)
        planned = plan_run(request, kernel=_prebuilt(prebuilder, step))
        for stage in planned.stages:
            say(f"  {stage.line()}")
        if planned.failed:
            say(f"CI step: {step.name}: {planned.failed.stage} failed: {planned.failed.error}")
            return StepResult(step, 1, time.monotonic() - started, (0, 1, 0))
        cmd = pytest_vm_args(planned.write(out / FILE_NAME), junit, None, step.paths)
        for node in step.deselect:
            say(f"CI leaves out {node}: {plan.known_unstable[node]}")
            cmd += ["--deselect", node]
        cmd += list(step.options)
    code = subprocess.run(cmd, cwd=paths.REPO).returncode
    counts = junit_counts(junit)
    seconds = time.monotonic() - started
    say(f"CI step: {step.name}: exit {code}, {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped, "
        f"{seconds:.0f} s")
    return StepResult(step, code, seconds, counts)


def run_ci() -> int:
    """Every step of ci.toml, a table of results, and one closing count line."""
    plan = load_plan()
    REPORTS.mkdir(parents=True, exist_ok=True)
    prebuilder = KernelPrebuilder([(s.kernel, s.flavour, s.arch) for s in plan.steps if s.kernel is not None],
                                  REPORTS).start()
    rows: list[StepResult] = []
    try:
        for step in plan.steps:
            rows.append(_run_step(step, plan, prebuilder))
    finally:
        prebuilder.stop()
    print("\nCI summary:")
    for r in rows:
        passed, failed, skipped = r.counts
        print(f"  {'ok  ' if r.code == 0 else 'FAIL'} {r.step.name:55} {passed:4} passed {failed:3} failed "
              f"{skipped:3} skipped {r.seconds:6.0f} s")
    total = [sum(r.counts[i] for r in rows) for i in range(3)]
    print(f"ci: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0 if all(r.code == 0 for r in rows) else 1
