"""Errors a user can act on.

A UserError carries the cause and the fix as two separate sentences; the
command-line layer prints them as one paragraph and exits non-zero, without a
traceback. Anything else that escapes is a bug in the harness.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: bad input, a missing tool, an unreachable provider."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.cause}\nFix: {self.fix}"
