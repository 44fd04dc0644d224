"""No secret-dependent branch or memory index in the bundled crypto.

tests/crypto/ct/ctcheck.c marks keys, scalars and plaintexts as undefined
memory and runs X25519, ChaCha20-Poly1305 (linear and the split core the
scatterlist path uses), XChaCha20-Poly1305, BLAKE2s and the tag comparison
under valgrind memcheck, which reports any conditional jump, conditional move
or address computed from undefined data. Built with the kernel-like flags of
the benchmark, for both arithmetic back ends. Skipped when valgrind (and its
memcheck.h) is not installed: apt-get install valgrind.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wgcompat.bench.crypto import (CRYPTO_DIR, KERNEL_LIKE_CFLAGS, SHIM_DIR,
                                   USERSPACE_SOURCES, WARNING_CFLAGS)

CTCHECK = Path(__file__).parent / "ct" / "ctcheck.c"


@pytest.fixture(scope="module")
def valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None or not Path("/usr/include/valgrind/memcheck.h").exists():
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
    return path


@pytest.mark.parametrize("defines", [[], ["-DWGC_CRYPTO_NO_INT128"]],
                         ids=["int128", "portable"])
def test_no_secret_dependent_branches_or_indexes(valgrind, defines, tmp_path):
    exe = tmp_path / "ctcheck"
    sources = [str(CRYPTO_DIR / s) for s in USERSPACE_SOURCES]
    sources += [str(SHIM_DIR / "shim.c"), str(CTCHECK)]
    subprocess.run(["gcc", "-std=gnu11", "-g", *WARNING_CFLAGS, *KERNEL_LIKE_CFLAGS,
                    *defines, f"-I{SHIM_DIR}", f"-I{CRYPTO_DIR}", *sources, "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    proc = subprocess.run([valgrind, "--error-exitcode=99", "--quiet", str(exe)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert proc.stdout.strip() == "ctcheck: done"
