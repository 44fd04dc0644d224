"""The console protocol: commands over the guest's shell port, driven by pexpect.

Design
------
The kernel's console is ttyS0, written by QEMU to a file (``ConsoleLog``); the
command shell is ttyS1, QEMU's stdio, driven here. Kernel messages therefore
never interleave with command output.

In the guest, ``wgc-server`` (wgcompat/image/files/wgc-server, put into the base
image) reads one request per line. For each command the host picks a random token and sends
``RUN <token> <base64 of the command>``; the guest answers::

    \\n<token>-S\\n<output>\\n<token>-E <status>\\n

so the output is exactly what lies between the two markers, whatever it
contains, and the command text never needs quoting. Commands run with
``bash -c``, stdin from /dev/null, stderr merged into stdout; each runs in a
fresh shell (``cd`` and variables do not carry over). Before the end marker the
guest writes ``wgcompat-sync <token>`` to /dev/kmsg, so once that line shows up
in the console log every kernel message caused by the command is there too.

Every command has a timeout. A timeout raises ``CommandTimeout`` naming the
command and quoting the console tail; the console is then considered broken
(the command may still be running) and further commands are refused.
"""

from __future__ import annotations

import base64
import posixpath
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pexpect

from wgcompat.errors import UserError
from wgcompat.vm.shell import chain, cmd

READY_PREFIX = "WGCOMPAT-READY-"
SYNC_PREFIX = "wgcompat-sync "
PUT_LIMIT = 8 * 1024 * 1024    # put() is for small files; bigger ones go in the initramfs overlay


@dataclass(frozen=True)
class CommandResult:
    status: int
    output: str

    @property
    def ok(self) -> bool:
        return self.status == 0


class GuestError(UserError):
    """Something went wrong in or with the guest; ``tail`` is the console tail."""

    def __init__(self, cause: str, fix: str, tail: str = "") -> None:
        super().__init__(cause + (f"\n--- console tail ---\n{tail}" if tail else ""), fix)
        self.tail = tail


class BootHang(GuestError):
    """No ready marker within the boot watchdog."""


class BootFailed(GuestError):
    """QEMU ended before the guest's shell was ready."""


class BootPanic(BootFailed):
    """The kernel panicked before the shell was ready."""


class CommandTimeout(GuestError):
    """A command did not finish within its timeout."""


class GuestDied(GuestError):
    """QEMU ended while a command was running."""


class ConsoleBroken(GuestError):
    """The console cannot take commands any more (after a timeout, a death, or interact())."""


def tail_lines(text: str, n: int = 40) -> str:
    return "\n".join(text.replace("\r\n", "\n").splitlines()[-n:])


def shorten(cmd: str, limit: int = 200) -> str:
    one = " ".join(cmd.split())
    return one if len(one) <= limit else one[:limit] + " ..."


