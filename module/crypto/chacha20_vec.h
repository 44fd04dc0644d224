/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ChaCha20 on WGC_VW blocks at once (4, 8 or 16), in GCC vector types: no
 * intrinsics header, so it builds with the kernel's -nostdinc. Included by
 * chacha20_ssse3.c, chacha20_avx2.c and chacha20_avx512.c (x86_64), once
 * per width, and by chacha20_neon.c (arm64, width 4), each file compiled
 * for its instruction set (bundled.mk); the compiler picks the
 * instructions, but for two rotations on arm64 (one inline instruction,
 * below). Functions are suffixed with the width.
 *
 * Layout: x[i] holds word i of WGC_VW consecutive blocks (block j in
 * element j), so a round is the scalar round on whole vectors. The output
 * step transposes 4x4 words inside each 128-bit lane, then regroups lanes
 * so that every store writes contiguous keystream.
 *
 * No branch or memory index depends on the key or the data.
 * Locking: none; the caller owns state and the buffers, and has begun a
 * vector section (simd.h).
 */

#include "internal.h"
#include "simd.h"

#if WGC_VW != 4 && WGC_VW != 8 && WGC_VW != 16
#error "chacha20_vec.h: define WGC_VW to 4, 8 or 16"
#endif

#define WGC_VCAT2(a, b) a##b
#define WGC_VCAT(a, b) WGC_VCAT2(a, b)
#define WGC_VN(name) WGC_VCAT(name, WGC_VW)

#define WGC_VT WGC_VN(wgc_vu32x)	/* word vector */
#define WGC_VBT WGC_VN(wgc_vu8x)	/* the same bytes */
#define WGC_VUT WGC_VN(wgc_vmem)	/* unaligned memory of that size */

#ifdef __CHECKER__
/*
 * sparse has no vector types (it reads vector_size as a plain u32): it
 * checks these files with each vector as one word and each shuffle as its
 * first operand.
 */
#define WGC_VINIT(...) 0
#define WGC_VSPLAT(w) ((WGC_VT)(w))
#define WGC_VSHUF(a, ...) (a)
#else
#define WGC_VINIT(...) { __VA_ARGS__ }
#define WGC_VSPLAT(w) ((WGC_VT){ 0 } + (w))
#define WGC_VSHUF(...) __builtin_shuffle(__VA_ARGS__)
#endif

typedef u32 WGC_VT __attribute__((vector_size(4 * WGC_VW)));
typedef u8 WGC_VBT __attribute__((vector_size(4 * WGC_VW)));
typedef u32 WGC_VUT __attribute__((vector_size(4 * WGC_VW), aligned(1),
				   __may_alias__));

/* the four indexes of a 128-bit lane that starts at element b */
#define WGC_VL(b) (b), (b) + 1, (b) + 2, (b) + 3
/* byte rotations of each word: by 16 and by 8 bits to the left */
#define WGC_VR16(o) (o) + 2, (o) + 3, (o), (o) + 1
#define WGC_VR8(o) (o) + 3, (o), (o) + 1, (o) + 2
#define WGC_VX4(m, o) m(o), m((o) + 4), m((o) + 8), m((o) + 12)
/* within each lane: unpack low/high words, low/high 64-bit halves */
#define WGC_VULO(b) (b), WGC_VW + (b), (b) + 1, WGC_VW + (b) + 1
#define WGC_VUHI(b) (b) + 2, WGC_VW + (b) + 2, (b) + 3, WGC_VW + (b) + 3
#define WGC_VQLO(b) (b), (b) + 1, WGC_VW + (b), WGC_VW + (b) + 1
#define WGC_VQHI(b) (b) + 2, (b) + 3, WGC_VW + (b) + 2, WGC_VW + (b) + 3

