"""The KVM probe's initrd: the host's static busybox as /init, which prints ``PROBE_MARKER``
and powers the machine off. It tells whether a guest under KVM reaches userspace
(wgcompat/vm/kvm.py), so it needs nothing of the base image."""

from __future__ import annotations

from pathlib import Path

from wgcompat.image.cpio import CpioWriter

PROBE_MARKER = "WGCOMPAT-KVM-PROBE-OK"
HOST_BUSYBOX = (Path("/bin/busybox"), Path("/usr/bin/busybox"))


def write_probe_initrd(out: Path) -> Path | None:
    """Write the probe's initrd to ``out``; None when the host has no busybox to put in it."""
    busybox = next((p for p in HOST_BUSYBOX if p.is_file()), None)
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
