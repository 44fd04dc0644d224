"""The harness itself, on a real kernel: boot, run commands, report crashes, panics and hangs,
hand the shell to a person.

Topology: one guest, no network; our module is not involved.

    host (pytest, pexpect) --ttyS1--> guest shell
                           <--ttyS0-- guest kernel console (console.log)
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from wgcompat.image.initrd import boot_image
from wgcompat.run.guests import image_request, start_guest
from wgcompat.vm.console import BootHang, BootPanic, CommandTimeout
from wgcompat.vm.launcher import GuestVM, KernelSplat

REPO = Path(__file__).resolve().parents[2]


def test_guest_runs_the_kernel_that_was_built(bare_vm, kernel_build):
    result = bare_vm.run("uname -r", timeout=30)
    assert (result.status, result.output.strip()) == (0, kernel_build.release)


def test_guest_uses_every_cpu_it_is_given(bare_vm):
    # The races the suite provokes (a route lookup or a timer's arming held on one CPU
    # while another changes the peer) need a second CPU. Under QEMU's SeaBIOS an x86 kernel
    # without ACPI, or with ACPI's interrupt routing off (acpi=noirq, pci=noacpi), finds
    # only the boot CPU ("smpboot: Allowing 1 CPUs"), whatever -smp says.
    result = bare_vm.run("nproc; cat /sys/devices/system/cpu/online", timeout=30)
    assert result.output.split()[0] == str(bare_vm.cpus), (
        f"the guest runs on {result.output.split()[0]} of the {bare_vm.cpus} CPUs QEMU gives it "
        f"(online: {result.output.split()[-1]}); a kernel built without CONFIG_ACPI cannot find the others")


def test_every_device_gets_its_interrupt_from_the_firmware_tables(bare_vm):
    # Where the kernel cannot evaluate the firmware's interrupt routing (on QEMU's pc
    # machine a debug kernel's ACPI interpreter ran _PRT into its 30 s loop timeout), the
    # virtio devices get no interrupt and the boot hangs, or the guest runs without them.
    result = bare_vm.run("dmesg | grep -E 'ACPI (BIOS )?Error|AE_AML_|derive routing|no GSI' || true", timeout=60)
    assert result.output.strip() == "", (
        "the kernel could not evaluate the firmware's tables or route a device's interrupt:\n"
        f"{result.output.strip()}")


def test_exit_status_and_output_come_back_separately(bare_vm):
    result = bare_vm.run("echo to-stdout; echo to-stderr >&2; exit 7", timeout=30)
    assert result.status == 7
    assert result.output.split() == ["to-stdout", "to-stderr"]


def test_kernel_messages_stay_out_of_command_output(bare_vm):
    result = bare_vm.run("echo wgcompat-kmsg-probe > /dev/kmsg; echo done", timeout=30)
    assert result.output.strip() == "done"
    assert "wgcompat-kmsg-probe" in bare_vm.kernel_log()


def test_guest_tools_are_present(bare_vm):
    result = bare_vm.run("for t in bash busybox python3 ip ss wg wg-quick ping iperf3 ncat iptables iptables-legacy "
                         "modprobe insmod depmod wireguard-go wgc-load-reference; "
                         "do command -v $t >/dev/null || echo missing: $t; done", timeout=30)
    assert result.output.strip() == ""


def test_the_kernels_own_wireguard_is_out_of_the_module_path(bare_vm, kernel_build):
    """A guest loads the kernel's own WireGuard only when a test asks for it (wgc-load-reference)."""
    if bare_vm.run("test -f /lib/modules/reference/wireguard.ko", timeout=30).status != 0:
        pytest.skip(f"{kernel_build.release} has no in-tree WireGuard module to keep out of the way")
    found = bare_vm.run("modprobe -n -v wireguard", timeout=30)
    assert found.status != 0, f"modprobe finds a wireguard module in a guest without ours:\n{found.output}"


