"""Architectures as data (wgcompat.arch) and where they reach: Kbuild's arguments, the
kernel build's cache entry, the config fragments, the guest's QEMU arguments, the compat
generator's cross arguments. No kernel is built and no VM booted."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgcompat import arch
from wgcompat.compat.tree import KernelTree
from wgcompat.errors import UserError
from wgcompat.kernel import kconfig
from wgcompat.kernel.select import selection
from wgcompat.vm.qemu import VMSpec, build_argv, kernel_cmdline

HOST_IS_X86 = arch.ARCHES["x86_64"].native
x86_host = pytest.mark.skipif(not HOST_IS_X86, reason="the expectations are those of an x86_64 host")


@x86_host
def test_a_native_build_takes_the_host_compiler_and_no_arch() -> None:
    assert arch.get(None).kbuild_args(ccache=True) == ["CC=ccache gcc", "HOSTCC=ccache gcc"]


@x86_host
def test_an_arm64_build_is_a_cross_build_with_debians_cross_compiler() -> None:
    arm64 = arch.get("arm64")
    assert arm64.kbuild_args(ccache=True) == ["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-",
                                              "CC=ccache aarch64-linux-gnu-gcc", "HOSTCC=ccache gcc"]
    assert arm64.cross_package == "gcc-aarch64-linux-gnu"


def test_an_unknown_architecture_is_refused_with_the_choices() -> None:
    with pytest.raises(UserError) as err:
        arch.get("riscv")
    assert "--arch riscv" in err.value.cause and "x86_64, arm64" in err.value.fix


def test_a_config_names_its_architecture() -> None:
    assert arch.arch_of_config({"CONFIG_ARM64": "y"}).name == "arm64"
    assert arch.arch_of_config({"CONFIG_X86_64": "y", "CONFIG_64BIT": "y"}).name == "x86_64"
    with pytest.raises(UserError) as err:
        arch.arch_of_config({"CONFIG_MIPS": "y"})
    assert "CONFIG_ARM64" in err.value.cause


def test_each_architecture_has_its_fragment_after_base() -> None:
    for name, a in arch.ARCHES.items():
        names = [f.name for f in kconfig.select_fragments("normal", set(), arch=name)]
        assert names[:2] == ["base.config", f"arch/{a.fragment}"]
    x86 = kconfig.merge(kconfig.select_fragments("normal", set(), arch="x86_64")).requested
    arm64 = kconfig.merge(kconfig.select_fragments("normal", set(), arch="arm64")).requested
    assert x86["CONFIG_SERIAL_8250_CONSOLE"] == "y" and "CONFIG_SERIAL_8250_CONSOLE" not in arm64
    assert arm64["CONFIG_SERIAL_AMBA_PL011_CONSOLE"] == "y" and arm64["CONFIG_VIRTIO_CONSOLE"] == "y"


def test_an_architectures_flavour_fragment_comes_after_the_flavours_own() -> None:
    s390x = [f.name for f in kconfig.select_fragments("debug", set(), arch="s390x")]
    assert s390x[-2:] == ["debug.config", "arch/s390x-debug.config"]
    # s390 has no soft lockup detector (lib/Kconfig.debug: depends on !S390)
    assert kconfig.merge(kconfig.select_fragments("debug", set(), arch="s390x")).requested[
        "CONFIG_SOFTLOCKUP_DETECTOR"] == "n"
    assert kconfig.merge(kconfig.select_fragments("debug", set(), arch="arm64")).requested[
        "CONFIG_SOFTLOCKUP_DETECTOR"] == "y"
    assert "arch/s390x-debug.config" not in [f.name for f in kconfig.select_fragments("normal", set(), arch="s390x")]


def test_a_debian_prebuilt_kernel_is_x86_64_only() -> None:
    with pytest.raises(UserError) as err:
        selection("debian:6.1", arch="arm64")
    assert "--arch arm64" in err.value.cause and "--kernel SERIES --arch arm64" in err.value.fix
    assert selection("6.1", arch="arm64").arch == "arm64"
    assert selection("6.1").arch == "x86_64"


def _spec(tmp_path: Path, name: str) -> VMSpec:
    return VMSpec(kernel=tmp_path / "Image", initrd=tmp_path / "initrd", console_log=tmp_path / "console.log",
                  token="WGCabc", arch=name)


def test_an_arm64_guest_has_the_virt_machine_its_uart_console_and_a_virtio_console_shell(tmp_path: Path) -> None:
    argv = build_argv(_spec(tmp_path, "arm64"), "tcg", qemu="qemu-system-aarch64")
    assert argv[argv.index("-machine") + 1].startswith("virt")
    assert argv[argv.index("-cpu") + 1] == "cortex-a72"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-serial"] == ["chardev:console"]
    assert "virtconsole,chardev=shell" in argv
    words = kernel_cmdline(_spec(tmp_path, "arm64")).split()
    assert "console=ttyAMA0,115200" in words and "wgcompat.shell=hvc0" in words and "tsc=reliable" not in words


def test_an_x86_64_guest_keeps_its_two_serial_ports(tmp_path: Path) -> None:
    argv = build_argv(_spec(tmp_path, "x86_64"), "tcg")
    assert argv[argv.index("-machine") + 1] == "q35" and argv[argv.index("-cpu") + 1] == "max"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-serial"] == ["chardev:console", "chardev:shell"]
    assert "wgcompat.shell=ttyS1" in kernel_cmdline(_spec(tmp_path, "x86_64")).split()


def _tree(config: dict[str, str]) -> KernelTree:
    return KernelTree(kdir=Path("/nonexistent"), release="6.1.192", config_text="", symvers_bytes=b"",
                      config=config)


@x86_host
def test_the_compat_generator_cross_builds_its_probes_for_a_foreign_tree() -> None:
    arm64 = _tree({"CONFIG_ARM64": "y", "CONFIG_CC_VERSION_TEXT": '"aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0"'})
    assert arm64.cross_args() == ["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"]
    native = _tree({"CONFIG_X86_64": "y", "CONFIG_CC_VERSION_TEXT": '"gcc (Debian 12.2.0-14) 12.2.0"'})
    assert native.cross_args() == []
