"""The bundled crypto (module/crypto/) inside the run's kernel, whichever crypto the run's module uses.

    host:  compat.h generated with --crypto bundled for <kernel build>
           make -C <kernel build> M=<dir> W=1  ->  wgc_sgcheck.ko
             = module/crypto/*.c + crypto/selftest.c + vmtests/crypto/sgcheck.c
    guest: insmod wgc_sgcheck.ko
             -> "wireguard: selftest crypto-<name>: pass|FAIL"  (the RFC vectors, one line each)
             -> "wireguard: selftest crypto-impl-<impl>: pass"  (each ChaCha20 the guest CPU runs)
             -> "wgc_sgcheck: bundled ChaCha20: <impl> (crypto_simd=auto)", read back in
                /sys/module/wgc_sgcheck/parameters/crypto_simd: the best the CPU's flags allow
             -> "sgcheck: sg vs linear: N cases, F failures"     (random scatterlist layouts)
           rmmod; insmod wgc_sgcheck.ko crypto_simd=portable (then =ssse3 on x86_64, =neon on arm64)
             -> the same checks with the vector code switched off (capped at the architecture's
                first vector implementation)
           insmod wgc_sgcheck.ko crypto_simd=fastest, then another architecture's name (neon on
           x86_64, ssse3 elsewhere) -> refused, naming the values this architecture takes

One guest of its own, without our wireguard.ko. The release build runs no self-test and a
kernel-library build never links the bundled code, so this is where the bundled code meets a
kernel's scatterlists and allocator on every kernel of a run: the in-place scatterlist AEAD
against the linear one over 520 random layouts (entries of 1 byte to several pages, the tag
split between entries, lengths 0 to 65537) and a tampered byte refused, beside the single
fixed split of the self-test. The same sources' arithmetic is checked in userspace by
tests/crypto/ (vectors, differential, constant time), where no scatterlist exists.

The guest CPU is QEMU's "max" model under TCG on x86_64 (wgcompat/vm/qemu.py): QEMU 7.2
emulates SSSE3, AVX and AVX2 with their XSAVE state, not AVX-512, so the module picks avx2
there; arm64's cortex-a72 has Advanced SIMD ("asimd"), so neon; s390x gets portable. What the
tests expect is derived from the guest's architecture and the flags in its /proc/cpuinfo
(vmtests/lib/chacha20_impls.py), not assumed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vmtests.lib import chacha20_impls
from wgcompat.module_build import MODULE_SRC, generate_compat, kbuild_argv, split_warnings
from wgcompat.run.guests import start_guest
from wgcompat.vm.shell import cmd, redirect

SGCHECK = Path(__file__).with_name("sgcheck.c")
KO = "/root/wgc_sgcheck.ko"
KBUILD = """-include $(src)/compat.mk
include $(src)/crypto/bundled.mk
ccflags-y += -I$(src)
obj-m := wgc_sgcheck.o
wgc_sgcheck-y := sgcheck.o $(wgc-bundled-crypto-y) crypto/selftest.o
"""
PARAM = "/sys/module/wgc_sgcheck/parameters/crypto_simd"
VERDICT = re.compile(r"wireguard: selftest (crypto-[a-z0-9-]+): (pass|FAIL)")
IMPL_VERDICT = re.compile(r"wireguard: selftest crypto-impl-([a-z0-9]+): (pass|FAIL)")
CHOSEN = re.compile(r"wgc_sgcheck: bundled ChaCha20: ([a-z0-9]+) \(crypto_simd=([a-z0-9]+)\)")
SG_SUMMARY = re.compile(r"sgcheck: sg vs linear: (\d+) cases, (\d+) failures")


def crypto_selftest_names() -> list[str]:
    text = (MODULE_SRC / "crypto" / "selftest.c").read_text()
    return sorted(set(re.findall(r'wg_selftest_report\("(crypto-[a-z0-9-]+)"', text)))


class Build:
    def __init__(self, src: Path, proc: subprocess.CompletedProcess[str]) -> None:
        self.src = src
        self.returncode = proc.returncode
        self.log = proc.stdout + proc.stderr
        self.ko = src / "wgc_sgcheck.ko"


@pytest.fixture(scope="module")
def build(kernel_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Build:
    src = tmp_path_factory.mktemp("sgcheck")
    shutil.copytree(MODULE_SRC / "crypto", src / "crypto",
                    ignore=shutil.ignore_patterns("*.o", "*.ko", ".*.cmd", "*.mod*"))
    (src / "selftest").mkdir()
    shutil.copy(MODULE_SRC / "selftest" / "selftest.h", src / "selftest" / "selftest.h")
    shutil.copy(SGCHECK, src / "sgcheck.c")
    generate_compat(kernel_build, src, "bundled")
    (src / "Kbuild").write_text(KBUILD)
    cmd = kbuild_argv(kernel_build, [f"M={src}", "W=1", "modules"], cwd=src)
    return Build(src, subprocess.run(cmd, capture_output=True, text=True, timeout=900))


class Load:
    """One insmod of wgc_sgcheck.ko in the guest: its kernel log and what it reported."""

    def __init__(self, log: str, param: str, cpu_flags: set[str], arch: str) -> None:
        self.log = log
        self.param = param
        self.cpu_flags = cpu_flags
        self.arch = arch

    @property
    def runnable(self) -> list[str]:
        """The implementations the guest's architecture and CPU flags allow, worst first."""
        return chacha20_impls.runnable(self.arch, self.cpu_flags)


