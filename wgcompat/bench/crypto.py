"""Build the bundled crypto for userspace, and benchmark it against libsodium.

Two things live here because both the unit tests (tests/crypto) and the
benchmark (`invoke bench-crypto`) need them:

* `build_shared_library()` compiles module/crypto/*.c (all but the kernel-only
  scatterlist and selftest files) together with the userspace shim in
  tests/crypto/shim into a shared library for ctypes.
* `run()` / `main()` time our implementation and libsodium (the `_sodium`
  library that ships inside pynacl) in the same C loop, so both sides pay the
  same per-call overhead: one indirect call through an adapter of identical
  signature, timed with clock_gettime. Ours and the reference alternate run
  by run; each keeps its best of `repeat` runs. ChaCha20-Poly1305 gets one
  row per ChaCha20 implementation this CPU runs (module/crypto/simd.h:
  portable, ssse3, avx2, avx512), each forced in turn, so the table shows
  them side by side with libsodium from one run.

libsodium has no BLAKE2s, only BLAKE2b (`crypto_generichash`). The BLAKE2s
rows therefore compare against libsodium's BLAKE2b (a different, 64-bit
oriented function: the figure the issue asks for) and, as a same-algorithm
reference, against OpenSSL's BLAKE2s-256 (libcrypto), when it is installed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wgcompat import arch
from wgcompat.errors import UserError
from wgcompat.paths import REPO

CRYPTO_DIR = REPO / "module" / "crypto"
SHIM_DIR = REPO / "tests" / "crypto" / "shim"

# Everything in module/crypto that does not need the kernel.
USERSPACE_SOURCES = (
    "chacha20.c",
    "poly1305.c",
    "chacha20poly1305.c",
    "blake2s.c",
    "curve25519.c",
)


@dataclass(frozen=True)
class SimdBuild:
    """The vector ChaCha20 of one architecture, compiled as module/crypto/bundled.mk does."""

    sources: dict[str, tuple[str, ...]]  # file -> flags after the others (per-object CFLAGS_)
    removed: tuple[str, ...]             # flags those files drop (CFLAGS_REMOVE_)
    define: str                          # what chacha20.c and simd_kernel.c get (-D)
    # the kernel's flags for every other file that keep the vector registers out of it
    general_regs: tuple[str, ...]


# By `uname -m`. x86_64: each file's instruction set after the kernel's -mno-*, as the
# per-object CFLAGS come after KBUILD_CFLAGS in the kernel. aarch64: the kernel's
# -mgeneral-regs-only removed from the NEON file.
SIMD_BUILDS: dict[str, SimdBuild] = {
    "x86_64": SimdBuild(
        sources={"chacha20_ssse3.c": ("-mssse3",), "chacha20_avx2.c": ("-mavx2",),
                 "chacha20_avx512.c": ("-mavx512f", "-mavx512vl")},
        removed=(), define="WGC_CRYPTO_SIMD_X86",
        general_regs=("-mno-sse", "-mno-mmx", "-mno-sse2", "-mno-avx", "-mno-3dnow")),
    "aarch64": SimdBuild(
        sources={"chacha20_neon.c": ()}, removed=("-mgeneral-regs-only",),
        define="WGC_CRYPTO_SIMD_ARM64", general_regs=("-mgeneral-regs-only",)),
}
SHIM_SOURCES = ("shim.c", "simd.c")

# What the kernel's x86 build forbids (no FPU/SIMD registers in kernel code),
# so the benchmark measures the code the module really runs.
KERNEL_LIKE_CFLAGS = ("-O2", *SIMD_BUILDS["x86_64"].general_regs, "-fno-strict-aliasing")

WARNING_CFLAGS = ("-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror")


@dataclass(frozen=True)
class BuildRequest:
    """What to compile into one shared library."""

    output: Path
    defines: tuple[str, ...] = ()
    extra_sources: tuple[Path, ...] = ()
    cflags: tuple[str, ...] = ("-O2",)
    # Flags for extra_sources only (the bench harness needs the FPU).
    extra_cflags: tuple[str, ...] = ("-O2",)


@dataclass(frozen=True)
class BuildResult:
    library: Path


def _compiler() -> str:
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        raise UserError(
            f"The C compiler {cc!r} was not found on PATH; the bundled crypto "
            "is compiled for userspace to be tested and benchmarked.",
            "Install gcc (apt-get install gcc) or set CC to a working compiler.",
        )
    return cc


def run_compiler(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(
            f"Compiling the bundled crypto failed (exit {proc.returncode}):\n"
            f"{' '.join(cmd)}\n{proc.stderr.strip()}",
            "Fix the compiler error above in module/crypto or tests/crypto/shim; "
            "warnings are errors here as they are with W=1 in the module build.",
        )


def has_x86_simd() -> bool:
    """Whether this host builds the vector ChaCha20 for x86_64 (an x86_64 machine)."""
    return os.uname().machine == "x86_64"


def _simd_build(machine: str | None) -> SimdBuild | None:
    return SIMD_BUILDS.get(os.uname().machine if machine is None else machine)


def userspace_sources(cflags: tuple[str, ...],
                      machine: str | None = None) -> list[tuple[Path, list[str]]]:
    """Every C file of the userspace build with its flags: cflags, and for the vector
    files of the target those of bundled.mk (added after cflags, or removed from them).
    machine: the target's `uname -m` (None: the host's)."""
    simd = _simd_build(machine)
    jobs = [(CRYPTO_DIR / s, list(cflags)) for s in USERSPACE_SOURCES]
    if simd:
        kept = [f for f in cflags if f not in simd.removed]
        jobs += [(CRYPTO_DIR / s, [*kept, *isa]) for s, isa in simd.sources.items()]
    jobs += [(SHIM_DIR / s, list(cflags)) for s in SHIM_SOURCES]
    return jobs


def userspace_defines(defines: tuple[str, ...] = (), machine: str | None = None) -> list[str]:
    """-D flags of the userspace build: the caller's and the one that bundled.mk
    gives the kernel build of the target (machine: its `uname -m`, None: the host's)."""
    simd = _simd_build(machine)
    extra = (simd.define,) if simd else ()
    return [f"-D{d}" for d in (*defines, *extra)]


def general_regs_cflags(machine: str) -> tuple[str, ...]:
    """The kernel's flags that keep the vector registers out of code on machine."""
    simd = _simd_build(machine)
    return simd.general_regs if simd else ()


def build_shared_library(req: BuildRequest) -> BuildResult:
    """Compile the bundled crypto and the shim into req.output (a .so)."""
    cc = _compiler()
    req.output.parent.mkdir(parents=True, exist_ok=True)
    objdir = req.output.parent / (req.output.stem + ".objs")
    objdir.mkdir(exist_ok=True)
    defines = userspace_defines(req.defines)
    includes = [f"-I{SHIM_DIR}", f"-I{CRYPTO_DIR}"]
    objects: list[str] = []
    jobs = userspace_sources(req.cflags)
    jobs += [(src, list(req.extra_cflags)) for src in req.extra_sources]
    for src, flags in jobs:
        obj = objdir / (src.parent.name + "-" + src.stem + ".o")
        cmd = [cc, "-std=gnu11", "-fPIC", *WARNING_CFLAGS, *flags, *defines,
               *includes, "-c", str(src), "-o", str(obj)]
        run_compiler(cmd)
        objects.append(str(obj))
    link = [cc, "-shared", "-o", str(req.output), *objects, "-ldl"]
    run_compiler(link)
    return BuildResult(library=req.output)


# ---------------------------------------------------------------------------
# benchmark

_HARNESS_C = r"""
/* Timing loop for the bundled crypto against libsodium / OpenSSL. */
#include <dlfcn.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

typedef uint8_t u8;
typedef uint64_t u64;

int wgc_curve25519(u8 *out, const u8 *secret, const u8 *basepoint);
void wgc_chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 *key);
void wgc_blake2s(u8 *out, size_t outlen, const u8 *in, size_t inlen,
		 const u8 *key, size_t keylen);

/* one signature for every contender: buffers in, buffers out */
typedef void (*bench_fn)(u8 *out, const u8 *in, size_t len, const u8 *key);

static int (*na_init)(void);
static int (*na_scalarmult)(u8 *q, const u8 *n, const u8 *p);
static int (*na_aead)(u8 *c, unsigned long long *clen, const u8 *m,
		      unsigned long long mlen, const u8 *ad,
		      unsigned long long adlen, const u8 *nsec,
		      const u8 *npub, const u8 *k);
static int (*na_blake2b)(u8 *out, size_t outlen, const u8 *in,
			 unsigned long long inlen, const u8 *key,
			 size_t keylen);
static void *(*os_ctx_new)(void);
static const void *(*os_blake2s)(void);
static int (*os_init)(void *ctx, const void *md, void *engine);
static int (*os_update)(void *ctx, const void *d, size_t n);
static int (*os_final)(void *ctx, u8 *md, unsigned int *s);
static void *os_ctx;

int wgcb_load_sodium(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return -1;
	na_init = dlsym(h, "sodium_init");
	na_scalarmult = dlsym(h, "crypto_scalarmult_curve25519");
	na_aead = dlsym(h, "crypto_aead_chacha20poly1305_ietf_encrypt");
	na_blake2b = dlsym(h, "crypto_generichash_blake2b");
	if (!na_init || !na_scalarmult || !na_aead || !na_blake2b)
		return -2;
	return na_init() < 0 ? -3 : 0;
}

int wgcb_load_openssl(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return -1;
	os_ctx_new = dlsym(h, "EVP_MD_CTX_new");
	os_blake2s = dlsym(h, "EVP_blake2s256");
	os_init = dlsym(h, "EVP_DigestInit_ex");
	os_update = dlsym(h, "EVP_DigestUpdate");
	os_final = dlsym(h, "EVP_DigestFinal_ex");
	if (!os_ctx_new || !os_blake2s || !os_init || !os_update || !os_final)
		return -2;
	os_ctx = os_ctx_new();
	return os_ctx ? 0 : -3;
}

static void ours_x25519(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	wgc_curve25519(out, key, in);
}

static void sodium_x25519(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	na_scalarmult(out, key, in);
}

static void ours_aead(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	wgc_chacha20poly1305_encrypt(out, in, len, NULL, 0, 7, key);
}

static void sodium_aead(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	static const u8 npub[12] = { 0, 0, 0, 0, 7 };
	unsigned long long clen;

	na_aead(out, &clen, in, len, NULL, 0, NULL, npub, key);
}

static void ours_blake2s(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	wgc_blake2s(out, 32, in, len, NULL, 0);
}

static void sodium_blake2b(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	na_blake2b(out, 32, in, len, NULL, 0);
}

static void openssl_blake2s(u8 *out, const u8 *in, size_t len, const u8 *key)
{
	unsigned int n;

	os_init(os_ctx, os_blake2s(), NULL);
	os_update(os_ctx, in, len);
	os_final(os_ctx, out, &n);
}

static bench_fn wgcb_fns[] = {
	ours_x25519, sodium_x25519,
	ours_aead, sodium_aead,
	ours_blake2s, sodium_blake2b, openssl_blake2s,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Seconds per call of contender fn (index into wgcb_fns), best of repeat
 * runs of iters calls. out must hold len + 16 bytes (at least 32).
 */
double wgcb_time(int fn, u8 *out, u8 *in, size_t len, const u8 *key,
		 long iters, int repeat)
{
	volatile bench_fn f = wgcb_fns[fn];
	double best = 1e30, t;
	long i;
	int r;

	for (r = 0; r < repeat; r++) {
		t = now();
		for (i = 0; i < iters; i++) {
			f(out, in, len, key);
			/* chain the calls so none can be skipped */
			in[0] ^= out[0];
		}
		t = (now() - t) / iters;
		if (t < best)
			best = t;
	}
	return best;
}
"""

# indexes into wgcb_fns
_OURS_X25519, _NA_X25519, _OURS_AEAD, _NA_AEAD = 0, 1, 2, 3
_OURS_B2S, _NA_B2B, _OS_B2S = 4, 5, 6

SIZES = (64, 1420, 65536)
DEFAULT_REPEAT = 31


@dataclass(frozen=True)
class BenchRow:
    """One line of the table: ours against one reference, same loop, same run."""

    primitive: str        # "X25519", "ChaCha20-Poly1305 encrypt", "BLAKE2s"
    size: int | None      # message bytes; None for per-operation rows
    unit: str             # "us/op" or "ns/B"
    ours: float
    reference: float
    reference_name: str   # e.g. "libsodium", "libsodium BLAKE2b"
    implementation: str = ""  # ours: the ChaCha20 forced ("avx2", ...); "" if one only

    @property
    def ratio(self) -> float:
        """How many times slower ours is (below 1: faster)."""
        return self.ours / self.reference


def sodium_library() -> Path:
    """The libsodium that pynacl bundles (or links)."""
    try:
        import nacl  # noqa: PLC0415 - optional until the benchmark runs
    except ImportError as exc:
        raise UserError(
            "pynacl is not installed, and the benchmark compares against the "
            "libsodium inside it.",
            "Install it into the project venv: .venv/bin/pip install pynacl",
        ) from exc
    found = sorted(Path(nacl.__file__).parent.glob("_sodium*.so"))
    if found:
        return found[0]
    system = ctypes.util.find_library("sodium")
    if system:
        return Path(system)
    raise UserError(
        f"No libsodium shared library was found in {Path(nacl.__file__).parent} "
        "or on the system.",
        "Reinstall pynacl from a wheel (.venv/bin/pip install --force-reinstall "
        "pynacl) or install libsodium23.",
    )


def _openssl_library() -> str | None:
    return ctypes.util.find_library("crypto")


@dataclass
class _Harness:
    lib: ctypes.CDLL
    has_openssl: bool


def _load_harness(workdir: Path) -> _Harness:
    harness_c = workdir / "bench_harness.c"
    harness_c.write_text(_HARNESS_C)
    result = build_shared_library(BuildRequest(
        output=workdir / "libwgcbench.so",
        extra_sources=(harness_c,),
        cflags=KERNEL_LIKE_CFLAGS,
        extra_cflags=("-O2", "-Wno-pedantic"),
    ))
    lib = ctypes.CDLL(str(result.library))
    lib.wgc_simd_supported.restype = ctypes.c_bool
    lib.wgc_simd_supported.argtypes = [ctypes.c_uint]
    lib.wgc_simd_force.restype = ctypes.c_bool
    lib.wgc_simd_force.argtypes = [ctypes.c_uint]
    lib.wgc_simd_name.restype = ctypes.c_char_p
    lib.wgc_simd_name.argtypes = [ctypes.c_uint]
    lib.wgcb_time.restype = ctypes.c_double
    lib.wgcb_time.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                              ctypes.c_size_t, ctypes.c_char_p, ctypes.c_long,
                              ctypes.c_int]
    rc = lib.wgcb_load_sodium(str(sodium_library()).encode())
    if rc != 0:
        raise UserError(
            f"Loading libsodium from {sodium_library()} failed (code {rc}).",
            "Reinstall pynacl (.venv/bin/pip install --force-reinstall pynacl).",
        )
    ossl = _openssl_library()
    has_openssl = bool(ossl) and lib.wgcb_load_openssl(ossl.encode()) == 0
    return _Harness(lib=lib, has_openssl=has_openssl)


