// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20 (RFC 8439 sections 2.1-2.4) and HChaCha20
 * (draft-irtf-cfrg-xchacha-03 section 2.2), portable C.
 *
 * Owns the block function and the incremental keystream context that the
 * linear and the scatterlist AEAD code share. A context may be fed any
 * split of the data: unused keystream of a partial block is kept for the
 * next call. Runs of WGC_CHACHA20_SIMD_MIN bytes or more go to the vector
 * implementation simd.h names active, in vector sections of at most
 * WGC_SIMD_CHUNK bytes; everything else, and any context where the FPU
 * may not be used, runs the portable code here.
 *
 * Locking: none; a context belongs to one caller at a time.
 */
#include "internal.h"
#include "simd.h"

#define WGC_QR(a, b, c, d) do {				\
		a += b; d ^= a; d = rol32(d, 16);	\
		c += d; b ^= c; b = rol32(b, 12);	\
		a += b; d ^= a; d = rol32(d, 8);	\
		c += d; b ^= c; b = rol32(b, 7);	\
	} while (0)

/* 20 rounds over x; the caller decides whether to add the input back. */
static void wgc_chacha20_rounds(u32 x[16])
{
	u32 x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
	u32 x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
	u32 x8 = x[8], x9 = x[9], x10 = x[10], x11 = x[11];
	u32 x12 = x[12], x13 = x[13], x14 = x[14], x15 = x[15];
	int i;

	for (i = 0; i < 10; i++) {
		/* column round */
		WGC_QR(x0, x4, x8, x12);
		WGC_QR(x1, x5, x9, x13);
		WGC_QR(x2, x6, x10, x14);
		WGC_QR(x3, x7, x11, x15);
		/* diagonal round */
		WGC_QR(x0, x5, x10, x15);
		WGC_QR(x1, x6, x11, x12);
		WGC_QR(x2, x7, x8, x13);
		WGC_QR(x3, x4, x9, x14);
	}
	x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3;
	x[4] = x4; x[5] = x5; x[6] = x6; x[7] = x7;
	x[8] = x8; x[9] = x9; x[10] = x10; x[11] = x11;
	x[12] = x12; x[13] = x13; x[14] = x14; x[15] = x15;
}

/* One block of keystream words for the current counter, then counter++. */
static void wgc_chacha20_next(struct wgc_chacha20_ctx *ctx, u32 ks[16])
{
	int i;

	memcpy(ks, ctx->state, 64);
	wgc_chacha20_rounds(ks);
	for (i = 0; i < 16; i++)
		ks[i] += ctx->state[i];
	ctx->state[12]++;
}