class ConsoleLog:
    """The kernel console as QEMU writes it to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, start: int = 0, end: int | None = None) -> str:
        try:
            with self.path.open("rb") as f:
                f.seek(start)
                data = f.read() if end is None else f.read(max(0, end - start))
        except FileNotFoundError:
            return ""
        return data.decode("utf-8", "replace")

    def tail(self, n: int = 40) -> str:
        size = self.size()
        return tail_lines(self.read(max(0, size - 64 * 1024)), n)

    def wait_for(self, needle: str, start: int, timeout: float, poll: float = 0.02) -> int | None:
        """Byte offset just past the line holding ``needle`` (searched from ``start``), or None on timeout."""
        raw = needle.encode()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.path.open("rb") as f:
                    f.seek(start)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            at = data.find(raw)
            if at >= 0:
                nl = data.find(b"\n", at)
                if nl >= 0:
                    return start + nl + 1
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll)  # waiting on a condition (the line appearing), bounded by the deadline


class Console:
    """Run commands through the guest's ``wgc-server`` over a pexpect child."""

    def __init__(self, child: pexpect.spawn, describe: Callable[[], str] | None = None) -> None:
        self.child = child
        self._describe = describe or (lambda: "")
        self.broken: str | None = None

    def _tail(self) -> str:
        described = self._describe()
        if described:
            return described
        before = self.child.before if isinstance(self.child.before, str) else ""
        return tail_lines(before)

    def wait_ready(self, token: str, timeout: float, check: Callable[[], None] | None = None,
                   step: float = 0.5) -> float:
        """Wait for the ready marker; ``check`` runs between waits and may raise (panic seen).

        Returns the seconds waited. Raises BootHang after ``timeout``, BootFailed if QEMU ends.
        """
        started = time.monotonic()
        pattern = re.compile(re.escape(READY_PREFIX + token) + r"\r?\n")
        while True:
            remaining = started + timeout - time.monotonic()
            if remaining <= 0:
                self.broken = "the guest never became ready"
                raise BootHang(f"guest hung during boot: no shell within {timeout:.0f} s",
                               "look at the console log for where the boot stopped; a debug kernel under TCG may "
                               "need a longer boot timeout", self._tail())
            idx = self.child.expect([pattern, pexpect.EOF, pexpect.TIMEOUT], timeout=min(step, remaining))
            if idx == 0:
                return time.monotonic() - started
            if check is not None:
                check()
            if idx == 1:
                self.broken = "QEMU ended during boot"
                raise BootFailed("QEMU exited before the guest's shell was ready",
                                 "read QEMU's message and the kernel console in the tail below "
                                 "(a bad kernel image, a reboot, or a QEMU error)", self._tail())

    def run(self, cmd: str, timeout: float = 60.0, token: str | None = None) -> CommandResult:
        if self.broken:
            raise ConsoleBroken(f"cannot run `{shorten(cmd)}`: {self.broken}",
                                "start a new guest (the previous failure is reported above)")
        token = token or new_token()
        payload = base64.b64encode(cmd.encode()).decode()
        return self._request(f"RUN {token} {payload}\n", "", token, shorten(cmd), timeout)

    def put_bytes(self, data: bytes, guest_path: str, mode: int = 0o644, timeout: float = 120.0) -> None:
        """Write ``data`` to ``guest_path`` in the guest (base64 over the console; small files only).

        The content goes to ``<path>.wgc-part`` with a PUT request, then is renamed into
        place, so the file never exists half-written."""
        if len(data) > PUT_LIMIT:
            raise UserError(f"{len(data)} bytes is too much to send over the serial console",
                            "put big files in the initramfs instead (start_guest(put=[(host, guest)]) or --put)")
        part = guest_path + ".wgc-part"
        folder = posixpath.dirname(guest_path) or "."
        self._expect_ok(self.run(cmd("mkdir", "-p", folder), timeout=timeout), guest_path)
        payload = base64.b64encode(data).decode()
        token = new_token()
        self._request(f"PUT {token} {len(payload)} {base64.b64encode(part.encode()).decode()}\n",
                      payload, token, f"put {guest_path}", timeout)
        rename = chain(cmd("chmod", f"{mode:o}", part), cmd("mv", part, guest_path))
        self._expect_ok(self.run(rename, timeout=timeout), guest_path)

    @staticmethod
    def _expect_ok(result: CommandResult, guest_path: str) -> None:
        if result.status != 0:
            raise UserError(f"writing {guest_path} in the guest failed: {result.output.strip()}",
                            "check that the guest path is writable (/root, /tmp)")

    def _request(self, line: str, payload: str, token: str, what: str, timeout: float) -> CommandResult:
        """Send a request line, then (after the start marker) ``payload``; wait for the end marker."""
        if self.broken:
            raise ConsoleBroken(f"cannot {what}: {self.broken}", "start a new guest")
        self.child.send(line)
        deadline = time.monotonic() + timeout
        start = re.compile(re.escape(token) + r"-S\r?\n")
        end = re.compile(r"\r?\n" + re.escape(token) + r"-E (\d+)\r?\n")
        for i, pattern in enumerate((start, end)):
            idx = self.child.expect([pattern, pexpect.EOF, pexpect.TIMEOUT],
                                    timeout=max(0.0, deadline - time.monotonic()))
            if idx == 1:
                self.broken = f"the guest went away during `{what}`"
                raise GuestDied(f"the guest stopped during `{what}`",
                                "look at the console log: the kernel panicked or QEMU exited", self._tail())
            if idx == 2:
                self.broken = f"`{what}` timed out and may still be running"
                raise CommandTimeout(f"the guest command `{what}` did not finish within {timeout:g} s",
                                     "give it a longer timeout, or look at the console tail for a hang in the guest",
                                     self._tail())
            if i == 0:
                for at in range(0, len(payload), 4096):
                    self.child.send(payload[at:at + 4096])
        before = self.child.before if isinstance(self.child.before, str) else ""
        return CommandResult(status=int(self.child.match.group(1)), output=before.replace("\r\n", "\n"))

    def interact(self, escape: str = "\x1d") -> None:
        """Hand the shell to the user (an interactive bash); returns when it exits or on Ctrl-]."""
        if self.broken:
            raise ConsoleBroken(f"cannot open a shell: {self.broken}", "start a new guest")
        self.broken = "the console was handed to the user"
        self.child.send("SHELL\n")
        self.child.logfile_read = None
        self.child.interact(escape_character=escape)

    def exit(self) -> None:
        """Ask the guest to power off (best effort)."""
        if not self.broken and self.child.isalive():
            self.child.send("EXIT\n")


def new_token() -> str:
    return "WGC" + secrets.token_hex(8)
