"""The QEMU command line, and whether KVM may be used.

Serial ports (the guest kernel needs CONFIG_SERIAL_8250 and _CONSOLE built in):

* ttyS0 is the kernel's console. QEMU writes it to ``VMSpec.console_log``;
  the harness watches that file for kernel reports.
* ttyS1 is the command shell. QEMU connects it to its stdio, which pexpect
  drives. So printk never interleaves with command output.

The monitor is disabled and there is no display. ``-no-reboot`` turns a reboot
into an exit and the kernel gets ``panic=-1`` (reboot at once on panic), so a
panic ends QEMU. ``oops=panic`` and ``panic_on_warn`` are *not* set: an Oops or
a WARNING is reported with its text by the harness and the test that was
running fails, while the VM is kept for the next steps (a debug kernel config
may still set panic_on_warn; then the panic ends the VM and is reported as
such). ``printk.devkmsg=on`` keeps the harness's sync lines in /dev/kmsg from
being rate-limited.

KVM: on some hosts /dev/kvm exists but guests fault (QEMU aborts on an MSR, or
hangs). ``accel="auto"`` therefore uses KVM only when a short probe boot of the
same kind of kernel reached userspace under KVM; the verdict is cached per
host (host kernel, QEMU version, CPU model) under ``<cache>/qemu/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wgcompat import paths
from wgcompat.errors import UserError

Accel = Literal["auto", "tcg", "kvm"]
QEMU = "qemu-system-x86_64"
PROBE_MARKER = "WGCOMPAT-KVM-PROBE-OK"


@dataclass(frozen=True)
class NetLink:
    """One NIC joined to a peer VM's NIC by a UDP socket pair on 127.0.0.1."""

    local_port: int
    remote_port: int
    mac: str
    address: str = ""                     # e.g. "10.77.0.1/24" (set by /init), "" for none
    model: str = "virtio-net-pci"         # or "e1000"


@dataclass(frozen=True)
class VMSpec:
    kernel: Path
    initrd: Path
    console_log: Path                     # the kernel console (ttyS0) is written here
    memory_mb: int = 1024
    cpus: int = 2
    cmdline_extra: str = ""
    accel: Accel = "auto"
    links: tuple[NetLink, ...] = field(default_factory=tuple)
    hostname: str = "wgcompat"
    token: str = "none"                   # the ready marker is WGCOMPAT-READY-<token>


def qemu_binary(name: str = QEMU) -> str:
    found = shutil.which(name) if "/" not in name else (name if os.access(name, os.X_OK) else None)
    if not found:
        raise UserError(f"{name} is not installed (needed to boot the test kernels)",
                        "run `apt-get install qemu-system-x86` (as root), then try again")
    return found


def kernel_cmdline(spec: VMSpec) -> str:
    parts = ["console=ttyS0,115200", "panic=-1", "printk.devkmsg=on", "rdinit=/init", "net.ifnames=0",
             "tsc=reliable", "no_timer_check", f"wgcompat.token={spec.token}", "wgcompat.shell=ttyS1",
             f"wgcompat.hostname={spec.hostname}"]
    for i, link in enumerate(spec.links):
        if link.address:
            parts.append(f"wgcompat.ip=eth{i},{link.address}")
    if spec.cmdline_extra.strip():
        parts.append(spec.cmdline_extra.strip())
    return " ".join(parts)


def build_argv(spec: VMSpec, accel: Literal["tcg", "kvm"], qemu: str = QEMU) -> list[str]:
    """The QEMU argument list. stdio is the shell port (ttyS1); ttyS0 goes to the console log."""
    argv = [qemu, "-name", f"wgcompat-{spec.hostname}", "-nodefaults", "-no-user-config", "-display", "none",
            "-monitor", "none", "-no-reboot", "-m", str(spec.memory_mb), "-smp", str(spec.cpus)]
    if accel == "kvm":
        argv += ["-accel", "kvm", "-cpu", "host"]
    else:
        argv += ["-accel", "tcg", "-cpu", "max"]
    argv += ["-kernel", str(spec.kernel), "-initrd", str(spec.initrd), "-append", kernel_cmdline(spec),
             "-chardev", f"file,id=console,path={spec.console_log}",
             "-serial", "chardev:console",
             "-chardev", "stdio,id=shell,signal=off",
             "-serial", "chardev:shell",
             "-device", "virtio-rng-pci"]
    for i, link in enumerate(spec.links):
        argv += ["-netdev", f"socket,id=net{i},udp=127.0.0.1:{link.remote_port},localaddr=127.0.0.1:{link.local_port}",
                 "-device", f"{link.model},netdev=net{i},mac={link.mac}"]
    return argv