def _load(guest: Any, kernel_build: Any, *params: str) -> Load:
    release = kernel_build.release
    guest.run(redirect(cmd("dmesg", "-c"), stdout="/dev/null"))
    loaded = guest.run(cmd("insmod", KO, *params), timeout=600)
    log = str(guest.run(cmd("dmesg")).output)
    assert loaded.status == 0 or VERDICT.search(log) or SG_SUMMARY.search(log), (
        f"insmod {KO} {' '.join(params)} failed before the checks ran on {release}:\n"
        f"{loaded.output}\n{log[-3000:]}")
    param = guest.run(cmd("cat", PARAM)).output.strip()
    flags = chacha20_impls.cpu_flags(guest)
    guest.run(cmd("rmmod", "wgc_sgcheck"))
    return Load(log, param, flags, kernel_build.arch)


def _refused(guest: Any, value: str) -> Load:
    guest.run(redirect(cmd("dmesg", "-c"), stdout="/dev/null"))
    refused = guest.run(cmd("insmod", KO, f"crypto_simd={value}"))
    return Load(str(guest.run(cmd("dmesg")).output), f"insmod status {refused.status}", set(), "")


def _cap(arch: str) -> str:
    """The cap the tests load with: the architecture's first vector implementation."""
    return (chacha20_impls.of_arch(arch)[1:] or ["portable"])[0]


@pytest.fixture(scope="module")
def loads(build: Build, kernel_build: Any, console_logs: Path) -> dict[str, Load]:
    """The module loaded with crypto_simd=auto (the default), with portable forced, capped
    at the architecture's first vector implementation, and refused with a value that names
    no implementation and with another architecture's name."""
    if build.returncode != 0 or not build.ko.is_file():
        pytest.fail(f"wgc_sgcheck.ko did not build against {kernel_build.release} "
                    "(test_bundled_crypto_builds_warning_free quotes the log)", pytrace=False)
    with start_guest(kernel_build, None, [(build.ko, KO)], console_logs / "bundled-crypto") as guest:
        # a kernel report during a load fails the test here (KernelSplat, quoting it)
        loads = {"auto": _load(guest, kernel_build),
                 "portable": _load(guest, kernel_build, "crypto_simd=portable"),
                 "cap": _load(guest, kernel_build, f"crypto_simd={_cap(kernel_build.arch)}"),
                 "fastest": _refused(guest, "fastest"),
                 "foreign": _refused(guest, chacha20_impls.foreign(kernel_build.arch))}
        return loads


@pytest.fixture(scope="module")
def kernel_log(loads: dict[str, Load]) -> str:
    return loads["auto"].log


