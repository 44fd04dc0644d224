"""Progress for the user, on stderr so --exec output stays clean.

``say`` prints one line per step. ``Ticker`` keeps a long step from going silent (a
kernel build, a download, a guest boot): in a terminal it rewrites one status line with
the elapsed time and, when the step can tell, how far through it is; under CI (CI=true)
or when stderr is not a terminal it prints a timestamped line once a minute instead, so
logs stay short but show the step is alive.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO


def say(message: str) -> None:
    print(f"wgcompat: {message}", file=sys.stderr, flush=True)


def live_terminal(stream: TextIO = sys.stderr) -> bool:
    """A status line may be rewritten in place: a terminal, and not under CI."""
    return stream.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Ticker:
    """Reports on ``what`` while the ``with`` block runs. ``fraction`` (optional) says how far
    through the step is, 0..1, or None when it cannot tell."""

    def __init__(self, what: str, fraction: Callable[[], float | None] = lambda: None,
                 stream: TextIO = sys.stderr, live: bool | None = None, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._fraction = fraction
        self._stream = stream
        self._live = live_terminal(stream) if live is None else live
        self._interval = interval if interval is not None else (1.0 if self._live else 60.0)
        self._clock = clock
        self._started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def status(self) -> str:
        """`building kernel 6.1.192: 2:13, about 45%`."""
        text = f"{self.what}: {elapsed(self._clock() - self._started)}"
        try:
            done = self._fraction()
        except OSError:  # e.g. the log it reads went away
            done = None
        if done is not None:
            text += f", about {min(max(done, 0.0), 0.99) * 100:.0f}%"
        return text

    def _emit(self) -> None:
        if self._live:
            self._stream.write(f"\r\033[Kwgcompat: {self.status()}")
        else:
            self._stream.write(f"wgcompat: {time.strftime('%H:%M:%S')} {self.status()}\n")
        self._stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._emit()

    def __enter__(self) -> Ticker:
        self._started = self._clock()
        self._thread.start()
        return self

    def __exit__(self, _exc_type: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if self._live:
            self._stream.write("\r\033[K")
            self._stream.flush()


def log_fraction(log: os.PathLike[str] | str, expected_lines: int | None, skip: int = 0) -> Callable[[], float | None]:
    """How far through a build is: the lines its log gained past the first ``skip`` against
    ``expected_lines`` (what the previous build wrote), or None with nothing to compare with."""
    def fraction() -> float | None:
        if not expected_lines:
            return None
        with open(log, "rb") as f:
            return (sum(1 for _ in f) - skip) / expected_lines

    return fraction
