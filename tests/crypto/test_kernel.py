"""The bundled crypto inside a real kernel (opt-in: `pytest -m vm tests/crypto`).

For every kernel that has both an image and a build tree on this machine
(/boot/vmlinuz-X with /usr/src/linux-headers-X, as Debian's linux-image and
linux-headers packages install them; or WGC_CRYPTO_KERNEL=VMLINUZ:KDIR for a
harness-built tree), this builds module/crypto plus the self-test and
tests/crypto/kernel/sgcheck.c as an out-of-tree module with W=1, boots the
kernel under QEMU with a busybox initramfs, loads the module, and expects the
self-test to pass and the scatterlist AEAD to agree with the linear one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from wgcompat.paths import REPO

pytestmark = pytest.mark.vm

CRYPTO = REPO / "module" / "crypto"
SGCHECK = Path(__file__).parent / "kernel" / "sgcheck.c"
BUSYBOX = Path("/bin/busybox")

# reboot, not poweroff: minimal kernels have no ACPI power-off, and QEMU runs
# with -no-reboot, so a reboot ends it on every kernel.
INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
insmod /wireguard.ko
echo "WGC-INSMOD-RC=$?"
dmesg
reboot -f
"""

KBUILD = """include $(src)/crypto/bundled.mk
obj-m := wireguard.o
wireguard-y := main.o $(wgc-bundled-crypto-y) crypto/selftest.o
"""

SPLAT = re.compile(r"Oops|BUG:|WARNING:|Call Trace|UBSAN|KASAN|general protection")


@dataclass(frozen=True)
class KernelPair:
    release: str
    vmlinuz: Path
    kdir: Path


def _kernels() -> list[KernelPair]:
    pairs = []
    env = os.environ.get("WGC_CRYPTO_KERNEL")
    if env:
        vmlinuz, _, kdir = env.partition(":")
        pairs.append(KernelPair("env", Path(vmlinuz), Path(kdir)))
    for image in sorted(Path("/boot").glob("vmlinuz-*")):
        release = image.name.removeprefix("vmlinuz-")
        kdir = Path("/usr/src") / f"linux-headers-{release}"
        if (kdir / "Makefile").exists():
            pairs.append(KernelPair(release, image, kdir))
    return pairs


def _vm_selected(config: pytest.Config) -> bool:
    return "vm" in (config.getoption("markexpr") or "")


@pytest.fixture
def tools(request: pytest.FixtureRequest) -> None:
    if not _vm_selected(request.config):
        pytest.skip("boots a kernel: select it with -m vm")
    for tool in ("qemu-system-x86_64", "make", "cpio"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed (/bin/busybox)")


def _build_module(kernel: KernelPair, work: Path) -> Path:
    src = work / "module"
    shutil.copytree(CRYPTO, src / "crypto")
    shutil.copy(SGCHECK, src / "main.c")
    (src / "compat.h").write_text('/* test stand-in: bundled crypto */\n'
                                  '#include "crypto/bundled.h"\n')
    (src / "Kbuild").write_text(KBUILD)
    proc = subprocess.run(["make", "-C", str(kernel.kdir), f"M={src}", "W=1", "modules"],
                          capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    ours = [line for line in output.splitlines()
            if "warning:" in line and str(src) in line]
    assert ours == [], "\n".join(ours)
    return src / "wireguard.ko"


def _initramfs(module: Path, work: Path) -> Path:
    root = work / "initramfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    shutil.copy(module, root / "wireguard.ko")
    (root / "init").write_text(INIT)
    (root / "init").chmod(0o755)
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    image = work / "initramfs.cpio"
    with image.open("wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                       input="\n".join(names).encode(), stdout=out, check=True)
    return image


@pytest.mark.parametrize("kernel", _kernels(), ids=lambda k: k.release)
def test_selftest_and_sg_path_in_kernel(tools, kernel: KernelPair, tmp_path: Path):
    module = _build_module(kernel, tmp_path)
    initramfs = _initramfs(module, tmp_path)
    proc = subprocess.run(
        ["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-nographic",
         "-no-reboot", "-kernel", str(kernel.vmlinuz), "-initrd", str(initramfs),
         "-append", "console=ttyS0 panic=-1 oops=panic"],
        capture_output=True, timeout=600, check=False)
    console = proc.stdout.decode(errors="replace").replace("\r", "")
    assert "WGC-INSMOD-RC=0" in console, console[-4000:]
    for name in ("blake2s", "chacha20poly1305", "chacha20poly1305-sg", "xchacha20poly1305", "curve25519"):
        assert f"wireguard: selftest crypto-{name}: pass" in console
    assert re.search(r"sgcheck: sg vs linear: \d+ cases, 0 failures", console)
    assert not SPLAT.search(console), console[-4000:]
