"""compat.h for the run's kernel compiles warning-free with every wrapper in use, for either crypto.

    host: generate compat.h (--crypto auto | bundled) for <kernel build>
          make -C <kernel build> M=<dir> W=1 compat_user.o

No guest. compat_user.c calls every wrapper, shim and wgc_* crypto function of compat.h once,
so a shim the module happens not to use on this kernel, or the crypto mapping the run's module
build did not choose (a kernel-library run never compiles the bundled mapping, and the other
way round), is still compiled against this kernel's headers. A warning located in compat.h or
compat_user.c fails the test and is quoted; warnings inside the kernel's own headers are not ours.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wgcompat.module_build import MODULE_SRC, generate_compat, kbuild_argv, split_warnings

USER = Path(__file__).with_name("compat_user.c")


@pytest.mark.parametrize("crypto", ["auto", "bundled"])
def test_compat_h_compiles_with_w1(kernel_build: Any, crypto: str, tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "crypto").mkdir(parents=True)
    result = generate_compat(kernel_build, build, crypto)
    shutil.copy(MODULE_SRC / "crypto" / "bundled.h", build / "crypto" / "bundled.h")
    shutil.copy(USER, build / "compat_user.c")
    (build / "Kbuild").write_text(
        "OBJECT_FILES_NON_STANDARD := y\n-include $(src)/compat.mk\nobj-m := compat_user.o\n")
    cmd = kbuild_argv(kernel_build, [f"M={build}", "W=1", "compat_user.o"], cwd=build)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, (
        f"compat.h ({crypto} crypto, {result.crypto} chosen) does not compile against {kernel_build.release}:\n"
        f"{log[-3000:]}")
    ours, _ = split_warnings(log, build)
    assert not ours, (f"compat.h ({crypto} crypto) on {kernel_build.release}: {len(ours)} W=1 warning(s):\n"
                      + "\n".join(ours[:40]))
