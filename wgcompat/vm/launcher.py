"""GuestVM: boot a kernel with a ready initrd in QEMU and run commands in it. It builds
nothing: the image (wgcompat.image.initrd.BootImage) is made first, by the caller
(wgcompat.run.guests.start_guest for a run's kernel and module).

    with boot_image(OverlayRequest(modules_root=mr, wireguard_ko=ko)) as image, \
            GuestVM(bz, image, log_dir=d) as vm:
        r = vm.run("modprobe wireguard && wg --version", timeout=60)   # CommandResult(status, output)

``run`` raises ``KernelSplat`` (quoting the reports) when the kernel log gained
an Oops/BUG/WARNING/KASAN/UBSAN/lockdep/RCU stall/hung task/lockup/panic/kmemleak
report while the command ran (or since the previous command). Reports printed
during boot, before any command, are kept in ``vm.boot_reports`` and do not
raise.

Logs, per boot, in ``log_dir`` (default ``paths.logs_dir()/<name>-<time>-<pid>``):
``console.log`` (the kernel console, ttyS0), ``shell.log`` (the command shell
transcript, ttyS1, with QEMU's own messages), ``boot.json`` (QEMU arguments,
accelerator, timings).

Teardown is guaranteed: ``close()`` (run by ``__exit__``, also on exceptions
and KeyboardInterrupt, and at interpreter exit) kills QEMU; QEMU also gets
SIGKILL if the Python process dies (PR_SET_PDEATHSIG) and SIGHUP when its pty
closes.
"""

from __future__ import annotations

import atexit
import dataclasses
import ctypes
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

import pexpect

from wgcompat import paths
from wgcompat.arch import ARCHES
from wgcompat.errors import UserError
from wgcompat.image.initrd import BootImage
from wgcompat.vm import klog
from wgcompat.vm.console import (SYNC_PREFIX, BootPanic, CommandResult, CommandTimeout, Console, ConsoleLog, GuestDied,
                                 GuestError, new_token, shorten, tail_lines)
from wgcompat.vm.kvm import resolve_accel
from wgcompat.vm.qemu import QEMU, Accel, NetLink, VMSpec, build_argv, qemu_binary

# kmemleak reports an object only once it is this old at a scan (its MSECS_MIN_AGE, 5 s),
# plus a margin for the guest's clock granularity.
KMEMLEAK_MIN_AGE = 5.5

BOOT_TIMEOUT = {"tcg": 300.0, "kvm": 120.0}
SYNC_TIMEOUT = 15.0

_live: set["GuestVM"] = set()


def _close_all() -> None:
    for vm in list(_live):
        vm.close()


atexit.register(_close_all)