def _iters_for(size: int | None) -> int:
    """Calls per timed run: short runs (about a millisecond), so that on a
    loaded machine many of them fit in one scheduler time slice and the best
    run is an undisturbed one."""
    if size is None:
        return 20
    return max(4, (256 << 10) // size)


def _time_pair(h: _Harness, ours_fn: int, ref_fn: int, size: int | None,
               repeat: int) -> tuple[float, float]:
    """Seconds per call of ours and of the reference, best of `repeat`.

    The two alternate run by run, so a change in machine load during the
    benchmark affects both sides alike.
    """
    n = size or 32
    inp = ctypes.create_string_buffer(bytes((i * 7 + 3) & 0xFF for i in range(n)), n)
    out = ctypes.create_string_buffer(n + 32)
    key = ctypes.create_string_buffer(bytes(range(1, 33)), 32)
    iters = _iters_for(size)
    best_ours = best_ref = float("inf")
    for _ in range(repeat):
        best_ours = min(best_ours, h.lib.wgcb_time(ours_fn, out, inp, n, key, iters, 1))
        best_ref = min(best_ref, h.lib.wgcb_time(ref_fn, out, inp, n, key, iters, 1))
    return best_ours, best_ref


def _chacha20_impls(h: _Harness) -> list[tuple[int, str]]:
    """The ChaCha20 implementations this CPU runs, numbered as in simd.h."""
    impls: list[tuple[int, str]] = []
    while (name := h.lib.wgc_simd_name(len(impls))) is not None:
        impls.append((len(impls), name.decode()))
    return [(i, name) for i, name in impls if h.lib.wgc_simd_supported(i)]


def _aead_rows(h: _Harness, repeat: int) -> list[BenchRow]:
    """Each size under each implementation, against libsodium."""
    rows: list[BenchRow] = []
    impls = _chacha20_impls(h)
    for size in SIZES:
        for impl, name in impls:
            h.lib.wgc_simd_force(impl)
            ours, ref = _time_pair(h, _OURS_AEAD, _NA_AEAD, size, repeat)
            rows.append(BenchRow("ChaCha20-Poly1305 encrypt", size, "ns/B",
                                 ours * 1e9 / size, ref * 1e9 / size,
                                 "libsodium", name))
    h.lib.wgc_simd_force(impls[-1][0])
    return rows


def run(repeat: int = DEFAULT_REPEAT) -> list[BenchRow]:
    """Time every row: ours and the reference alternate within one run."""
    if repeat < 1:
        raise UserError(f"repeat must be at least 1, not {repeat}.",
                        "Pass a positive repeat count.")
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="wgc-bench-") as tmp:
        h = _load_harness(Path(tmp))
        ours, ref = _time_pair(h, _OURS_X25519, _NA_X25519, None, repeat)
        rows.append(BenchRow("X25519", None, "us/op", ours * 1e6, ref * 1e6,
                             "libsodium"))
        rows += _aead_rows(h, repeat)
        for size in SIZES:
            ours, ref = _time_pair(h, _OURS_B2S, _NA_B2B, size, repeat)
            rows.append(BenchRow("BLAKE2s-256", size, "ns/B", ours * 1e9 / size,
                                 ref * 1e9 / size, "libsodium BLAKE2b-256"))
            if h.has_openssl:
                ours, ref = _time_pair(h, _OURS_B2S, _OS_B2S, size, repeat)
                rows.append(BenchRow("BLAKE2s-256", size, "ns/B",
                                     ours * 1e9 / size, ref * 1e9 / size,
                                     "OpenSSL BLAKE2s-256"))
    return rows