def free_udp_ports(n: int) -> list[int]:
    """``n`` distinct UDP ports that are free on 127.0.0.1 right now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wired_pair(address_a: str = "10.77.0.1/24", address_b: str = "10.77.0.2/24",
               model: str = "virtio-net-pci") -> tuple[NetLink, NetLink]:
    """Two NetLinks that join two VMs' eth0 to each other."""
    pa, pb = free_udp_ports(2)
    return (NetLink(local_port=pa, remote_port=pb, mac="52:54:00:77:00:01", address=address_a, model=model),
            NetLink(local_port=pb, remote_port=pa, mac="52:54:00:77:00:02", address=address_b, model=model))


# --------------------------------------------------------------------------- KVM probe

def _qemu_version(qemu: str) -> str:
    try:
        proc = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return proc.stdout.splitlines()[0] if proc.stdout else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def host_key(qemu: str) -> str:
    text = json.dumps([platform.release(), _qemu_version(qemu), _cpu_model()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KvmVerdict:
    usable: bool
    reason: str
    cached: bool


def _probe_initrd(out: Path) -> Path | None:
    """A tiny initramfs: static busybox whose /init prints the probe marker and powers off."""
    from wgcompat.guest.cpio import CpioWriter

    busybox = next((Path(p) for p in ("/bin/busybox", "/usr/bin/busybox") if Path(p).is_file()), None)
    if busybox is None:
        return None
    with out.open("wb") as f:
        w = CpioWriter(f)
        w.device("dev/console", "c", 5, 1)
        w.directory("bin")
        w.file("bin/busybox", busybox)
        w.data("init", f"#!/bin/busybox sh\n/bin/busybox echo {PROBE_MARKER}\n/bin/busybox poweroff -f\n".encode(), 0o755)
        w.close()
    return out


def probe_kvm(kernel: Path, qemu: str = QEMU, cache_dir: Path | None = None, timeout: float = 30.0,
              devkvm: Path = Path("/dev/kvm")) -> KvmVerdict:
    """Whether KVM guests work on this host: a short boot of ``kernel`` under KVM (cached per host)."""
    if not os.access(devkvm, os.R_OK | os.W_OK):
        return KvmVerdict(False, f"{devkvm} is missing or not accessible", False)
    cache = (cache_dir or paths.cache_root() / "qemu") / f"kvm-probe-{host_key(qemu)}.json"
    if cache.is_file():
        try:
            data = json.loads(cache.read_text())
            return KvmVerdict(bool(data["usable"]), str(data["reason"]), True)
        except (ValueError, KeyError):
            pass
    with tempfile.TemporaryDirectory(prefix="wgc-kvm-probe-") as tmp:
        initrd = _probe_initrd(Path(tmp) / "probe.cpio")
        if initrd is None:
            return KvmVerdict(False, "no static busybox on the host to probe KVM with", False)
        argv = [qemu, "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot",
                "-accel", "kvm", "-cpu", "host", "-m", "256", "-kernel", str(kernel), "-initrd", str(initrd),
                "-append", "console=ttyS0 panic=-1 quiet", "-serial", "stdio"]
        started = time.monotonic()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout)
            out = proc.stdout + proc.stderr
            if PROBE_MARKER in out:
                verdict = KvmVerdict(True, f"probe boot reached userspace in {time.monotonic() - started:.1f} s", False)
            else:
                tail = " | ".join(out.strip().splitlines()[-3:])
                verdict = KvmVerdict(False, f"probe boot failed (exit {proc.returncode}): {tail}", False)
        except subprocess.TimeoutExpired:
            verdict = KvmVerdict(False, f"probe boot hung (no userspace within {timeout:.0f} s)", False)
    cache.parent.mkdir(parents=True, exist_ok=True)
    part = cache.with_name(f"{cache.name}.{os.getpid()}.part")
    part.write_text(json.dumps({"usable": verdict.usable, "reason": verdict.reason}))
    os.replace(part, cache)  # readers see the whole verdict or none
    return verdict


def resolve_accel(accel: Accel, kernel: Path, qemu: str = QEMU, cache_dir: Path | None = None,
                  probe: Callable[[Path], KvmVerdict] | None = None) -> tuple[Literal["tcg", "kvm"], str]:
    """The accelerator to use and why."""
    if accel == "tcg":
        return "tcg", "TCG requested"
    verdict = probe(kernel) if probe else probe_kvm(kernel, qemu=qemu, cache_dir=cache_dir)
    if verdict.usable:
        return "kvm", f"KVM: {verdict.reason}"
    if accel == "kvm":
        raise UserError(f"KVM was requested but does not work on this host: {verdict.reason}",
                        "use the default accelerator (auto) or tcg; delete <cache>/qemu/kvm-probe-*.json to probe again")
    return "tcg", f"TCG (KVM unusable: {verdict.reason})"


__all__: Sequence[str] = ("Accel", "NetLink", "VMSpec", "build_argv", "kernel_cmdline", "probe_kvm",
                          "qemu_binary", "resolve_accel", "wired_pair", "free_udp_ports", "KvmVerdict")
