"""Real boots (marked vm): the kernel named by $WGCOMPAT_TEST_KERNEL.

WGCOMPAT_TEST_KERNEL is a bzImage/vmlinuz, a kernel build folder (with
arch/x86/boot/bzImage and, when there, modules-root/), or "auto" for the newest
kernel build in the wgcompat cache. Without it these tests are skipped, so the
unit test run stays VM-free:

    WGCOMPAT_TEST_KERNEL=auto .venv/bin/python -m pytest -m vm tests/guest -v
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from wgcompat import paths
from wgcompat.guest.console import BootHang, BootPanic, CommandTimeout
from wgcompat.guest.vm import GuestVM, KernelSplat, wired_vms

pytestmark = pytest.mark.vm

TOOLS = ("bash", "ip", "ss", "wg", "wg-quick", "ping", "iperf3", "ncat", "iptables", "iptables-legacy",
         "modprobe", "insmod", "depmod", "busybox", "python3", "wireguard-go", "wgc-load-reference")


@dataclass(frozen=True)
class BootKernel:
    image: Path
    modules_root: Path | None
    release: str | None


def _find_kernel() -> BootKernel | None:
    spec = os.environ.get("WGCOMPAT_TEST_KERNEL", "")
    if not spec:
        return None
    if spec == "auto":
        images = sorted(paths.kernels_dir().glob("*/arch/x86/boot/bzImage"), key=lambda p: p.stat().st_mtime)
        if not images:
            return None
        spec = str(images[-1].parents[3])
    p = Path(spec).expanduser()
    if p.is_dir():
        image = p / "arch/x86/boot/bzImage"
        release_file = p / "include/config/kernel.release"
        mods = p / "modules-root"
        return BootKernel(image, mods if (mods / "lib/modules").is_dir() else None,
                          release_file.read_text().strip() if release_file.is_file() else None)
    return BootKernel(p, None, None) if p.is_file() else None


@pytest.fixture(scope="module")
def kernel() -> BootKernel:
    k = _find_kernel()
    if k is None or not k.image.is_file():
        pytest.skip("no kernel to boot: set WGCOMPAT_TEST_KERNEL to a bzImage, a kernel build folder, "
                    "or 'auto' (newest build in the wgcompat cache)")
    return k


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "console"


def test_boots_to_a_shell_with_the_tools_and_runs_uname(kernel: BootKernel, log_dir: Path) -> None:
    with GuestVM(kernel.image, modules_root=kernel.modules_root, log_dir=log_dir) as vm:
        release = vm.run("uname -r", timeout=60)
        assert release.status == 0
        if kernel.release:
            assert release.output.strip() == kernel.release
        missing = vm.run("for t in " + " ".join(TOOLS) + "; do command -v $t >/dev/null || echo $t; done", timeout=60)
        assert missing.output == ""
        assert vm.run("ip -br link show lo", timeout=30).output.startswith("lo")
        if kernel.modules_root and any(kernel.modules_root.glob("lib/modules/*/kernel/drivers/net/wireguard/wireguard.ko*")):
            placed = vm.run("ls /lib/modules/reference; modprobe -n wireguard", timeout=30)
            assert placed.output.startswith("wireguard.ko")
            assert placed.status != 0  # the kernel's own module is out of the module path
        blob = log_dir.parent / "blob.bin"
        blob.write_bytes(os.urandom(20_000))  # put() is for small files: the serial port takes ~10 KB/s under TCG
        vm.put(blob, "/root/blob.bin")
        digest = vm.run("sha256sum /root/blob.bin", timeout=60).output.split()[0]
        assert digest == hashlib.sha256(blob.read_bytes()).hexdigest()
        with pytest.raises(CommandTimeout):
            vm.run("sleep 600", timeout=3)
    assert "Linux version" in (log_dir / "console.log").read_text()


def test_a_kernel_crash_during_a_command_is_reported_with_its_text(kernel: BootKernel, log_dir: Path) -> None:
    with GuestVM(kernel.image, log_dir=log_dir) as vm:
        if vm.run("test -w /proc/sysrq-trigger", timeout=30).status != 0:
            pytest.skip("this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ)")
        with pytest.raises(KernelSplat) as err:
            vm.run("echo c > /proc/sysrq-trigger", timeout=120)
        kinds = {r.kind for r in err.value.reports}
        assert kinds & {"Oops", "panic"}
        assert "sysrq" in str(err.value).lower()


def test_two_wired_guests_reach_each_other(kernel: BootKernel, log_dir: Path) -> None:
    with wired_vms(kernel.image, log_dir=log_dir, modules_root=kernel.modules_root) as (a, b):
        if a.run("test -e /sys/class/net/eth0", timeout=30).status != 0 and kernel.modules_root is None:
            pytest.skip("this kernel has no built-in virtio-net driver and no modules were given")
        assert "10.77.0.1/24" in a.run("ip -br addr show eth0", timeout=30).output
        r = a.run("ping -c 2 -W 10 10.77.0.2", timeout=120)
        assert r.status == 0, r.output
        assert b.run("hostname", timeout=30).output.strip() == "vm2"


def test_a_guest_that_panics_at_boot_is_reported_as_a_panic(kernel: BootKernel, log_dir: Path) -> None:
    # PID 1 exits at once: every kernel panics ("Attempted to kill init!")
    with pytest.raises(BootPanic) as err:
        with GuestVM(kernel.image, log_dir=log_dir, cmdline_extra="rdinit=/bin/false"):
            pass
    assert "guest panicked during boot" in str(err.value)
    assert "Kernel panic" in err.value.tail


def test_a_guest_that_never_gets_ready_is_reported_as_a_hang(kernel: BootKernel, log_dir: Path) -> None:
    # the shell is served on a port nobody reads: the ready marker never comes
    with pytest.raises(BootHang) as err:
        with GuestVM(kernel.image, log_dir=log_dir, cmdline_extra="wgcompat.shell=ttyS0", boot_timeout=10):
            pass
    assert "guest hung during boot" in str(err.value)
    assert "Linux version" in (log_dir / "console.log").read_text()


def test_interact_gives_a_shell_with_job_control_and_ends_when_it_exits(kernel: BootKernel, tmp_path: Path) -> None:
    import sys
    import textwrap

    import pexpect

    script = tmp_path / "interact.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from wgcompat.guest.vm import GuestVM
        with GuestVM(Path({str(kernel.image)!r}), log_dir=Path({str(tmp_path / 'logs')!r})) as vm:
            vm.interact()
        print("INTERACT-" + "RETURNED")
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    user = pexpect.spawn(sys.executable, [str(script)], env=env, encoding="utf-8", timeout=300)
    try:
        user.expect_exact("leave with `exit` or Ctrl-]")
        user.expect_exact("# ")
        user.sendline("echo hi-$((40+2)); sleep 600")
        user.expect_exact("hi-42")
        user.sendcontrol("c")  # Ctrl-C reaches the guest's foreground job, not the harness
        user.expect_exact("# ")
        user.sendline("exit")
        user.expect_exact("INTERACT-RETURNED")
        user.expect(pexpect.EOF)
    finally:
        user.close(force=True)
    assert user.exitstatus == 0