def test_bundled_crypto_builds_warning_free(build: Build, kernel_build: Any) -> None:
    assert build.returncode == 0, f"wgc_sgcheck.ko failed to build against {kernel_build.release}:\n{build.log[-3000:]}"
    assert build.ko.is_file(), f"make succeeded but left no wgc_sgcheck.ko:\n{build.log[-2000:]}"
    ours, _ = split_warnings(build.log, build.src)
    assert not ours, (f"{len(ours)} W=1 warning(s) in the bundled crypto on {kernel_build.release}:\n"
                      + "\n".join(ours[:40]))


def test_the_sources_name_crypto_self_tests() -> None:
    assert len(crypto_selftest_names()) >= 5, crypto_selftest_names()


@pytest.mark.parametrize("name", crypto_selftest_names())
def test_selftest_in_kernel(kernel_log: str, kernel_build: Any, name: str) -> None:
    verdicts = [m.group(2) for m in VERDICT.finditer(kernel_log) if m.group(1) == name]
    assert verdicts, f"no verdict for self-test {name!r} in the kernel log of {kernel_build.release}"
    assert verdicts[-1] == "pass", f"bundled crypto self-test {name!r} failed on {kernel_build.release}"


def test_each_chacha20_the_cpu_runs_passes_the_self_test(loads: dict[str, Load]) -> None:
    """The self-test runs the AEAD vectors under every implementation the CPU has, whichever
    one the module runs afterwards (so the forced-portable load tests them all too)."""
    for mode in ("auto", "portable", "cap"):
        load = loads[mode]
        verdicts = dict(IMPL_VERDICT.findall(load.log))
        expected = load.runnable
        assert sorted(verdicts) == sorted(expected), (mode, verdicts, sorted(load.cpu_flags))
        assert set(verdicts.values()) == {"pass"}, (mode, verdicts)


def test_module_reports_the_best_chacha20_the_cpu_runs(loads: dict[str, Load]) -> None:
    load = loads["auto"]
    best = load.runnable[-1]
    assert CHOSEN.findall(load.log) == [(best, "auto")], load.log[-3000:]
    assert load.param == best


def test_crypto_simd_portable_switches_the_vector_code_off(loads: dict[str, Load]) -> None:
    load = loads["portable"]
    assert CHOSEN.findall(load.log) == [("portable", "portable")], load.log[-3000:]
    assert load.param == "portable"
    summary = SG_SUMMARY.search(load.log)
    assert summary and (summary.group(1), summary.group(2)) == ("520", "0"), load.log[-3000:]


def test_crypto_simd_caps_the_choice(loads: dict[str, Load], kernel_build: Any) -> None:
    load = loads["cap"]
    cap = _cap(kernel_build.arch)
    capped = cap if cap in load.runnable else "portable"
    assert CHOSEN.findall(load.log) == [(capped, cap)], load.log[-3000:]
    assert load.param == capped


@pytest.mark.parametrize("value", ["fastest", "foreign"])
def test_crypto_simd_refuses_an_unknown_value_naming_the_choices(loads: dict[str, Load], kernel_build: Any,
                                                                 value: str) -> None:
    """An unknown value, and another architecture's implementation (neon on x86_64, ssse3
    elsewhere), are refused; the message names what this architecture takes."""
    load = loads[value]
    name = value if value == "fastest" else chacha20_impls.foreign(kernel_build.arch)
    assert load.param != "insmod status 0", load.log[-3000:]
    expected = f"crypto_simd={name}: use {chacha20_impls.choices(kernel_build.arch)}"
    assert expected in load.log, load.log[-3000:]


def test_scatterlist_aead_agrees_with_the_linear_one(kernel_log: str, kernel_build: Any) -> None:
    summary = SG_SUMMARY.search(kernel_log)
    assert summary, f"sgcheck printed no summary on {kernel_build.release}:\n{kernel_log[-3000:]}"
    mismatches = re.findall(r"sgcheck: mismatch at .*", kernel_log)
    assert (int(summary.group(1)), int(summary.group(2))) == (520, 0), (
        f"on {kernel_build.release}: {summary.group(0)}\n" + "\n".join(mismatches[:20]))
