"""What one stage of a run reports: its status, how long it took, where its log is.

A stage is a function that returns a value or raises UserError; ``run_stage`` times it
and turns the outcome into a StageResult, so a plan can report every stage alike and
the writers (terminal, JSON) render from the results rather than from the stages.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from wgcompat.errors import UserError

T = TypeVar("T")


class Status(enum.Enum):
    OK = "ok"  # did its work
    CACHED = "cached"  # found its output from an earlier run
    FAILED = "failed"


@dataclass(frozen=True)
class StageResult(Generic[T]):
    stage: str
    status: Status
    seconds: float
    value: T | None = None
    error: UserError | None = None
    log: Path | None = None

    def to_json(self) -> dict[str, object]:
        return {"stage": self.stage, "status": self.status.value, "seconds": round(self.seconds, 1),
                "log": str(self.log) if self.log else None, "error": self.error.cause if self.error else None}

    def line(self) -> str:
        """One line for the terminal: `kernel    cached     1.2 s  /path/build.log`."""
        tail = f"  {self.log}" if self.log else ""
        if self.error:
            tail = f"  {self.error.cause.splitlines()[0]}"
        return f"{self.stage:8} {self.status.value:7} {self.seconds:7.1f} s{tail}"


def run_stage(stage: str, fn: Callable[[], T], cached: Callable[[T], bool] = lambda _: False,
              log: Callable[[T], Path | None] = lambda _: None) -> StageResult[T]:
    """Run ``fn`` as the stage ``stage``. A UserError becomes a FAILED result that keeps the
    error (cause and fix); anything else is a harness bug and propagates."""
    started = time.monotonic()
    try:
        value = fn()
    except UserError as exc:
        return StageResult(stage, Status.FAILED, time.monotonic() - started, error=exc)
    status = Status.CACHED if cached(value) else Status.OK
    return StageResult(stage, status, time.monotonic() - started, value=value, log=log(value))