#if WGC_VW == 4
#define WGC_VLANES(m) m(0)
#define WGC_VBYTES(m) WGC_VX4(m, 0)
#define WGC_VCTR WGC_VINIT(0, 1, 2, 3)
#elif WGC_VW == 8
#define WGC_VLANES(m) m(0), m(4)
#define WGC_VBYTES(m) WGC_VX4(m, 0), WGC_VX4(m, 16)
#define WGC_VCTR WGC_VINIT(0, 1, 2, 3, 4, 5, 6, 7)
#else
#define WGC_VLANES(m) m(0), m(4), m(8), m(12)
#define WGC_VBYTES(m) WGC_VX4(m, 0), WGC_VX4(m, 16), WGC_VX4(m, 32), \
		      WGC_VX4(m, 48)
#define WGC_VCTR WGC_VINIT(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, \
				 13, 14, 15)
#endif

#define WGC_VROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#ifdef __AVX512VL__
/* one rotate instruction (vprold) for every distance */
#define WGC_VROT16(v) WGC_VROTL(v, 16)
#define WGC_VROT8(v) WGC_VROTL(v, 8)
#else
/*
 * a byte shuffle beats two shifts and an or: pshufb on x86; on arm64 rev32
 * (16) and tbl (8)
 */
#define WGC_VROT16(v) ((WGC_VT)WGC_VSHUF((WGC_VBT)(v), \
			(WGC_VBT)WGC_VINIT(WGC_VBYTES(WGC_VR16))))
#define WGC_VROT8(v) ((WGC_VT)WGC_VSHUF((WGC_VBT)(v), \
			(WGC_VBT)WGC_VINIT(WGC_VBYTES(WGC_VR8))))
#endif

#if defined(__aarch64__) && WGC_VW == 4 && !defined(__CHECKER__)
/*
 * arm64: shl, then sri (shift right and insert) fills in the low bits: two
 * instructions where GCC emits shl, ushr and orr for the rotate.
 */
#define WGC_VROTSRI(v, n) ({						\
		WGC_VT __v = (v), __r = __v << (n);			\
		asm("sri %0.4s, %1.4s, %2"				\
		    : "+w" (__r) : "w" (__v), "i" (32 - (n)));		\
		__r;							\
	})
#define WGC_VROT12(v) WGC_VROTSRI(v, 12)
#define WGC_VROT7(v) WGC_VROTSRI(v, 7)
#else
#define WGC_VROT12(v) WGC_VROTL(v, 12)
#define WGC_VROT7(v) WGC_VROTL(v, 7)
#endif

/*
 * arm64: GCC keeps the short loops over the 16 words as loops through the
 * stack unless told to unroll them (a fifth more instructions per block).
 * x86 is left as it was: no change measured there.
 */
#if defined(__aarch64__) && __GNUC__ >= 8 && !defined(__CHECKER__)
#define WGC_VUNROLL _Pragma("GCC unroll 16")
#else
#define WGC_VUNROLL
#endif

#define WGC_VQR(x, a, b, c, d) do {					\
		x[a] += x[b]; x[d] ^= x[a]; x[d] = WGC_VROT16(x[d]);	\
		x[c] += x[d]; x[b] ^= x[c]; x[b] = WGC_VROT12(x[b]);	\
		x[a] += x[b]; x[d] ^= x[a]; x[d] = WGC_VROT8(x[d]);	\
		x[c] += x[d]; x[b] ^= x[c]; x[b] = WGC_VROT7(x[b]);	\
	} while (0)

/* The keystream words of blocks state[12] .. state[12] + WGC_VW - 1. */
static __always_inline void WGC_VN(wgc_vkeystream)(const u32 state[16],
						   WGC_VT x[16])
{
	const WGC_VT ctr = WGC_VCTR;
	WGC_VT x12;
	int i;

	WGC_VUNROLL
	for (i = 0; i < 16; i++)
		x[i] = WGC_VSPLAT(state[i]);
	x[12] += ctr;
	x12 = x[12];
	for (i = 0; i < 10; i++) {
		WGC_VQR(x, 0, 4, 8, 12);
		WGC_VQR(x, 1, 5, 9, 13);
		WGC_VQR(x, 2, 6, 10, 14);
		WGC_VQR(x, 3, 7, 11, 15);
		WGC_VQR(x, 0, 5, 10, 15);
		WGC_VQR(x, 1, 6, 11, 12);
		WGC_VQR(x, 2, 7, 8, 13);
		WGC_VQR(x, 3, 4, 9, 14);
	}
	WGC_VUNROLL
	for (i = 0; i < 16; i++)
		x[i] += i == 12 ? x12 : WGC_VSPLAT(state[i]);
}