static void wgc_chacha20_setup(u32 state[16], const u8 key[32])
{
	int i;

	/* "expand 32-byte k" */
	state[0] = 0x61707865;
	state[1] = 0x3320646e;
	state[2] = 0x79622d32;
	state[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		state[4 + i] = wgc_le32(key + 4 * i);
}

void wgc_chacha20_init(struct wgc_chacha20_ctx *ctx, const u8 key[32],
		       const u8 nonce[12], u32 counter)
{
	wgc_chacha20_setup(ctx->state, key);
	ctx->state[12] = counter;
	ctx->state[13] = wgc_le32(nonce);
	ctx->state[14] = wgc_le32(nonce + 4);
	ctx->state[15] = wgc_le32(nonce + 8);
	ctx->avail = 0;
}

void wgc_chacha20_keystream_block(struct wgc_chacha20_ctx *ctx, u8 out[64])
{
	u32 ks[16];
	int i;

	wgc_chacha20_next(ctx, ks);
	for (i = 0; i < 16; i++)
		wgc_put_le32(out + 4 * i, ks[i]);
	memzero_explicit(ks, sizeof(ks));
}

/*
 * Below this the vector code would compute (and begin an FPU section for)
 * more blocks than it uses: 4 at least, 2 of them here.
 */
#define WGC_CHACHA20_SIMD_MIN 128

static const char *const wgc_simd_names[WGC_SIMD_COUNT] = {
	[WGC_SIMD_PORTABLE] = "portable",
	[WGC_SIMD_SSSE3] = "ssse3",
	[WGC_SIMD_AVX2] = "avx2",
	[WGC_SIMD_AVX512] = "avx512",
	[WGC_SIMD_NEON] = "neon",
};

const char *wgc_simd_name(unsigned int impl)
{
	return impl < WGC_SIMD_COUNT ? wgc_simd_names[impl] : NULL;
}

/*
 * One vector chunk; false when impl is the portable code (or another
 * architecture's, which wgc_simd_supported() never lets run).
 */
static bool wgc_chacha20_simd_chunk(unsigned int impl, u32 state[16],
				    u8 *dst, const u8 *src, size_t n,
				    u8 tail[64])
{
	switch (impl) {
#ifdef WGC_CRYPTO_SIMD_X86
	case WGC_SIMD_SSSE3:
		wgc_chacha20_xor_ssse3(state, dst, src, n, tail);
		return true;
	case WGC_SIMD_AVX2:
		wgc_chacha20_xor_avx2(state, dst, src, n, tail);
		return true;
	case WGC_SIMD_AVX512:
		wgc_chacha20_xor_avx512(state, dst, src, n, tail);
		return true;
#endif
#ifdef WGC_CRYPTO_SIMD_ARM64
	case WGC_SIMD_NEON:
		wgc_chacha20_xor_neon(state, dst, src, n, tail);
		return true;
#endif
	}
	return false;
}

/*
 * Whole vector sections over dst/src while the FPU is usable; returns the
 * bytes done (all of len, or the part before the FPU was refused).
 */
static size_t wgc_chacha20_simd(struct wgc_chacha20_ctx *ctx, u8 *dst,
				const u8 *src, size_t len)
{
	unsigned int impl = wgc_simd_active();
	size_t done = 0, n;
	bool ran;

	if (impl == WGC_SIMD_PORTABLE)
		return 0;
	while (done < len) {
		n = min_t(size_t, len - done, WGC_SIMD_CHUNK);
		if (!wgc_simd_begin())
			break;
		ran = wgc_chacha20_simd_chunk(impl, ctx->state, dst + done,
					      src + done, n, ctx->stream);
		wgc_simd_end();
		if (!ran)
			break;
		done += n;
	}
	/* chunks are whole blocks; only the last can end inside one */
	if (done == len && len % 64)
		ctx->avail = 64 - len % 64;
	return done;
}

void wgc_chacha20_crypt(struct wgc_chacha20_ctx *ctx, u8 *dst, const u8 *src,
			size_t len)
{
	u32 ks[16];
	size_t i, n;

	if (ctx->avail) {
		const u8 *k = ctx->stream + sizeof(ctx->stream) - ctx->avail;

		n = min_t(size_t, len, ctx->avail);
		for (i = 0; i < n; i++)
			dst[i] = src[i] ^ k[i];
		ctx->avail -= n;
		dst += n;
		src += n;
		len -= n;
	}
	if (len >= WGC_CHACHA20_SIMD_MIN) {
		n = wgc_chacha20_simd(ctx, dst, src, len);
		if (n == len)
			return;
		dst += n;
		src += n;
		len -= n;
	}
	while (len >= 64) {
		wgc_chacha20_next(ctx, ks);
		for (i = 0; i < 16; i++)
			wgc_put_le32(dst + 4 * i, wgc_le32(src + 4 * i) ^ ks[i]);
		dst += 64;
		src += 64;
		len -= 64;
	}
	if (len) {
		wgc_chacha20_keystream_block(ctx, ctx->stream);
		for (i = 0; i < len; i++)
			dst[i] = src[i] ^ ctx->stream[i];
		ctx->avail = sizeof(ctx->stream) - len;
	}
	memzero_explicit(ks, sizeof(ks));
}

void wgc_hchacha20(u8 out[32], const u8 key[32], const u8 nonce[16])
{
	u32 x[16];
	int i;

	wgc_chacha20_setup(x, key);
	for (i = 0; i < 4; i++)
		x[12 + i] = wgc_le32(nonce + 4 * i);
	wgc_chacha20_rounds(x);
	for (i = 0; i < 4; i++) {
		wgc_put_le32(out + 4 * i, x[i]);
		wgc_put_le32(out + 16 + 4 * i, x[12 + i]);
	}
	memzero_explicit(x, sizeof(x));
}
