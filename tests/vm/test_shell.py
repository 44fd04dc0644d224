"""Guest shell lines from argument lists: every word arrives as it was given."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wgcompat.session import SMOKE_STEPS
from wgcompat.vm.shell import chain, cmd, redirect


def bash(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)


def test_words_with_quotes_spaces_and_dollars_arrive_unchanged(tmp_path: Path) -> None:
    odd = "it's a $HOME `x` \"y\" !z"
    src, dst = tmp_path / "in put", tmp_path / "out'put"
    src.write_text(odd)
    line = chain(cmd("printf", "%s|", odd), redirect(cmd("cat"), stdin=str(src), stdout=str(dst)), cmd("echo", "done"))
    result = bash(line)
    assert (result.returncode, result.stdout) == (0, f"{odd}|done\n")
    assert dst.read_text() == odd


def test_a_failing_step_stops_the_line() -> None:
    result = bash(chain(cmd("false"), cmd("echo", "not reached")))
    assert result.returncode == 1 and result.stdout == ""


def test_the_smoke_steps_are_valid_shell() -> None:
    for what, line, _ in SMOKE_STEPS:
        assert bash(f"set -n; {line}").returncode == 0, what
