/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which ChaCha20 implementation the bundled crypto runs, and the FPU
 * section around it. One list for every architecture: the portable C code
 * first, then each architecture's implementations (x86_64, arm64). Within
 * one architecture a higher number needs more of the CPU; an entry of
 * another architecture is never supported (wgc_simd_supported() is false),
 * so counting down from the last entry, or from a cap of the CPU's own
 * architecture, to the first supported one finds the best the CPU runs.
 * chacha20.c asks wgc_simd_active() on every call and brackets each
 * vector chunk with wgc_simd_begin()/wgc_simd_end().
 *
 * Provided by simd_kernel.c in the module (CPU features, the kernel's
 * FPU API as compat.h found it, and the crypto_simd module parameter) and
 * by tests/crypto/shim/simd.c in userspace (__builtin_cpu_supports or
 * getauxval, and a switch the tests turn).
 *
 * Locking: the active implementation is one word, read with READ_ONCE;
 * wgc_simd_force() is for self-tests, which run before any traffic.
 */
#ifndef WGC_CRYPTO_SIMD_H
#define WGC_CRYPTO_SIMD_H

#include <linux/types.h>

enum wgc_simd_impl {
	WGC_SIMD_PORTABLE,	/* chacha20.c, any CPU */
	/* x86_64 */
	WGC_SIMD_SSSE3,		/* chacha20_ssse3.c: 4 blocks in xmm */
	WGC_SIMD_AVX2,		/* chacha20_avx2.c: 8 blocks in ymm */
	WGC_SIMD_AVX512,	/* chacha20_avx512.c: 16 blocks in zmm */
	/* arm64 */
	WGC_SIMD_NEON,		/* chacha20_neon.c: 4 blocks in q registers */
	WGC_SIMD_COUNT
};

/* "portable", "ssse3", "avx2", "avx512", "neon"; NULL past the end. */
const char *wgc_simd_name(unsigned int impl);

/* The implementation that runs now (resolved on first use). */
unsigned int wgc_simd_active(void);

/*
 * Whether this CPU (and kernel) can run impl; false for another
 * architecture's.
 */
bool wgc_simd_supported(unsigned int impl);

/*
 * Runs impl from now on; false (and nothing changes) when it is not
 * supported. For self-tests and userspace tests.
 */
bool wgc_simd_force(unsigned int impl);

/*
 * A vector section: false when the FPU may not be used in this context
 * (the caller then runs the portable code). Keep each section short (at
 * most WGC_SIMD_CHUNK bytes of work): preemption is off inside.
 */
bool wgc_simd_begin(void);
void wgc_simd_end(void);

#define WGC_SIMD_CHUNK 4096

/*
 * The vector ChaCha20 of each file: XORs len bytes of keystream (from
 * block state[12] on) into dst, advancing state[12]. When len is not a
 * multiple of 64 the whole keystream of the last, partial block is left
 * in tail, for the next call to use.
 */
void wgc_chacha20_xor_ssse3(u32 state[16], u8 *dst, const u8 *src,
			    size_t len, u8 tail[64]);
void wgc_chacha20_xor_avx2(u32 state[16], u8 *dst, const u8 *src,
			   size_t len, u8 tail[64]);
void wgc_chacha20_xor_avx512(u32 state[16], u8 *dst, const u8 *src,
			     size_t len, u8 tail[64]);
void wgc_chacha20_xor_neon(u32 state[16], u8 *dst, const u8 *src,
			   size_t len, u8 tail[64]);

#endif /* WGC_CRYPTO_SIMD_H */
