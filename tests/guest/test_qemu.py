"""QEMU argument construction and the KVM probe (fake QEMU binaries, no VM)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.guest import qemu
from wgcompat.guest.qemu import KvmVerdict, NetLink, VMSpec, build_argv, kernel_cmdline, probe_kvm, resolve_accel


def spec(tmp_path: Path, **kw: object) -> VMSpec:
    return VMSpec(kernel=tmp_path / "bzImage", initrd=tmp_path / "initrd", console_log=tmp_path / "console.log",
                  token="WGCabc", **kw)  # type: ignore[arg-type]


def option_values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == option]


def test_kernel_console_goes_to_the_log_and_the_shell_to_stdio(tmp_path: Path) -> None:
    argv = build_argv(spec(tmp_path), "tcg")
    assert option_values(argv, "-serial") == ["chardev:console", "chardev:shell"]  # ttyS0, ttyS1
    chardevs = option_values(argv, "-chardev")
    assert f"file,id=console,path={tmp_path / 'console.log'}" in chardevs
    assert "stdio,id=shell,signal=off" in chardevs
    assert option_values(argv, "-monitor") == ["none"]
    assert "-no-reboot" in argv


def test_a_panic_ends_qemu_but_a_warning_or_oops_does_not(tmp_path: Path) -> None:
    cmdline = kernel_cmdline(spec(tmp_path, cmdline_extra="foo=bar"))
    words = cmdline.split()
    assert "panic=-1" in words and "console=ttyS0,115200" in words
    assert not any(w.startswith(("oops=", "panic_on_warn")) for w in words)
    assert "wgcompat.token=WGCabc" in words and words[-1] == "foo=bar"


def test_tcg_and_kvm_arguments(tmp_path: Path) -> None:
    tcg = build_argv(spec(tmp_path, memory_mb=512, cpus=3), "tcg")
    assert option_values(tcg, "-accel") == ["tcg"] and "-enable-kvm" not in tcg
    assert option_values(tcg, "-m") == ["512"] and option_values(tcg, "-smp") == ["3"]
    kvm = build_argv(spec(tmp_path), "kvm")
    assert option_values(kvm, "-accel") == ["kvm"] and option_values(kvm, "-cpu") == ["host"]


def test_network_links_become_socket_netdevs_and_nics(tmp_path: Path) -> None:
    link = NetLink(local_port=40001, remote_port=40002, mac="52:54:00:00:00:09", address="10.1.0.1/24", model="e1000")
    argv = build_argv(spec(tmp_path, links=(link,)), "tcg")
    assert option_values(argv, "-netdev") == ["socket,id=net0,udp=127.0.0.1:40002,localaddr=127.0.0.1:40001"]
    assert "e1000,netdev=net0,mac=52:54:00:00:00:09" in option_values(argv, "-device")
    assert "wgcompat.ip=eth0,10.1.0.1/24" in option_values(argv, "-append")[0].split()


def test_wired_pair_crosses_ports() -> None:
    a, b = qemu.wired_pair()
    assert (a.local_port, a.remote_port) == (b.remote_port, b.local_port)
    assert a.local_port != b.local_port and a.mac != b.mac and a.address != b.address


def test_missing_qemu_says_how_to_install_it() -> None:
    with pytest.raises(UserError) as err:
        qemu.qemu_binary("qemu-system-x86_64-not-installed-anywhere")
    assert "apt-get install qemu-system-x86" in err.value.fix


def test_tcg_when_the_kvm_probe_fails(tmp_path: Path) -> None:
    failing = lambda kernel: KvmVerdict(False, "probe boot hung", False)  # noqa: E731
    accel, why = resolve_accel("auto", tmp_path / "bzImage", probe=failing)
    assert accel == "tcg" and "probe boot hung" in why
    working = lambda kernel: KvmVerdict(True, "ok", False)  # noqa: E731
    assert resolve_accel("auto", tmp_path / "bzImage", probe=working)[0] == "kvm"
    assert resolve_accel("tcg", tmp_path / "bzImage", probe=working)[0] == "tcg"
    with pytest.raises(UserError) as err:
        resolve_accel("kvm", tmp_path / "bzImage", probe=failing)
    assert "does not work on this host" in err.value.cause


def fake_binary(tmp_path: Path, name: str, body: str) -> Path:
    exe = tmp_path / name
    exe.write_text('#!/bin/sh\ncase "$1" in --version) echo "QEMU emulator version 0.0 (fake)"; exit 0;; esac\n' + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


@pytest.fixture
def devkvm(tmp_path: Path) -> Path:
    p = tmp_path / "kvm"
    p.write_text("")
    return p


needs_busybox = pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="no static busybox on the host")


@needs_busybox
def test_probe_that_crashes_gives_tcg_and_is_cached(tmp_path: Path, devkvm: Path) -> None:
    count = tmp_path / "runs"
    fake = fake_binary(tmp_path, "qemu-crash", f'echo run >> {count}\n'
                       'echo "error: failed to set MSR 0x10a" >&2; kill -ABRT $$\n')
    first = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert not first.usable and not first.cached and "failed to set MSR" in first.reason
    second = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert not second.usable and second.cached
    assert count.read_text().count("run") == 1


@needs_busybox
def test_probe_that_hangs_gives_tcg(tmp_path: Path, devkvm: Path) -> None:
    fake = fake_binary(tmp_path, "qemu-hang", "exec sleep 600\n")
    verdict = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm, timeout=1)
    assert not verdict.usable and "hung" in verdict.reason


@needs_busybox
def test_probe_that_reaches_userspace_allows_kvm(tmp_path: Path, devkvm: Path) -> None:
    fake = fake_binary(tmp_path, "qemu-ok", f'echo "{qemu.PROBE_MARKER}"\n')
    verdict = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert verdict.usable


def test_no_dev_kvm_means_tcg_without_probing(tmp_path: Path) -> None:
    verdict = probe_kvm(tmp_path / "bzImage", qemu="/nonexistent/qemu", cache_dir=tmp_path / "cache",
                        devkvm=tmp_path / "missing-kvm")
    assert not verdict.usable and "missing" in verdict.reason
