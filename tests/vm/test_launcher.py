"""GuestVM with a fake QEMU (no VM): kernel reports, boot failures, timeouts, teardown, files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.image.initrd import BootImage
from wgcompat.vm.console import BootFailed, BootHang, BootPanic, CommandTimeout, ConsoleBroken
from wgcompat.vm.launcher import GuestVM, KernelSplat
from wgcompat.vm.pair import wired_vms

SPLAT = ("printf '%s\\n' '[   12.000000] ------------[ cut here ]------------' "
         "'[   12.000100] WARNING: CPU: 1 PID: 99 at drivers/net/wireguard/peer.c:88 wg_peer_put+0x5a/0x70' "
         "'[   12.000200] Call Trace:' '[   12.000300]  wg_set_device+0x41c/0x6a0' "
         "'[   12.000400] ---[ end trace 0000000000000000 ]---' >> \"$WGC_KMSG\"")


def ready_image(initrd: Path) -> BootImage:
    initrd.write_bytes(b"\0" * 512)  # the fake QEMU never reads it
    return BootImage(initrd=initrd, base=initrd, release=None, modules=0, reference_ko=False, seconds=0.0)


@pytest.fixture
def image(tmp_path: Path) -> BootImage:
    return ready_image(tmp_path / "initrd.img")


@pytest.fixture
def kernel(tmp_path: Path) -> Path:
    k = tmp_path / "bzImage"
    k.write_bytes(b"not a kernel")
    return k


def vm_for(fake_qemu: Path, kernel: Path, image: BootImage, tmp_path: Path, mode: str = "ok", **kw: object) -> GuestVM:
    return GuestVM(kernel, image, qemu=str(fake_qemu), accel="tcg", log_dir=tmp_path / "logs",
                   cmdline_extra=f"fake.mode={mode}", **kw)  # type: ignore[arg-type]


def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once no process ``pid`` exists (or it is a zombie nobody reaps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_commands_run_and_logs_are_kept(fake_qemu: Path, kernel: Path, image: BootImage, tmp_path: Path) -> None:
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        r = vm.run("echo out; exit 4", timeout=30)
        assert (r.status, r.output) == (4, "out\n")
        assert vm.boot_reports == []
    assert "Linux version 6.1.0-fake" in (tmp_path / "logs/console.log").read_text()
    assert "out" in (tmp_path / "logs/shell.log").read_text()
    info = json.loads((tmp_path / "logs/boot.json").read_text())
    assert info["accel"] == "tcg"
    assert info["argv"][0] == str(fake_qemu)


def test_a_kernel_warning_during_a_command_raises_kernelsplat_quoting_it(fake_qemu: Path, kernel: Path,
                                                                          image: BootImage, tmp_path: Path) -> None:
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        assert vm.run("echo before", timeout=30).output == "before\n"
        with pytest.raises(KernelSplat) as err:
            vm.run(SPLAT + "; echo done", timeout=30)
        assert [r.kind for r in err.value.reports] == ["WARNING"]
        assert "wg_peer_put+0x5a/0x70" in str(err.value)
        assert err.value.result is not None and err.value.result.output == "done\n"
        log_lines = (tmp_path / "logs/console.log").read_text().splitlines()
        assert log_lines[err.value.reports[0].line - 1].endswith("WARNING: CPU: 1 PID: 99 at drivers/net/wireguard/peer.c:88 wg_peer_put+0x5a/0x70")
        # reported once: the next command is clean, and the VM still works
        assert vm.run("echo after", timeout=30).output == "after\n"


def test_kernel_like_text_in_command_output_is_not_a_kernel_report(fake_qemu: Path, kernel: Path,
                                                                    image: BootImage, tmp_path: Path) -> None:
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        r = vm.run("echo 'WARNING: CPU: 0 PID: 1 at x.c:1'; echo 'Kernel panic - not syncing: no'", timeout=30)
        assert r.status == 0


def test_boot_reports_are_kept_but_do_not_fail_commands(fake_qemu: Path, kernel: Path, image: BootImage,
                                                         tmp_path: Path) -> None:
    with vm_for(fake_qemu, kernel, image, tmp_path, mode="bootwarn") as vm:
        assert [r.kind for r in vm.boot_reports] == ["WARNING"]
        assert vm.run("true", timeout=30).status == 0


def test_a_panic_during_boot_is_reported_as_a_panic(fake_qemu: Path, kernel: Path, image: BootImage,
                                                     tmp_path: Path) -> None:
    with pytest.raises(BootPanic) as err:
        with vm_for(fake_qemu, kernel, image, tmp_path, mode="panic", boot_timeout=60):
            pass
    assert "guest panicked during boot" in str(err.value)
    assert "VFS: Unable to mount root fs" in str(err.value)


def test_a_hang_during_boot_is_reported_as_a_hang(fake_qemu: Path, kernel: Path, image: BootImage,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pidfile = tmp_path / "pid"
    monkeypatch.setenv("FAKE_QEMU_PIDFILE", str(pidfile))
    with pytest.raises(BootHang) as err:
        with vm_for(fake_qemu, kernel, image, tmp_path, mode="hang", boot_timeout=1):
            pass
    assert "guest hung during boot" in str(err.value)
    assert "Run /init as init process" in err.value.tail
    assert gone(int(pidfile.read_text()))


def test_a_command_timeout_names_the_command_and_breaks_the_vm(fake_qemu: Path, kernel: Path, image: BootImage,
                                                                tmp_path: Path) -> None:
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        with pytest.raises(CommandTimeout) as err:
            vm.run("sleep 600", timeout=1)
        assert "`sleep 600` did not finish within 1 s" in str(err.value)
        with pytest.raises(ConsoleBroken):
            vm.run("true", timeout=5)


def test_a_panic_during_a_command_is_a_kernelsplat(fake_qemu: Path, kernel: Path, image: BootImage,
                                                    tmp_path: Path) -> None:
    cmd = ("printf '%s\\n' '[ 9.0] Kernel panic - not syncing: Fatal exception' '[ 9.1] Kernel Offset: disabled'"
           " >> \"$WGC_KMSG\"; kill -9 $PPID")
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        with pytest.raises(KernelSplat) as err:
            vm.run(cmd, timeout=30)
        assert [r.kind for r in err.value.reports] == ["panic"]


@pytest.mark.parametrize("how", ["normal", "exception", "keyboardinterrupt"])
def test_qemu_is_gone_after_the_with_block(fake_qemu: Path, kernel: Path, image: BootImage, tmp_path: Path,
                                           how: str) -> None:
    pid = None
    with pytest.raises((RuntimeError, KeyboardInterrupt)) if how != "normal" else _nothing():
        with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
            pid = vm.pid
            assert pid is not None and not gone(pid, timeout=0)
            if how == "exception":
                raise RuntimeError("test failed")
            if how == "keyboardinterrupt":
                raise KeyboardInterrupt
    assert pid is not None and gone(pid)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> bool:
        return False


def test_no_orphan_qemu_when_the_harness_is_killed(fake_qemu: Path, kernel: Path, image: BootImage,
                                                   tmp_path: Path) -> None:
    script = tmp_path / "harness.py"
    script.write_text(textwrap.dedent(f"""
        import sys, signal
        from pathlib import Path
        from wgcompat.image.initrd import BootImage
        from wgcompat.vm.launcher import GuestVM
        image = BootImage(Path({str(image.initrd)!r}), Path({str(image.base)!r}), None, 0, False, 0.0)
        vm = GuestVM(Path({str(kernel)!r}), image, qemu={str(fake_qemu)!r}, accel="tcg",
                     log_dir=Path({str(tmp_path / 'orphan')!r}))
        vm.start()
        print(vm.pid, flush=True)
        signal.pause()
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        qemu_pid = int(proc.stdout.readline())
        assert not gone(qemu_pid, timeout=0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert gone(qemu_pid)
    finally:
        proc.kill()
        proc.wait()


def test_missing_kernel_image_is_a_user_error(fake_qemu: Path, image: BootImage, tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        with GuestVM(tmp_path / "nope", image, qemu=str(fake_qemu), accel="tcg", log_dir=tmp_path):
            pass
    assert "does not exist" in err.value.cause


def test_two_wired_vms_get_crossed_ports_and_their_own_addresses(fake_qemu: Path, kernel: Path, image: BootImage,
                                                                 tmp_path: Path) -> None:
    images = (image, ready_image(tmp_path / "initrd-2.img"))
    with wired_vms(kernel, images, log_dir=tmp_path / "pair", qemu=str(fake_qemu), accel="tcg") as (a, b):
        assert a.run("echo a", timeout=30).output == "a\n"
        assert b.run("echo b", timeout=30).output == "b\n"
        pids = (a.pid, b.pid)
    argv_a = json.loads((tmp_path / "pair/vm1/boot.json").read_text())["argv"]
    argv_b = json.loads((tmp_path / "pair/vm2/boot.json").read_text())["argv"]
    net_a = argv_a[argv_a.index("-netdev") + 1]
    net_b = argv_b[argv_b.index("-netdev") + 1]
    port_a = net_a.split("localaddr=127.0.0.1:")[1]
    port_b = net_b.split("localaddr=127.0.0.1:")[1]
    assert f"udp=127.0.0.1:{port_b}" in net_a and f"udp=127.0.0.1:{port_a}" in net_b
    assert "wgcompat.ip=eth0,10.77.0.1/24" in argv_a[argv_a.index("-append") + 1]
    assert "wgcompat.ip=eth0,10.77.0.2/24" in argv_b[argv_b.index("-append") + 1]
    assert all(p is not None and gone(p) for p in pids)


def test_qemu_failing_to_start_the_kernel_is_a_boot_failure_quoting_qemu(tmp_path: Path, image: BootImage,
                                                                          kernel: Path) -> None:
    exe = tmp_path / "qemu-refuses"
    exe.write_text("#!/bin/sh\necho 'qemu: linux kernel too old to load a ram disk'\nexit 1\n")
    exe.chmod(0o755)
    with pytest.raises(BootFailed) as err:
        with GuestVM(kernel, image, qemu=str(exe), accel="tcg", log_dir=tmp_path / "logs"):
            pass
    assert not isinstance(err.value, BootPanic)
    assert "QEMU exited before the guest's shell was ready" in str(err.value)
    assert "kernel too old to load a ram disk" in err.value.tail


def test_interact_hands_the_shell_to_the_user_until_it_exits(fake_qemu: Path, kernel: Path, image: BootImage,
                                                             tmp_path: Path) -> None:
    import pexpect

    script = tmp_path / "boot.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from wgcompat.image.initrd import BootImage
        from wgcompat.vm.launcher import GuestVM
        image = BootImage(Path({str(image.initrd)!r}), Path({str(image.base)!r}), None, 0, False, 0.0)
        with GuestVM(Path({str(kernel)!r}), image, qemu={str(fake_qemu)!r}, accel="tcg",
                     log_dir=Path({str(tmp_path / 'interact')!r})) as vm:
            vm.interact()
        print("INTERACT-" + "RETURNED")
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HOME": str(tmp_path)}
    user = pexpect.spawn(sys.executable, [str(script)], env=env, encoding="utf-8", timeout=30)
    try:
        user.expect_exact("leave with `exit` or Ctrl-]")
        user.expect_exact("# ")  # the guest shell's prompt: type after it, as a person would
        user.sendline("echo hi-$((40+2))")
        user.expect_exact("hi-42")
        user.sendline("exit")
        user.expect_exact("INTERACT-RETURNED")
        user.expect(pexpect.EOF)
    finally:
        user.close(force=True)
    assert user.exitstatus == 0


def test_commands_still_work_when_the_console_hides_the_sync_lines(fake_qemu: Path, kernel: Path, image: BootImage,
                                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wgcompat.vm import launcher

    monkeypatch.setattr(launcher, "SYNC_TIMEOUT", 1.0)
    with vm_for(fake_qemu, kernel, image, tmp_path, mode="nosync") as vm:
        for _ in range(3):
            assert vm.run("echo ok", timeout=30).output == "ok\n"
    info = json.loads((tmp_path / "logs/boot.json").read_text())
    assert info["sync_lines"].startswith("missing")


def test_put_writes_a_file_or_bytes_into_the_running_guest(fake_qemu: Path, kernel: Path, image: BootImage,
                                                           tmp_path: Path) -> None:
    # the fake guest's filesystem is the host's: what the guest writes shows up here
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\necho tool\n")
    script.chmod(0o750)
    target = tmp_path / "in guest" / "it's here"
    with vm_for(fake_qemu, kernel, image, tmp_path) as vm:
        vm.put(script, str(target / "tool.sh"))
        vm.put(b"raw \x00 bytes", str(target / "data"))
        with pytest.raises(UserError):
            vm.put(tmp_path, str(target / "folder"))
    assert (target / "tool.sh").read_text() == "#!/bin/sh\necho tool\n"
    assert (target / "tool.sh").stat().st_mode & 0o777 == 0o750
    assert (target / "data").read_bytes() == b"raw \x00 bytes"
    assert not list(target.glob("*.wgc-part"))
