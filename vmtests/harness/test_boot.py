"""The harness itself, on a real kernel: boot, run commands, report panics and hangs.

Topology: one guest, no network; our module is not involved.

    host (pytest, pexpect) --ttyS1--> guest shell
                           <--ttyS0-- guest kernel console (console.log)
"""

from __future__ import annotations

import pytest

from wgcompat.guest.console import BootHang, BootPanic, CommandTimeout
from wgcompat.session import start_guest


def test_guest_runs_the_kernel_that_was_built(bare_vm, kernel_build):
    result = bare_vm.run("uname -r", timeout=30)
    assert (result.status, result.output.strip()) == (0, kernel_build.release)


def test_exit_status_and_output_come_back_separately(bare_vm):
    result = bare_vm.run("echo to-stdout; echo to-stderr >&2; exit 7", timeout=30)
    assert result.status == 7
    assert result.output.split() == ["to-stdout", "to-stderr"]


def test_kernel_messages_stay_out_of_command_output(bare_vm):
    result = bare_vm.run("echo wgcompat-kmsg-probe > /dev/kmsg; echo done", timeout=30)
    assert result.output.strip() == "done"
    assert "wgcompat-kmsg-probe" in bare_vm.kernel_log()


def test_guest_tools_are_present(bare_vm):
    result = bare_vm.run("for t in ip ss wg wg-quick ping iperf3 ncat iptables modprobe insmod wireguard-go; "
                         "do command -v $t >/dev/null || echo missing: $t; done", timeout=30)
    assert result.output.strip() == ""


@pytest.mark.destructive
def test_command_that_never_returns_times_out_with_its_name(kernel_build, console_logs):
    with start_guest(kernel_build, None, [], console_logs / "timeout") as guest:
        with pytest.raises(CommandTimeout) as err:
            guest.run("sleep 600", timeout=3)
    assert "sleep 600" in err.value.cause


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
    from wgcompat.guest.vm import GuestVM

    vm = GuestVM(kernel_image=kernel_build.image, log_dir=console_logs / "hang",
                 cmdline_extra="rdinit=/bin/sleep -- 3600", boot_timeout=20)
    with pytest.raises(BootHang) as err:
        with vm:
            pass
    assert "hung" in str(err.value).lower() or "no ready" in str(err.value).lower()