def _die_with_parent() -> None:
    """In the QEMU child: get SIGKILL when the harness process dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class KernelSplat(GuestError):
    """The kernel reported an Oops/BUG/WARNING/... while a command ran."""

    def __init__(self, command: str, reports: Sequence[klog.KernelReport], log: Path,
                 result: CommandResult | None = None) -> None:
        kinds = ", ".join(dict.fromkeys(r.kind for r in reports))
        super().__init__(
            f"the guest kernel reported {kinds} while running `{shorten(command)}`:\n{klog.summarize(list(reports))}",
            f"this is a kernel-side failure; the full console log is {log}")
        self.command = command
        self.reports = list(reports)
        self.result = result


class GuestVM:
    """One guest: QEMU on ``kernel_image`` and a ready ``image``, a context manager that boots on
    entry and kills QEMU on exit; ``run``/``check`` commands, ``put`` small files."""

    def __init__(self, kernel_image: Path, image: BootImage, *, log_dir: Path | None = None, memory_mb: int = 1024,
                 cpus: int = 2, cmdline_extra: str = "", accel: Accel = "auto", links: Sequence[NetLink] = (),
                 hostname: str = "wgcompat", boot_timeout: float | None = None, qemu: str = QEMU,
                 name: str = "vm") -> None:
        self.kernel_image = Path(kernel_image)
        self.image = image
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.cmdline_extra = cmdline_extra
        self.accel_request: Accel = accel
        self.links = tuple(links)
        self.hostname = hostname
        self.boot_timeout = boot_timeout
        self.qemu = qemu
        self.name = name
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = Path(log_dir) if log_dir else paths.logs_dir() / f"{name}-{stamp}-{os.getpid()}"
        self.console_log = ConsoleLog(self.log_dir / "console.log")
        self.shell_log_path = self.log_dir / "shell.log"
        self.accel = ""
        self.accel_reason = ""
        self.boot_seconds = 0.0
        self.boot_reports: list[klog.KernelReport] = []
        self.child: pexpect.spawn | None = None
        self.console: Console | None = None
        self._scanned = 0
        self._sync_seen = True
        self._shell_log: TextIO | None = None
        self._launched_at = 0.0
        self.token = ""
        self._info: dict[str, object] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "GuestVM":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, _exc_type: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start QEMU on the kernel and the ready image (does not wait for the guest)."""
        if not self.kernel_image.is_file():
            raise UserError(f"kernel image {self.kernel_image} does not exist",
                            "build the kernel first (invoke kernel --kernel VERSION)")
        if not self.image.initrd.is_file():
            raise UserError(f"the guest's initrd {self.image.initrd} does not exist",
                            "boot the guest while its image exists (inside `with boot_image(...)`)")
        arch = ARCHES[self.image.arch]
        qemu = qemu_binary(arch.qemu if self.qemu == QEMU else self.qemu, arch.qemu_package)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.console_log.path.write_bytes(b"")
        if arch.native:
            self.accel, self.accel_reason = resolve_accel(self.accel_request, self.kernel_image, qemu=qemu)
        elif self.accel_request == "kvm":
            raise UserError(f"KVM was requested for an {arch.name} guest on an {platform.machine()} host",
                            "use the default accelerator (auto) or tcg: another architecture runs under TCG")
        else:
            self.accel, self.accel_reason = "tcg", f"TCG (an {arch.name} guest on an {platform.machine()} host)"
        self.token = new_token()
        spec = VMSpec(kernel=self.kernel_image, initrd=self.image.initrd, console_log=self.console_log.path,
                      memory_mb=self.memory_mb, cpus=self.cpus, cmdline_extra=self.cmdline_extra,
                      links=self.links, hostname=self.hostname, token=self.token, arch=arch.name)
        argv = build_argv(spec, self.accel, qemu=qemu)  # type: ignore[arg-type]
        image = self.image
        self._info = {"argv": argv, "accel": self.accel, "accel_reason": self.accel_reason,
                      "base_image": str(image.base), "overlay_release": image.release,
                      "overlay_modules": image.modules, "reference_ko": image.reference_ko,
                      "initrd_bytes": image.initrd.stat().st_size, "prepare_seconds": round(image.seconds, 3)}
        self._shell_log = self.shell_log_path.open("w", encoding="utf-8", errors="replace")
        self._launched_at = time.monotonic()
        self.child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", codec_errors="replace",
                                   timeout=None, maxread=65536, echo=False, preexec_fn=_die_with_parent,
                                   dimensions=(50, 200))
        self.child.logfile_read = self._shell_log
        _live.add(self)
        self.console = Console(self.child, describe=self._describe)

    def wait_ready(self) -> None:
        assert self.console is not None
        timeout = self.boot_timeout or BOOT_TIMEOUT.get(self.accel, 300.0)
        try:
            self.console.wait_ready(self.token, timeout, check=self._check_boot)
        except GuestError:
            self._check_boot()
            raise
        self.boot_seconds = time.monotonic() - self._launched_at
        self._scanned = self.console_log.size()
        self.boot_reports = klog.find_reports(self.console_log.read(0, self._scanned))
        self._info["boot_seconds"] = round(self.boot_seconds, 3)
        self._info["boot_reports"] = [r.title for r in self.boot_reports]
        (self.log_dir / "boot.json").write_text(json.dumps(self._info, indent=1))

    def _describe(self) -> str:
        parts = [f"[kernel console, {self.console_log.path}]", self.console_log.tail(30)]
        if self.child is not None and isinstance(self.child.before, str) and self.child.before.strip():
            parts += ["[shell port]", tail_lines(self.child.before, 10)]
        return "\n".join(parts)

    def _check_boot(self) -> None:
        """During boot: a panic in the console log ends the wait at once."""
        panic = self._panic_seen()
        if panic is not None:
            if self.console is not None:
                self.console.broken = "the guest panicked during boot"
            raise BootPanic(f"guest panicked during boot: {panic.title}",
                            f"the kernel cannot boot this way; the console log is {self.console_log.path}",
                            self._describe())

    def _panic_seen(self) -> klog.KernelReport | None:
        return klog.first_panic(klog.find_reports(self.console_log.read()))

    def close(self) -> None:
        """Stop QEMU (always safe to call, idempotent)."""
        _live.discard(self)
        child, self.child = self.child, None
        if child is not None:
            try:
                if child.isalive():
                    child.kill(signal.SIGKILL)
                child.close(force=True)
            except (OSError, pexpect.ExceptionPexpect):
                pass
            if child.pid:
                try:
                    os.waitpid(child.pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if self._shell_log is not None:
            self._shell_log.close()
            self._shell_log = None

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else None

    # ------------------------------------------------------------------ commands

    def _require(self) -> Console:
        if self.console is None or self.child is None:
            raise UserError("the guest is not running", "use GuestVM as a context manager (with GuestVM(...) as vm)")
        return self.console

    def run(self, cmd: str, timeout: float = 60.0, check_kernel: bool = True) -> CommandResult:
        """Run ``cmd`` with bash in the guest; its status and output (stdout+stderr).

        Raises KernelSplat when the kernel reported a problem during the command
        (unless ``check_kernel`` is False), CommandTimeout, GuestDied.
        """
        console = self._require()
        token = new_token()
        try:
            result = console.run(cmd, timeout=timeout, token=token)
        except CommandTimeout as exc:
            reports = self._absolute(klog.find_reports(self.console_log.read(self._scanned)), self._scanned)
            if reports:
                raise KernelSplat(cmd, reports, self.console_log.path) from exc
            raise
        except GuestDied as exc:
            deadline = time.monotonic() + 5
            while self.child is not None and self.child.isalive() and time.monotonic() < deadline:
                time.sleep(0.05)  # let QEMU finish writing the panic before reading it
            reports = self._absolute(klog.find_reports(self.console_log.read(self._scanned)), self._scanned)
            if reports:
                raise KernelSplat(cmd, reports, self.console_log.path) from exc
            raise
        start = self._scanned
        # once a sync line failed to show (a console loglevel that hides it), do not wait long again
        end = self.console_log.wait_for(SYNC_PREFIX + token, start, SYNC_TIMEOUT if self._sync_seen else 0.5)
        if end is None and self._sync_seen:
            self._sync_seen = False
            self._info["sync_lines"] = "missing: the console does not show /dev/kmsg level 5"
            (self.log_dir / "boot.json").write_text(json.dumps(self._info, indent=1))
        text = self.console_log.read(start, end)
        if end is not None:
            self._scanned = end
        else:
            self._scanned += len(text.encode())
        reports = self._absolute(klog.find_reports(text), start)
        if reports and check_kernel:
            raise KernelSplat(cmd, reports, self.console_log.path, result)
        return result

    def _absolute(self, reports: list[klog.KernelReport], offset: int) -> list[klog.KernelReport]:
        """Reports found in the log from byte ``offset`` on, with line numbers of the whole log."""
        if not reports:
            return reports
        before = self.console_log.read(0, offset).count("\n")
        return [dataclasses.replace(r, line=r.line + before) for r in reports]

    def check(self, cmd: str, timeout: float = 60.0) -> str:
        """Run ``cmd`` and return its output; a non-zero status raises UserError."""
        r = self.run(cmd, timeout=timeout)
        if r.status != 0:
            raise UserError(f"guest command `{shorten(cmd)}` failed with status {r.status}:\n{tail_lines(r.output, 20)}",
                            f"see {self.log_dir}")
        return r.output

    def put(self, source: Path | bytes, guest: str, timeout: float = 120.0) -> None:
        """Write a small host file, or ``bytes``, to ``guest`` in the running guest (base64 over
        the console); a file keeps its mode. Before boot, files go in the image instead
        (start_guest's ``put``)."""
        if isinstance(source, bytes):
            self._require().put_bytes(source, guest, timeout=timeout)
            return
        host = Path(source)
        if not host.is_file():
            raise UserError(f"{host} is not a file", "name an existing file (folders go in start_guest(put=...))")
        self._require().put_bytes(host.read_bytes(), guest, host.stat().st_mode & 0o777, timeout=timeout)

    def interact(self) -> None:
        """Hand the shell to the user until it exits (or Ctrl-]); kernel messages stay in console.log."""
        console = self._require()
        sys.stdout.write(f"[wgcompat] guest shell; kernel messages go to {self.console_log.path}; "
                         "leave with `exit` or Ctrl-]\n")
        sys.stdout.flush()
        console.interact()

    def check_kmemleak(self, timeout: float = 300.0, min_age: float = KMEMLEAK_MIN_AGE) -> list[klog.KernelReport]:
        """Ask kmemleak (debug kernels) to scan; raise KernelSplat if it found leaks.

        Returns [] when the kernel has no kmemleak. kmemleak reports only objects older
        than its minimum age at the scan, so the scan waits until the guest's clock has
        moved ``min_age`` past the call: whatever was allocated before it is then old
        enough to be reported.
        """
        probe = self.run("test -w /sys/kernel/debug/kmemleak", timeout=timeout)
        if probe.status != 0:
            return []
        until = (f"end=$(awk '{{ print $1 + {float(min_age)} }}' /proc/uptime); "
                 "while awk -v end=\"$end\" '{ exit !($1 < end) }' /proc/uptime; do sleep 0.2; done")
        cmd = f"{until}; echo scan > /sys/kernel/debug/kmemleak && cat /sys/kernel/debug/kmemleak"
        result = self.run(cmd, timeout=timeout)
        leaks = [r for r in klog.find_reports(result.output) if r.kind == "kmemleak"]
        if leaks:
            raise KernelSplat("kmemleak scan", leaks, self.console_log.path, result)
        return leaks

    def kernel_log(self) -> str:
        """The kernel console so far (the whole boot)."""
        return self.console_log.read()
