"""QEMU argument construction (no VM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.vm import qemu
from wgcompat.vm.qemu import NetLink, VMSpec, build_argv, kernel_cmdline, probe_argv


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


def test_the_probe_and_a_guest_share_the_machine_arguments(tmp_path: Path) -> None:
    guest = build_argv(spec(tmp_path), "kvm")
    probe = probe_argv(tmp_path / "bzImage", tmp_path / "probe.cpio")
    for flag in ("-nodefaults", "-no-user-config", "-no-reboot"):
        assert flag in guest and flag in probe
    for option in ("-display", "-monitor", "-accel", "-cpu", "-kernel"):
        assert option_values(probe, option) == option_values(guest, option)
    assert option_values(probe, "-initrd") == [str(tmp_path / "probe.cpio")]
    assert option_values(probe, "-serial") == ["stdio"]
