"""The module's sources under the kernel's static checkers, against the run's kernel.

    host: make -C <kernel build> M=<copy of the module build> C=2 W=1 [WG_DEBUG=1]

No guest: each test copies the run's module build (sources plus the compat.h generated
for this kernel) and builds it again with sparse on every file (`make C=2`) and the
compiler's W=1 warnings, for the release build and the WG_DEBUG build. A warning located
in module/ or compat.h fails the test and is quoted; warnings inside the kernel's own
headers are not ours and are left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wgcompat.module_build import kbuild_argv

# file:line:col: warning|error: text (sparse and gcc alike)
DIAGNOSTIC = re.compile(r"^(?P<file>[^:\s]+):\d+:\d+: (?:warning|error): ")


def ours(output: str, src: Path) -> list[str]:
    """The diagnostics of ``output`` located in the copied sources under ``src``."""
    found = []
    for line in output.splitlines():
        m = DIAGNOSTIC.match(line)
        if m and (m["file"].startswith(f"{src}/") or not m["file"].startswith(("/", "./"))):
            found.append(line)
    return found


def test_diagnostics_are_read_from_a_captured_build_log(tmp_path: Path) -> None:
    log = (f"  CHECK   {tmp_path}/peer.c\n"
           f"{tmp_path}/peer.c:41:17: warning: incorrect type in assignment (different address spaces)\n"
           "./include/linux/mmzone.h:1203:9: warning: x\n"
           "/usr/src/linux/include/net/sock.h:12:3: warning: not ours\n")
    assert ours(log, tmp_path) == [log.splitlines()[1]]
    assert ours("compat.h:7:1: error: y\n", tmp_path) == ["compat.h:7:1: error: y"]


@pytest.mark.parametrize("debug", [False, True], ids=["release", "wg-debug"])
def test_sparse_and_w1_find_nothing_in_the_module(kernel_build: Any, module_build: Any, tmp_path: Path,
                                                   debug: bool) -> None:
    if shutil.which("sparse") is None:
        pytest.fail("sparse is not installed; `./wgc` installs it (tools/apt-packages.txt), or apt-get install sparse",
                    pytrace=False)
    src = tmp_path / "src"
    shutil.copytree(module_build.build_dir, src, ignore=shutil.ignore_patterns("*.o", "*.ko", "*.cmd", "*.mod*"))
    cmd = kbuild_argv(kernel_build, [f"M={src}", "C=2", "W=1", f"-j{os.cpu_count() or 2}",
                                     *(["WG_DEBUG=1"] if debug else []), "modules"], cwd=src)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the module failed to build under sparse:\n{output[-3000:]}"
    assert "CHECK" in output, f"sparse did not run (no CHECK lines):\n{output[-2000:]}"
    found = ours(output, src)
    assert not found, f"{len(found)} warning(s) in the module's sources:\n" + "\n".join(found[:40])