@pytest.mark.destructive
def test_command_that_never_returns_times_out_with_its_name(kernel_build, console_logs):
    with start_guest(kernel_build, None, [], console_logs / "timeout") as guest:
        with pytest.raises(CommandTimeout) as err:
            guest.run("sleep 600", timeout=3)
    assert "sleep 600" in err.value.cause


@pytest.mark.destructive
def test_kernel_crash_during_a_command_is_reported_with_its_text(kernel_build, console_logs):
    with start_guest(kernel_build, None, [], console_logs / "crash") as guest:
        if guest.run("test -w /proc/sysrq-trigger", timeout=30).status != 0:
            pytest.skip(f"{kernel_build.release} has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ)")
        with pytest.raises(KernelSplat) as err:
            guest.run("echo c > /proc/sysrq-trigger", timeout=120)
    kinds = {r.kind for r in err.value.reports}
    assert kinds & {"Oops", "panic"}, f"the crash was reported as {kinds}:\n{err.value}"
    assert "sysrq" in str(err.value).lower(), f"the report does not quote the crash:\n{err.value}"


@pytest.mark.destructive
def test_guest_panic_on_boot_is_reported_with_the_console_tail(kernel_build, console_logs):
    # PID 1 exits at once ("Attempted to kill init"): the kernel panics while booting.
    with pytest.raises(BootPanic) as err:
        with start_guest(kernel_build, None, [], console_logs / "panic", cmdline_extra="rdinit=/bin/false"):
            pass
    assert "panic" in str(err.value).lower()
    assert "Kernel panic" in str(err.value)


@pytest.mark.destructive
def test_guest_hang_on_boot_is_reported_as_a_hang(kernel_build, console_logs):
    # PID 1 sleeps instead of starting the shell: the ready marker never comes.
    with boot_image(image_request(kernel_build, None)) as image:
        vm = GuestVM(kernel_build.image, image, log_dir=console_logs / "hang",
                     cmdline_extra="rdinit=/bin/sleep -- 3600", boot_timeout=20)
        with pytest.raises(BootHang) as err:
            with vm:
                pass
    assert "hung" in str(err.value).lower() or "no ready" in str(err.value).lower()


@pytest.mark.destructive
def test_interactive_shell_has_job_control_and_ends_when_it_exits(kernel_build, console_logs, tmp_path):
    """What `invoke boot` without a command gives a person: a shell where Ctrl-C stops the guest's
    foreground job (not the harness), and `exit` ends the session."""
    import pexpect

    script = tmp_path / "interact.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from wgcompat.image.initrd import boot_image
        from wgcompat.image.overlay import OverlayRequest
        from wgcompat.vm.launcher import GuestVM
        with boot_image(OverlayRequest(arch={kernel_build.arch!r})) as image:
            with GuestVM(Path({str(kernel_build.image)!r}), image, log_dir=Path({str(console_logs / 'interact')!r})) as vm:
                vm.interact()
        print("INTERACT-" + "RETURNED")
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    user = pexpect.spawn(sys.executable, [str(script)], env=env, encoding="utf-8", timeout=300)
    try:
        user.expect_exact("leave with `exit` or Ctrl-]")
        user.expect_exact("# ")
        # The foreground job itself prints the marker and then becomes the sleep, so once the
        # marker is seen the job is running: a Ctrl-C sent after it can only reach the job (with
        # `echo ...; sleep 600` it could reach bash between the two, and the sleep then ran on).
        user.sendline("sh -c 'echo hi-$((40+2)); exec sleep 600'")
        user.expect_exact("hi-42")
        user.sendcontrol("c")  # reaches the guest's foreground job: the prompt comes back
        user.expect_exact("# ")
        user.sendline("exit")
        user.expect_exact("INTERACT-RETURNED")
        user.expect(pexpect.EOF)
    finally:
        user.close(force=True)
    assert user.exitstatus == 0
