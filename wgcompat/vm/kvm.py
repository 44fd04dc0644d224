"""Whether KVM may be used, and the accelerator a guest gets.

On some hosts /dev/kvm exists but guests fault (QEMU aborts on an MSR, or hangs).
``accel="auto"`` therefore uses KVM only when a short probe boot of the same kind of
kernel reached userspace under KVM (``probe_kvm``: the probe initrd of
wgcompat/image/probe.py, the QEMU arguments of qemu.py); the verdict is cached per host
(host kernel, QEMU version, CPU model) under ``<cache>/qemu/``. Otherwise TCG.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wgcompat import paths
from wgcompat.errors import UserError
from wgcompat.image.probe import PROBE_MARKER, write_probe_initrd
from wgcompat.vm.qemu import QEMU, Accel, probe_argv


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
        initrd = write_probe_initrd(Path(tmp) / "probe.cpio")
        if initrd is None:
            return KvmVerdict(False, "no static busybox on the host to probe KVM with", False)
        argv = probe_argv(kernel, initrd, qemu)
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
