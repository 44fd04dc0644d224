"""module/ (and the compat shims) decide nothing by kernel version or distribution."""

from __future__ import annotations

import re
from pathlib import Path

from wgcompat.paths import REPO

FORBIDDEN = re.compile(
    r"LINUX_VERSION_CODE|KERNEL_VERSION\s*\(|LINUX_VERSION_(MAJOR|PATCHLEVEL|SUBLEVEL)"
    r"|\bRHEL_[A-Z_]+|UTS_UBUNTU_[A-Z_]+|UTS_RELEASE|SUSE_(PRODUCT|VERSION)[A-Z_]*|\bCONFIG_SUSE_KERNEL"
    r"|\$\((VERSION|PATCHLEVEL|SUBLEVEL|KERNELRELEASE)\)|<linux/version\.h>|<generated/utsrelease\.h>|\bVERSION\s*(==|>=|<=|<|>)|\bPATCHLEVEL\s*(==|>=|<=|<|>)"
)
SOURCE_SUFFIXES = {".c", ".h", ".mk", ".j2", ".S"}
SOURCE_NAMES = {"Kbuild", "Makefile"}


def _sources(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and (p.suffix in SOURCE_SUFFIXES or p.name in SOURCE_NAMES)
    )


def _offences(root: Path) -> list[str]:
    found = []
    for path in _sources(root):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_module_has_no_version_or_distro_checks() -> None:
    offences = _offences(REPO / "module")
    assert offences == [], (
        "module/ must not test kernel versions or distributions; add a probe under wgcompat/compat/probes/ "
        "and use its WGC_HAVE_* define instead:\n" + "\n".join(offences)
    )


def test_compat_shims_have_no_version_or_distro_checks() -> None:
    assert _offences(REPO / "wgcompat" / "compat") == []


def test_the_scanner_catches_each_kind_of_check(tmp_path: Path) -> None:
    samples = [
        "#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)",
        "#if RHEL_RELEASE_CODE >= RHEL_RELEASE_VERSION(8, 4)",
        "#ifdef UTS_UBUNTU_RELEASE_ABI",
        "#include <linux/version.h>",
        "#if SUSE_PRODUCT_CODE > 1",
        "ifeq ($(VERSION)$(PATCHLEVEL),510)",
    ]
    for sample in samples:
        assert FORBIDDEN.search(sample), sample
    assert not FORBIDDEN.search("#if WGC_HAVE_NETDEV_LLTX")
