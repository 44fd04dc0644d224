"""Guest shell lines built from argument lists: every value quoted as one shell word,
never pasted into shell text by formatting. The console runs a line with ``bash -c``.

``cmd`` quotes a command's arguments; ``chain`` and ``in_turn`` join commands; ``redirect``
adds quoted redirections; ``key_input`` is the one piece of shell syntax the suites pass
through (a key handed to ``wg`` by process substitution).
"""

from __future__ import annotations

import shlex


class ShellText(str):
    """Shell syntax ``cmd`` passes through unquoted. Only ``key_input`` makes one."""


def cmd(*argv: object) -> str:
    """One command line from its arguments, each quoted as one shell word (``shlex.quote``
    of ``str(arg)``), except a ``ShellText``, which is shell syntax and stays as it is."""
    return " ".join(a if isinstance(a, ShellText) else shlex.quote(str(a)) for a in argv)


def chain(*cmds: str) -> str:
    """Commands run one after another as long as each succeeds (``a && b && c``)."""
    return " && ".join(cmds)


def in_turn(*cmds: str) -> str:
    """Commands run one after another whatever each returns (``a; b; c``: the last one's status counts)."""
    return "; ".join(cmds)


def key_input(key: str) -> ShellText:
    """A file name for ``wg``'s key options holding ``key``: ``<(printf '%s\\n' KEY)``, bash process
    substitution with the key quoted. wg reads keys only from files; this hands it one without
    writing the key to disk or spending a round trip on a file, so a whole interface (or a
    whole ``two_peers``) is still configured in one command."""
    return ShellText(f"<(printf '%s\\n' {shlex.quote(key)})")


def redirect(command: str, *, stdin: str | None = None, stdout: str | None = None, append: bool = False) -> str:
    """``command < STDIN > STDOUT`` (``>>`` with ``append``), the file names quoted."""
    if stdin is not None:
        command += f" < {shlex.quote(stdin)}"
    if stdout is not None:
        command += f" {'>>' if append else '>'} {shlex.quote(stdout)}"
    return command
