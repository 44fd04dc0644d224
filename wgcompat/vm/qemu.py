"""The QEMU command line: the one place QEMU's arguments are written (``qemu_argv``), for a
guest (``build_argv`` of a ``VMSpec``) and for the KVM probe (``probe_argv``, kvm.py).

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

Network links (``NetLink``) join two guests' NICs by a UDP socket pair on 127.0.0.1.

Another architecture (``VMSpec.arch``, wgcompat.arch) takes its own emulator, machine, CPU
model and ports: on arm64 the console is the PL011 UART (ttyAMA0) and the shell a virtio
console (hvc0), the same two channels.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wgcompat.arch import ARCHES, DEFAULT, Arch
from wgcompat.errors import UserError

Accel = Literal["auto", "tcg", "kvm"]
QEMU = "qemu-system-x86_64"


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
    links: tuple[NetLink, ...] = field(default_factory=tuple)
    hostname: str = "wgcompat"
    token: str = "none"                   # the ready marker is WGCOMPAT-READY-<token>
    arch: str = DEFAULT                   # wgcompat.arch: the guest's architecture


def qemu_binary(name: str = QEMU, package: str = "qemu-system-x86") -> str:
    found = shutil.which(name) if "/" not in name else (name if os.access(name, os.X_OK) else None)
    if not found:
        raise UserError(f"{name} is not installed (needed to boot the test kernels)",
                        f"run `apt-get install {package}` (as root), then try again")
    return found


def qemu_argv(qemu: str, accel: Literal["tcg", "kvm"], *, name: str, kernel: Path, initrd: Path, append: str,
              memory_mb: int, cpus: int, devices: Sequence[str], arch: Arch = ARCHES[DEFAULT]) -> list[str]:
    """Every QEMU command line of the harness: no defaults, no display, no monitor, an exit
    instead of a reboot, the machine, the accelerator and its CPU model, the kernel and its
    initrd, then ``devices`` (serial ports, NICs, ...)."""
    cpu = "host" if accel == "kvm" else arch.tcg_cpu
    return [qemu, "-name", name, "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
            "-no-reboot", *arch.machine, "-m", str(memory_mb), "-smp", str(cpus), "-accel", accel, "-cpu", cpu,
            "-kernel", str(kernel), "-initrd", str(initrd), "-append", append, *devices]


def kernel_cmdline(spec: VMSpec) -> str:
    arch = ARCHES[spec.arch]
    parts = [f"console={arch.console},115200", "panic=-1", "printk.devkmsg=on", "rdinit=/init", "net.ifnames=0",
             *arch.cmdline, f"wgcompat.token={spec.token}", f"wgcompat.shell={arch.shell}",
             f"wgcompat.hostname={spec.hostname}"]
    for i, link in enumerate(spec.links):
        if link.address:
            parts.append(f"wgcompat.ip=eth{i},{link.address}")
    if spec.cmdline_extra.strip():
        parts.append(spec.cmdline_extra.strip())
    return " ".join(parts)


def build_argv(spec: VMSpec, accel: Literal["tcg", "kvm"], qemu: str = QEMU) -> list[str]:
    """A guest's QEMU arguments. stdio is the shell port (ttyS1, or hvc0 where the machine
    has one serial port); the kernel console (ttyS0, ttyAMA0) goes to the console log."""
    arch = ARCHES[spec.arch]
    shell = (["-serial", "chardev:shell"] if arch.shell_on_serial
             else ["-device", arch.virtio("virtio-serial"), "-device", "virtconsole,chardev=shell"])
    devices = ["-chardev", f"file,id=console,path={spec.console_log}",
               "-serial", "chardev:console",
               "-chardev", "stdio,id=shell,signal=off",
               *shell,
               "-device", arch.virtio("virtio-rng")]
    for i, link in enumerate(spec.links):
        # a virtio NIC on this machine's virtio transport (virtio-net-pci becomes -ccw on s390x)
        model = arch.virtio("virtio-net") if link.model.startswith("virtio-net") else link.model
        devices += ["-netdev", f"socket,id=net{i},udp=127.0.0.1:{link.remote_port},localaddr=127.0.0.1:{link.local_port}",
                    "-device", f"{model},netdev=net{i},mac={link.mac}"]
    return qemu_argv(qemu, accel, name=f"wgcompat-{spec.hostname}", kernel=spec.kernel, initrd=spec.initrd,
                     append=kernel_cmdline(spec), memory_mb=spec.memory_mb, cpus=spec.cpus, devices=devices,
                     arch=arch)


def probe_argv(kernel: Path, initrd: Path, qemu: str = QEMU) -> list[str]:
    """The KVM probe's QEMU arguments: a small machine under KVM, its console on stdio."""
    return qemu_argv(qemu, "kvm", name="wgcompat-kvm-probe", kernel=kernel, initrd=initrd,
                     append="console=ttyS0 panic=-1 quiet", memory_mb=256, cpus=1, devices=["-serial", "stdio"])


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
