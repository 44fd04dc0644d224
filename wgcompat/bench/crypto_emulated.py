"""The bundled ChaCha20(-Poly1305) built for another architecture, timed under qemu-user.

`invoke bench-crypto --arch arm64`: the same sources as the module, cross-compiled with the
kernel's flags for that architecture (arm64: -mgeneral-regs-only, removed for the NEON file,
as module/crypto/bundled.mk does), linked into one static program with a timing loop and run
under QEMU's user-mode emulator. Every ChaCha20 implementation the emulated CPU runs is
timed at each size, the implementations alternating run by run; each keeps its best run.

Those times are QEMU's: TCG translates each arm64 instruction into host code, so they say
how much work the emulator did, not how fast an arm64 CPU is (instruction latencies, issue
width and the cost of NEON against scalar instructions are the host's, not an arm64 core's).
The table therefore reports each implementation relative to the portable code of the same
run, and says so. There is no reference here: the libsodium the x86_64 benchmark compares
against is the host's.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wgcompat.arch import Arch
from wgcompat.bench.crypto import (CRYPTO_DIR, SHIM_DIR, SIZES, WARNING_CFLAGS, general_regs_cflags,
                                   run_compiler, userspace_defines, userspace_sources)
from wgcompat.errors import UserError

_HARNESS_C = r"""
/*
 * Timing loop for the bundled crypto of another architecture: argv[1] runs
 * of each (primitive, size, implementation), the implementations taking
 * turns; prints "primitive name size seconds-per-call", each its best run.
 * "count IMPL PRIM SIZE CALLS" makes CALLS calls and nothing else, for the
 * emulator to count the instructions they execute.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

void wgc_chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 *key);
void wgc_shim_chacha20(u8 *dst, const u8 *src, size_t len, const u8 key[32],
		       const u8 nonce[12], u32 counter);
const char *wgc_simd_name(unsigned int impl);
_Bool wgc_simd_supported(unsigned int impl);
_Bool wgc_simd_force(unsigned int impl);

#define MAX_IMPLS 16

static const u8 key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const size_t sizes[] = { WGCB_SIZES };

static void aead(u8 *out, const u8 *in, size_t len)
{
	wgc_chacha20poly1305_encrypt(out, in, len, NULL, 0, 7, key);
}

static void chacha20(u8 *out, const u8 *in, size_t len)
{
	static const u8 nonce[12] = { 0, 0, 0, 0, 7 };

	wgc_shim_chacha20(out, in, len, key, nonce, 1);
}

static const struct {
	const char *name;
	void (*fn)(u8 *out, const u8 *in, size_t len);
} prims[] = { { "chacha20poly1305", aead }, { "chacha20", chacha20 } };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static u8 in[65536 + 64], out[65536 + 64];
	unsigned int impls[MAX_IMPLS], n = 0, i, s, p;
	int repeat = argc > 1 ? atoi(argv[1]) : 1, r;

	for (i = 0; i < sizeof(in); i++)
		in[i] = i * 7 + 3;
	if (argc == 6) {
		long calls = atol(argv[5]), k;

		wgc_simd_force(atoi(argv[2]));
		for (k = 0; k < calls; k++)
			prims[atoi(argv[3])].fn(out, in, atol(argv[4]));
		return 0;
	}
	for (i = 0; wgc_simd_name(i) && n < MAX_IMPLS; i++)
		if (wgc_simd_supported(i))
			impls[n++] = i;
	for (p = 0; p < sizeof(prims) / sizeof(prims[0]); p++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double best[MAX_IMPLS], t;
			long iters = 262144 / sizes[s], k;

			iters = iters > 4 ? iters : 4;
			for (i = 0; i < n; i++)
				best[i] = 1e30;
			for (r = 0; r < repeat; r++) {
				for (i = 0; i < n; i++) {
					wgc_simd_force(impls[i]);
					t = now();
					for (k = 0; k < iters; k++) {
						prims[p].fn(out, in, sizes[s]);
						in[0] ^= out[0];
					}
					t = (now() - t) / iters;
					best[i] = t < best[i] ? t : best[i];
				}
			}
			for (i = 0; i < n; i++)
				printf("%s %u %s %zu %.9g\n", prims[p].name, impls[i],
				       wgc_simd_name(impls[i]), sizes[s], best[i]);
		}
	}
	return 0;
}
"""


_PRIMITIVES = {"chacha20poly1305": "ChaCha20-Poly1305 encrypt", "chacha20": "ChaCha20"}


@dataclass(frozen=True)
class EmulatedRow:
    """One primitive under one implementation at one size: what the emulator counted and
    how long it took, each also relative to the portable code's at the same size."""

    primitive: str       # "ChaCha20-Poly1305 encrypt" or "ChaCha20"
    implementation: str
    size: int
    insns_per_byte: float  # instructions of the target executed, per byte
    insns_vs_portable: float
    ns_per_byte: float     # emulated nanoseconds per byte
    time_vs_portable: float


def build_program(output: Path, arch: Arch) -> Path:
    """The bundled crypto, the userspace shim and the timing loop as one static program for
    arch, with the kernel's flags for that architecture."""
    arch.check_compiler()
    objdir = output.parent / (output.name + ".objs")
    objdir.mkdir(parents=True, exist_ok=True)
    harness = output.parent / "bench_emulated.c"
    harness.write_text(_HARNESS_C)
    cflags = ("-O2", *general_regs_cflags(arch.uname), "-fno-strict-aliasing")
    sizes = ",".join(str(s) for s in SIZES)
    objects: list[str] = []
    for src, flags in [*userspace_sources(cflags, machine=arch.uname), (harness, ["-O2", f"-DWGCB_SIZES={sizes}"])]:
        obj = objdir / (src.parent.name + "-" + src.stem + ".o")
        run_compiler([arch.gcc, "-std=gnu11", *WARNING_CFLAGS, *flags,
                      *userspace_defines(machine=arch.uname), f"-I{SHIM_DIR}", f"-I{CRYPTO_DIR}",
                      "-c", str(src), "-o", str(obj)])
        objects.append(str(obj))
    run_compiler([arch.gcc, "-static", "-o", str(output), *objects])
    return output


def _count(arch: Arch, program: Path, *args: str) -> int:
    """Instructions the target executes in `program count ...`: QEMU runs one instruction
    per translation block (-singlestep) and logs each block it executes (-d exec, nochain)."""
    cmd = [arch.qemu_user, "-singlestep", "-d", "exec,nochain", "-D", "/dev/stdout",
           str(program), "count", *args]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        count = sum(1 for line in proc.stdout if line.startswith(b"Trace "))
    if proc.returncode != 0 or count == 0:
        raise UserError(f"counting instructions under {arch.qemu_user} failed (exit "
                        f"{proc.returncode}, {count} blocks logged): {' '.join(cmd)}",
                        "run the command by hand to see why")
    return count


def _qemu(arch: Arch, program: Path, *args: str) -> str:
    try:
        proc = subprocess.run([arch.qemu_user, str(program), *args],
                              capture_output=True, text=True, timeout=3600, check=False)
    except FileNotFoundError as exc:
        raise UserError(f"the {arch.name} benchmark runs under {arch.qemu_user}, which this "
                        "machine lacks", "apt-get install qemu-user (./wgc installs it)") from exc
    if proc.returncode != 0:
        raise UserError(f"the {arch.name} benchmark failed under {arch.qemu_user} "
                        f"(exit {proc.returncode}): {proc.stderr.strip()}",
                        "run the program by hand under qemu-user to see why")
    return proc.stdout


def run(arch: Arch, repeat: int) -> list[EmulatedRow]:
    """Every implementation the emulated CPU runs at each size: timed (best of repeat), and
    one call's instructions counted; each relative to portable."""
    with tempfile.TemporaryDirectory(prefix="wgc-bench-emulated-") as tmp:
        program = build_program(Path(tmp) / "bench", arch)
        times: dict[tuple[str, str, int], tuple[int, int, float]] = {}
        for line in _qemu(arch, program, str(repeat)).splitlines():
            prim, impl, name, size, seconds = line.split()
            times[(prim, name, int(size))] = (int(impl), list(_PRIMITIVES).index(prim), float(seconds))
        startup = _count(arch, program, "0", "0", "0", "0")
        insns = {key: _count(arch, program, str(impl), str(prim), str(key[2]), "1") - startup
                 for key, (impl, prim, _) in times.items()}
    rows = []
    for (prim, name, size), (_, _, seconds) in times.items():
        base_insns, base_seconds = insns[(prim, "portable", size)], times[(prim, "portable", size)][2]
        n = insns[(prim, name, size)]
        rows.append(EmulatedRow(_PRIMITIVES[prim], name, size, n / size, n / base_insns,
                                seconds * 1e9 / size, seconds / base_seconds))
    return rows


def format_table(rows: list[EmulatedRow]) -> str:
    head = (f"{'primitive':<26} {'impl':<9} {'size':>6} {'insns/B':>8} {'vs portable':>11}   "
            f"{'QEMU ns/B':>9} {'vs portable':>11}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.primitive:<26} {r.implementation:<9} {r.size:>6} {r.insns_per_byte:>8.2f} "
                     f"{r.insns_vs_portable:>10.2f}x   {r.ns_per_byte:>9.2f} {r.time_vs_portable:>10.2f}x")
    return "\n".join(lines)


def header(arch: Arch, repeat: int) -> str:
    return (f"Bundled ChaCha20-Poly1305 and ChaCha20 built for {arch.name} (flags: -O2 "
            f"{' '.join(general_regs_cflags(arch.uname))}, removed for the vector file), run under "
            f"{arch.qemu_user}. EMULATED, relative figures only, neither of them an {arch.name} "
            "CPU's speed:\n"
            f"  insns/B: {arch.name} instructions one call executes, per byte (counted by QEMU, "
            "exact): the work each implementation does, not weighted by what each instruction "
            "costs a core;\n"
            f"  QEMU ns/B: best of {repeat} timed runs under TCG, which translates each instruction "
            "into host code: what the emulator spends, which favours scalar code (many vector "
            "instructions become calls into QEMU's helpers).")
