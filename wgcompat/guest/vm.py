"""GuestVM: boot a kernel with the harness's initramfs and run commands in it.

    with GuestVM(kernel_image=bz, modules_root=mr, wireguard_ko=ko, log_dir=d) as vm:
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
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import TextIO

import pexpect

from wgcompat import paths
from wgcompat.errors import UserError
from wgcompat.guest import klog
from wgcompat.guest.console import (SYNC_PREFIX, BootFailed, BootHang, BootPanic, CommandResult, CommandTimeout, Console, ConsoleLog,
                                    GuestDied, GuestError, new_token, shorten, tail_lines)
from wgcompat.guest.initramfs import BaseImage, OverlayRequest, build_base, build_overlay, concatenate
from wgcompat.guest.qemu import QEMU, Accel, NetLink, VMSpec, build_argv, qemu_binary, resolve_accel, wired_pair

# kmemleak reports an object only once it is this old at a scan (its MSECS_MIN_AGE, 5 s),
# plus a margin for the guest's clock granularity.
KMEMLEAK_MIN_AGE = 5.5

__all__ = ["GuestVM", "KernelSplat", "CommandResult", "wired_vms", "GuestError", "BootFailed", "BootHang",
           "BootPanic", "CommandTimeout", "GuestDied"]

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


def _clean_stale_boot_dirs(tmp_root: Path) -> None:
    """Remove per-boot folders (initrd copies) left by harness processes that were killed."""
    for d in tmp_root.glob("boot-*"):
        pid = d.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


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
    def __init__(self, kernel_image: Path, modules_root: Path | None = None, wireguard_ko: Path | None = None,
                 put: Sequence[tuple[Path, str]] = (), log_dir: Path | None = None, memory_mb: int = 1024,
                 cpus: int = 2, cmdline_extra: str = "", accel: Accel = "auto", links: Sequence[NetLink] = (),
                 hostname: str = "wgcompat", boot_timeout: float | None = None, release: str | None = None,
                 base: BaseImage | None = None, qemu: str = QEMU, name: str = "vm") -> None:
        self.kernel_image = Path(kernel_image)
        self.modules_root = modules_root
        self.wireguard_ko = wireguard_ko
        self.put_files = list(put)
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.cmdline_extra = cmdline_extra
        self.accel_request: Accel = accel
        self.links = tuple(links)
        self.hostname = hostname
        self.boot_timeout = boot_timeout
        self.release = release
        self.base = base
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
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
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
        """Build the initrd and start QEMU (does not wait for the guest)."""
        if not self.kernel_image.is_file():
            raise UserError(f"kernel image {self.kernel_image} does not exist",
                            "build the kernel first (invoke kernel --kernel VERSION)")
        qemu = qemu_binary(self.qemu)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.console_log.path.write_bytes(b"")
        tmp_root = paths.cache_root() / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        _clean_stale_boot_dirs(tmp_root)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"boot-{os.getpid()}-{self.name}-", dir=tmp_root)
        tmp = Path(self._tmp.name)
        t0 = time.monotonic()
        base = self.base or build_base()
        overlay = build_overlay(OverlayRequest(out=tmp / "overlay.cpio", release=self.release,
                                               modules_root=self.modules_root, wireguard_ko=self.wireguard_ko,
                                               put=self.put_files))
        initrd = concatenate([base.path, overlay.path], tmp / "initrd.img")
        prepared = time.monotonic() - t0
        self.accel, self.accel_reason = resolve_accel(self.accel_request, self.kernel_image, qemu=qemu)
        self.token = new_token()
        spec = VMSpec(kernel=self.kernel_image, initrd=initrd, console_log=self.console_log.path,
                      memory_mb=self.memory_mb, cpus=self.cpus, cmdline_extra=self.cmdline_extra,
                      accel=self.accel_request, links=self.links, hostname=self.hostname, token=self.token)
        argv = build_argv(spec, self.accel, qemu=qemu)  # type: ignore[arg-type]
        self._info = {"argv": argv, "accel": self.accel, "accel_reason": self.accel_reason,
                      "base_image": str(base.path), "overlay_release": overlay.release,
                      "overlay_modules": overlay.modules, "reference_ko": overlay.reference_ko,
                      "initrd_bytes": initrd.stat().st_size, "prepare_seconds": round(prepared, 3)}
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
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

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

    def put(self, host: Path, guest: str, timeout: float = 120.0) -> None:
        """Copy a small host file into the running guest (base64 over the console)."""
        host = Path(host)
        if not host.is_file():
            raise UserError(f"{host} is not a file", "name an existing file (folders go in GuestVM(put=...))")
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


@contextmanager
def wired_vms(kernel_image: Path, *, log_dir: Path | None = None, addresses: tuple[str, str] = ("10.77.0.1/24", "10.77.0.2/24"),
              model: str = "virtio-net-pci", first: dict[str, object] | None = None,
              second: dict[str, object] | None = None, **common: object) -> Iterator[tuple[GuestVM, GuestVM]]:
    """Two guests whose eth0 are wired together (UDP sockets on 127.0.0.1), booted in parallel.

    ``common`` goes to both GuestVMs, ``first``/``second`` to one each (e.g. a
    different ``wireguard_ko``, or ``modules_root`` only). Hostnames are vm1
    and vm2, logs in ``log_dir/vm1`` and ``log_dir/vm2``.
    """
    base_dir = Path(log_dir) if log_dir else paths.logs_dir() / f"pair-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    link_a, link_b = wired_pair(addresses[0], addresses[1], model=model)
    if "base" not in common:
        common["base"] = build_base()
    with ExitStack() as stack:
        vms = []
        for host, link, extra in (("vm1", link_a, first or {}), ("vm2", link_b, second or {})):
            kwargs: dict[str, object] = {**common, **extra}
            vm = GuestVM(kernel_image, log_dir=base_dir / host, links=[link], hostname=host, name=host,
                         **kwargs)  # type: ignore[arg-type]
            stack.callback(vm.close)
            vm.launch()
            vms.append(vm)
        for vm in vms:
            vm.wait_ready()
        yield vms[0], vms[1]
