"""Guest shell lines built from argument lists: every word quoted by shlex, never a
formatted string. The console runs a line with ``bash -c`` in the guest."""

from __future__ import annotations

import shlex


def guest_line(*steps: list[str] | str) -> str:
    """One line of steps joined by ``&&``: each an argument list, or a step already built
    (``redirected``)."""
    return " && ".join(step if isinstance(step, str) else shlex.join(step) for step in steps)


def redirected(argv: list[str], *, stdin: str | None = None, stdout: str | None = None) -> str:
    """``argv`` with its standard input read from, and/or its output written to, a guest file."""
    line = shlex.join(argv)
    if stdin is not None:
        line += f" < {shlex.quote(stdin)}"
    if stdout is not None:
        line += f" > {shlex.quote(stdout)}"
    return line
