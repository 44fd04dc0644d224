"""The bundled crypto (module/crypto/) inside the run's kernel, whichever crypto the run's module uses.

    host:  compat.h generated with --crypto bundled for <kernel build>
           make -C <kernel build> M=<dir> W=1  ->  wgc_sgcheck.ko
             = module/crypto/*.c + crypto/selftest.c + vmtests/crypto/sgcheck.c
    guest: insmod wgc_sgcheck.ko
             -> "wireguard: selftest crypto-<name>: pass|FAIL"  (the RFC vectors, one line each)
             -> "sgcheck: sg vs linear: N cases, F failures"     (random scatterlist layouts)

One guest of its own, without our wireguard.ko. The release build runs no self-test and a
kernel-library build never links the bundled code, so this is where the bundled code meets a
kernel's scatterlists and allocator on every kernel of a run: the in-place scatterlist AEAD
against the linear one over 520 random layouts (entries of 1 byte to several pages, the tag
split between entries, lengths 0 to 65537) and a tampered byte refused, beside the single
fixed split of the self-test. The same sources' arithmetic is checked in userspace by
tests/crypto/ (vectors, differential, constant time), where no scatterlist exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wgcompat.module_build import MODULE_SRC, generate_compat, kbuild_argv, split_warnings
from wgcompat.run.guests import start_guest

SGCHECK = Path(__file__).with_name("sgcheck.c")
KO = "/root/wgc_sgcheck.ko"
KBUILD = """-include $(src)/compat.mk
include $(src)/crypto/bundled.mk
ccflags-y += -I$(src)
obj-m := wgc_sgcheck.o
wgc_sgcheck-y := sgcheck.o $(wgc-bundled-crypto-y) crypto/selftest.o
"""
VERDICT = re.compile(r"wireguard: selftest (crypto-[a-z0-9-]+): (pass|FAIL)")
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


@pytest.fixture(scope="module")
def kernel_log(build: Build, kernel_build: Any, console_logs: Path) -> str:
    if build.returncode != 0 or not build.ko.is_file():
        pytest.fail(f"wgc_sgcheck.ko did not build against {kernel_build.release} "
                    "(test_bundled_crypto_builds_warning_free quotes the log)", pytrace=False)
    with start_guest(kernel_build, None, [(build.ko, KO)], console_logs / "bundled-crypto") as guest:
        # a kernel report during the load fails the test here (KernelSplat, quoting it)
        loaded = guest.run(f"insmod {KO}; echo insmod-status=$?; dmesg", timeout=600)
    status = re.search(r"^insmod-status=(\d+)$", loaded.output, re.M)
    assert status, f"no insmod status in the guest's output:\n{loaded.output[-3000:]}"
    log = str(loaded.output)
    assert status.group(1) == "0" or VERDICT.search(log) or SG_SUMMARY.search(log), (
        f"insmod {KO} failed before the checks ran on {kernel_build.release}:\n{log[-3000:]}")
    return log


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


def test_scatterlist_aead_agrees_with_the_linear_one(kernel_log: str, kernel_build: Any) -> None:
    summary = SG_SUMMARY.search(kernel_log)
    assert summary, f"sgcheck printed no summary on {kernel_build.release}:\n{kernel_log[-3000:]}"
    mismatches = re.findall(r"sgcheck: mismatch at .*", kernel_log)
    assert (int(summary.group(1)), int(summary.group(2))) == (520, 0), (
        f"on {kernel_build.release}: {summary.group(0)}\n" + "\n".join(mismatches[:20]))