/* dst = src ^ v (or v when src is NULL), off bytes in */
static __always_inline void WGC_VN(wgc_vstore)(u8 *dst, const u8 *src,
					       size_t off, WGC_VT v)
{
	if (src)
		v ^= *(const WGC_VUT *)(src + off);
	*(WGC_VUT *)(dst + off) = v;
}

/*
 * Words 4g..4g+3 of x in, r[k] out: lane l of r[k] holds those four words
 * of block 4l + k.
 */
static __always_inline void WGC_VN(wgc_vtranspose4)(const WGC_VT *x,
						    WGC_VT r[4])
{
	const WGC_VT ulo = WGC_VINIT(WGC_VLANES(WGC_VULO));
	const WGC_VT uhi = WGC_VINIT(WGC_VLANES(WGC_VUHI));
	const WGC_VT qlo = WGC_VINIT(WGC_VLANES(WGC_VQLO));
	const WGC_VT qhi = WGC_VINIT(WGC_VLANES(WGC_VQHI));
	WGC_VT t0 = WGC_VSHUF(x[0], x[1], ulo);
	WGC_VT t1 = WGC_VSHUF(x[0], x[1], uhi);
	WGC_VT t2 = WGC_VSHUF(x[2], x[3], ulo);
	WGC_VT t3 = WGC_VSHUF(x[2], x[3], uhi);

	r[0] = WGC_VSHUF(t0, t2, qlo);
	r[1] = WGC_VSHUF(t0, t2, qhi);
	r[2] = WGC_VSHUF(t1, t3, qlo);
	r[3] = WGC_VSHUF(t1, t3, qhi);
}

/* The WGC_VW blocks of x, in order, XORed into dst (64 * WGC_VW bytes). */
static __always_inline void WGC_VN(wgc_vout)(const WGC_VT x[16], u8 *dst,
					     const u8 *src)
{
	WGC_VT r[4][4];
	int g, k;

	WGC_VUNROLL
	for (g = 0; g < 4; g++)
		WGC_VN(wgc_vtranspose4)(x + 4 * g, r[g]);
#if WGC_VW == 4
	WGC_VUNROLL
	for (k = 0; k < 4; k++) {
		WGC_VUNROLL
		for (g = 0; g < 4; g++)
			WGC_VN(wgc_vstore)(dst, src, 64 * k + 16 * g, r[g][k]);
	}
#elif WGC_VW == 8
	{
		const WGC_VT lo = WGC_VINIT(WGC_VL(0), WGC_VL(8));
		const WGC_VT hi = WGC_VINIT(WGC_VL(4), WGC_VL(12));

		for (k = 0; k < 4; k++) {
			for (g = 0; g < 4; g += 2) {
				WGC_VN(wgc_vstore)(dst, src, 64 * k + 16 * g,
					WGC_VSHUF(r[g][k], r[g + 1][k],
							  lo));
				WGC_VN(wgc_vstore)(dst, src,
					64 * (k + 4) + 16 * g,
					WGC_VSHUF(r[g][k], r[g + 1][k],
							  hi));
			}
		}
	}
#else
	{
		/* a 4x4 transpose of lanes across r[0..3][k] */
		const WGC_VT p_even = WGC_VINIT(WGC_VL(0), WGC_VL(16), WGC_VL(8),
					WGC_VL(24));
		const WGC_VT p_odd = WGC_VINIT(WGC_VL(4), WGC_VL(20), WGC_VL(12),
				       WGC_VL(28));
		const WGC_VT q_lo = WGC_VINIT(WGC_VL(0), WGC_VL(4), WGC_VL(16),
				      WGC_VL(20));
		const WGC_VT q_hi = WGC_VINIT(WGC_VL(8), WGC_VL(12), WGC_VL(24),
				      WGC_VL(28));
		WGC_VT p0, p1, p2, p3;

		for (k = 0; k < 4; k++) {
			p0 = WGC_VSHUF(r[0][k], r[1][k], p_even);
			p1 = WGC_VSHUF(r[0][k], r[1][k], p_odd);
			p2 = WGC_VSHUF(r[2][k], r[3][k], p_even);
			p3 = WGC_VSHUF(r[2][k], r[3][k], p_odd);
			WGC_VN(wgc_vstore)(dst, src, 64 * k,
					   WGC_VSHUF(p0, p2, q_lo));
			WGC_VN(wgc_vstore)(dst, src, 64 * (k + 8),
					   WGC_VSHUF(p0, p2, q_hi));
			WGC_VN(wgc_vstore)(dst, src, 64 * (k + 4),
					   WGC_VSHUF(p1, p3, q_lo));
			WGC_VN(wgc_vstore)(dst, src, 64 * (k + 12),
					   WGC_VSHUF(p1, p3, q_hi));
		}
	}
#endif
}

