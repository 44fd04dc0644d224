"""The progress ticker of long steps (wgcompat.progress), with a fake clock and stream."""

from __future__ import annotations

import io
from pathlib import Path

from wgcompat.progress import Ticker, elapsed, live_terminal, log_fraction


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_under_ci_each_tick_is_a_timestamped_line_with_the_elapsed_time_and_the_fraction() -> None:
    out, clock = io.StringIO(), Clock()
    with Ticker("building kernel 6.1.192", fraction=lambda: 0.456, stream=out, live=False, interval=3600,
                clock=clock) as t:
        clock.now += 133
        t._emit()
    line = out.getvalue()
    assert line.endswith("building kernel 6.1.192: 2:13, about 46%\n") and line.startswith("wgcompat: ")
    assert "\r" not in line


def test_in_a_terminal_the_status_line_is_rewritten_and_cleared_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    with Ticker("booting", stream=out, live=True, interval=3600, clock=clock) as t:
        clock.now += 5
        t._emit()
        assert out.getvalue() == "\r\033[Kwgcompat: booting: 0:05"  # no fraction: only the time
    assert out.getvalue().endswith("\r\033[K")


def test_a_build_longer_than_the_last_never_shows_100_percent() -> None:
    t = Ticker("x", fraction=lambda: 1.7, stream=io.StringIO(), live=False, clock=Clock())
    assert t.status().endswith("about 99%")


def test_the_fraction_is_the_log_against_the_previous_build(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("CC a\nCC b\nCC c\n")
    assert log_fraction(log, 12)() == 0.25
    assert log_fraction(log, 4, skip=1)() == 0.5  # the configure step's lines are not the build's
    assert log_fraction(log, None)() is None


def test_ci_is_never_a_live_terminal(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("CI", "true")
    assert not live_terminal(Tty())
    monkeypatch.delenv("CI")
    assert live_terminal(Tty()) and not live_terminal(io.StringIO())
    assert elapsed(3725) == "62:05"