def format_table(rows: list[BenchRow]) -> str:
    head = f"{'primitive':<26} {'impl':<9} {'size':>6} {'unit':>5} {'ours':>9} " \
           f"{'reference':>9}  {'ratio':>6}  reference"
    lines = [head, "-" * len(head)]
    for r in rows:
        size = "-" if r.size is None else str(r.size)
        lines.append(f"{r.primitive:<26} {r.implementation or '-':<9} {size:>6} {r.unit:>5} "
                     f"{r.ours:>9.3f} {r.reference:>9.3f}  {r.ratio:>5.2f}x  {r.reference_name}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; returns the exit status.

    argv is [--arch ARCH] [REPEAT] or empty; `python -m wgcompat.bench.crypto [REPEAT]` passes
    the command line, `invoke bench-crypto [--arch ARCH]` passes the architecture. With an
    architecture other than the host's, the bundled ChaCha20-Poly1305 is built for it and
    timed under qemu-user (wgcompat.bench.crypto_emulated): emulated, relative figures only.
    """
    args = list(argv or [])
    arch_name = None
    if args[:1] == ["--arch"]:
        if len(args) < 2:
            print("--arch needs an architecture", file=sys.stderr)
            return 2
        arch_name, args = args[1], args[2:]
    try:
        repeat = int(args[0]) if args else DEFAULT_REPEAT
        if repeat < 1:
            raise UserError(f"repeat must be at least 1, not {repeat}.",
                            "Pass a positive repeat count.")
        target = arch.get(arch_name)
        if not target.native:
            from wgcompat.bench import crypto_emulated  # noqa: PLC0415 - imports this module

            emulated = crypto_emulated.run(target, repeat)
            print(crypto_emulated.header(target, repeat))
            print(crypto_emulated.format_table(emulated))
            return 0
        rows = run(repeat)
    except ValueError:
        print(f"repeat must be an integer, not {args[0]!r}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("Bundled crypto (kernel-like flags: "
          f"{' '.join(KERNEL_LIKE_CFLAGS)}; the vector ChaCha20 files add their "
          f"instruction set) vs reference, best of {repeat}; ratio = ours / reference; "
          "ChaCha20-Poly1305 once per ChaCha20 implementation this CPU runs")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