/*
 * XORs whole groups of WGC_VW blocks while len allows; returns the bytes
 * done. state[12] moves on by the blocks done.
 */
static size_t __maybe_unused WGC_VN(wgc_vgroups)(u32 state[16], u8 *dst,
						 const u8 *src, size_t len)
{
	WGC_VT x[16];
	size_t done = 0;

	if (len < 64 * WGC_VW)
		return 0;
	while (len - done >= 64 * WGC_VW) {
		WGC_VN(wgc_vkeystream)(state, x);
		WGC_VN(wgc_vout)(x, dst + done, src + done);
		state[12] += WGC_VW;
		done += 64 * WGC_VW;
	}
	memzero_explicit(x, sizeof(x));
	return done;
}

/* The keystream of the next WGC_VW blocks into buf; state[12] unchanged. */
static void __maybe_unused WGC_VN(wgc_vstream)(const u32 state[16], u8 *buf)
{
	WGC_VT x[16];

	WGC_VN(wgc_vkeystream)(state, x);
	WGC_VN(wgc_vout)(x, buf, NULL);
	memzero_explicit(x, sizeof(x));
}

#if WGC_VW == 4
/*
 * The last len bytes (fewer than 256) from one 4-block keystream. When
 * len is not a multiple of 64, the keystream of the partial block goes to
 * tail for the next call.
 */
static void wgc_vtail4(u32 state[16], u8 *dst, const u8 *src, size_t len,
		       u8 tail[64])
{
	u8 ks[256];
	size_t i;

	if (!len)
		return;
	wgc_vstream4(state, ks);
	for (i = 0; i + 16 <= len; i += 16)
		wgc_vstore4(dst, src, i, *(const WGC_VUT *)(ks + i));
	for (; i < len; i++)
		dst[i] = src[i] ^ ks[i];
	if (len % 64)
		memcpy(tail, ks + (len & ~(size_t)63), 64);
	state[12] += (len + 63) / 64;
	memzero_explicit(ks, sizeof(ks));
}
#endif

#undef WGC_VT
#undef WGC_VBT
#undef WGC_VUT
#undef WGC_VLANES
#undef WGC_VBYTES
#undef WGC_VCTR
#undef WGC_VINIT
#undef WGC_VSPLAT
#undef WGC_VSHUF
#undef WGC_VROT16
#undef WGC_VROT8
#undef WGC_VROT12
#undef WGC_VROT7
#undef WGC_VROTSRI
#undef WGC_VUNROLL
