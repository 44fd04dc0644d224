"""No secret-dependent branch or memory index in the bundled crypto.

tests/crypto/ct/ctcheck.c marks keys, scalars and plaintexts as undefined
memory and runs X25519, ChaCha20-Poly1305 (linear and the split core the
scatterlist path uses), XChaCha20-Poly1305, BLAKE2s and the tag comparison
under valgrind memcheck, which reports any conditional jump, conditional move
or address computed from undefined data. Built with the kernel-like flags of
the benchmark (the vector ChaCha20 files with their instruction sets, as in
the module), for both arithmetic back ends, and run once per ChaCha20
implementation (WGC_SHIM_SIMD). valgrind's virtual CPU offers SSSE3 and AVX2
but not AVX-512, so the avx512 run is skipped under it, saying so. Skipped
when valgrind (and its memcheck.h) is not installed: apt-get install valgrind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wgcompat.bench.crypto import (CRYPTO_DIR, KERNEL_LIKE_CFLAGS, SHIM_DIR, WARNING_CFLAGS,
                                   has_x86_simd, userspace_defines, userspace_sources)

CTCHECK = Path(__file__).parent / "ct" / "ctcheck.c"


@pytest.fixture(scope="module")
def valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None or not Path("/usr/include/valgrind/memcheck.h").exists():
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
    return path


IMPLS = ["portable", "ssse3", "avx2", "avx512"] if has_x86_simd() else ["portable"]


def _build(defines: tuple[str, ...], exe: Path) -> None:
    objects = []
    jobs = userspace_sources(("-g", *KERNEL_LIKE_CFLAGS)) + [(CTCHECK, ["-g", *KERNEL_LIKE_CFLAGS])]
    for i, (src, flags) in enumerate(jobs):
        obj = exe.with_name(f"{i}-{src.stem}.o")
        subprocess.run(["gcc", "-std=gnu11", *WARNING_CFLAGS, *flags, *userspace_defines(defines),
                        f"-I{SHIM_DIR}", f"-I{CRYPTO_DIR}", "-c", str(src), "-o", str(obj)],
                       check=True, capture_output=True, text=True)
        objects.append(str(obj))
    subprocess.run(["gcc", *objects, "-o", str(exe)], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module", params=[(), ("WGC_CRYPTO_NO_INT128",)], ids=["int128", "radix26"])
def ctcheck(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("ctcheck") / "ctcheck"
    _build(request.param, exe)
    return exe


@pytest.mark.parametrize("impl", IMPLS)
def test_no_secret_dependent_branches_or_indexes(valgrind, ctcheck, impl):
    proc = subprocess.run([valgrind, "--error-exitcode=99", "--quiet", str(ctcheck)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "WGC_SHIM_SIMD": impl})
    assert proc.returncode == 0, proc.stderr[-6000:]
    ran = proc.stdout.strip()
    if impl == "avx512" and ran != "ctcheck: done (avx512)":
        pytest.skip(f"valgrind's virtual CPU has no AVX-512 ({ran!r}); the avx512 file is the "
                    "same vector source as avx2 at a wider width")
    assert ran == f"ctcheck: done ({impl})"
