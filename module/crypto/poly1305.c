// SPDX-License-Identifier: GPL-2.0
/*
 * Poly1305 one-time authenticator (RFC 8439 section 2.5), portable C.
 *
 * The accumulator is kept in radix 2^64 (two limbs and a few bits,
 * 64x64->128 products) where the compiler has a 128-bit type, and in radix
 * 2^26 (five limbs, 32x32->64 products) elsewhere. Both reduce modulo 2^130 - 5 without
 * secret-dependent branches. Input may be fed in any split; partial blocks
 * are buffered.
 *
 * Locking: none; a context belongs to one caller at a time.
 */
#include "internal.h"

#if WGC_CRYPTO_INT128

/*
 * Radix 2^64: h = h0 + h1 2^64 + h2 2^128 (h2 a few bits), r = r0 + r1 2^64.
 * Clamping leaves r0, r1 < 2^60 and r1 a multiple of 4, so the product's
 * parts at 2^128 and up fold back with 2^130 == 5 through s1 = 5 (r1 / 4):
 *   h1 r1 2^128 == h1 s1,  h2 r1 2^192 == h2 s1 2^64.
 * Four 64x64->128 products and two 64x64 ones per block.
 */
void wgc_poly1305_init(struct wgc_poly1305_ctx *ctx, const u8 key[32])
{
	ctx->r[0] = wgc_le64(key) & 0x0ffffffc0fffffffULL;
	ctx->r[1] = wgc_le64(key + 8) & 0x0ffffffc0ffffffcULL;
	ctx->r[2] = 5 * (ctx->r[1] >> 2);
	ctx->h[0] = 0;
	ctx->h[1] = 0;
	ctx->h[2] = 0;
	ctx->pad[0] = wgc_le64(key + 16);
	ctx->pad[1] = wgc_le64(key + 24);
	ctx->buflen = 0;
}

/* hibit is 1 (2^128) for whole message blocks, 0 for the padded last one. */
static void wgc_poly1305_blocks(struct wgc_poly1305_ctx *ctx, const u8 *in,
				size_t nblocks, u64 hibit)
{
	const u64 r0 = ctx->r[0], r1 = ctx->r[1], s1 = ctx->r[2];
	u64 h0 = ctx->h[0], h1 = ctx->h[1], h2 = ctx->h[2];
	wgc_u128 d0, d1, t;
	u64 d2, c;

	while (nblocks--) {
		/* h += m */
		t = (wgc_u128)h0 + wgc_le64(in);
		h0 = (u64)t;
		t = (wgc_u128)h1 + wgc_le64(in + 8) + (u64)(t >> 64);
		h1 = (u64)t;
		h2 += (u64)(t >> 64) + hibit;

		/* h *= r, partly reduced: h2 ends below 8 */
		d0 = (wgc_u128)h0 * r0 + (wgc_u128)h1 * s1;
		d1 = (wgc_u128)h0 * r1 + (wgc_u128)h1 * r0 + h2 * s1;
		d2 = h2 * r0;

		h0 = (u64)d0;
		d1 += (u64)(d0 >> 64);
		h1 = (u64)d1;
		d2 += (u64)(d1 >> 64);
		/* 2^130 == 5: the bits of d2 above 2 come back times 5 */
		h2 = d2 & 3;
		c = (d2 >> 2) * 5;
		t = (wgc_u128)h0 + c;
		h0 = (u64)t;
		t = (wgc_u128)h1 + (u64)(t >> 64);
		h1 = (u64)t;
		h2 += (u64)(t >> 64);
		in += 16;
	}
	ctx->h[0] = h0;
	ctx->h[1] = h1;
	ctx->h[2] = h2;
}

static void wgc_poly1305_emit(struct wgc_poly1305_ctx *ctx, u8 tag[16])
{
	u64 h0 = ctx->h[0], h1 = ctx->h[1], h2 = ctx->h[2];
	u64 g0, g1, g2, c, mask;
	wgc_u128 t;
	int i;

	/* twice: h below 2^130 + 5 afterwards, so below 2p */
	for (i = 0; i < 2; i++) {
		c = (h2 >> 2) * 5;
		h2 &= 3;
		t = (wgc_u128)h0 + c;
		h0 = (u64)t;
		t = (wgc_u128)h1 + (u64)(t >> 64);
		h1 = (u64)t;
		h2 += (u64)(t >> 64);
	}

	/* g = h + 5 - 2^130; use g when that is not negative (h >= p) */
	t = (wgc_u128)h0 + 5;
	g0 = (u64)t;
	t = (wgc_u128)h1 + (u64)(t >> 64);
	g1 = (u64)t;
	g2 = h2 + (u64)(t >> 64);
	mask = 0 - (g2 >> 2);		/* all ones when g >= 2^130 */
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);

	/* tag = (h + s) mod 2^128 */
	t = (wgc_u128)h0 + ctx->pad[0];
	g0 = (u64)t;
	g1 = h1 + ctx->pad[1] + (u64)(t >> 64);
	wgc_put_le64(tag, g0);
	wgc_put_le64(tag + 8, g1);
}

#else /* !WGC_CRYPTO_INT128 */

#define M26 ((u32)0x3ffffff)

void wgc_poly1305_init(struct wgc_poly1305_ctx *ctx, const u8 key[32])
{
	u32 t0 = wgc_le32(key) & 0x0fffffff;
	u32 t1 = wgc_le32(key + 4) & 0x0ffffffc;
	u32 t2 = wgc_le32(key + 8) & 0x0ffffffc;
	u32 t3 = wgc_le32(key + 12) & 0x0ffffffc;
	int i;

	ctx->r[0] = t0 & M26;
	ctx->r[1] = ((t0 >> 26) | (t1 << 6)) & M26;
	ctx->r[2] = ((t1 >> 20) | (t2 << 12)) & M26;
	ctx->r[3] = ((t2 >> 14) | (t3 << 18)) & M26;
	ctx->r[4] = t3 >> 8;
	for (i = 0; i < 5; i++)
		ctx->h[i] = 0;
	for (i = 0; i < 4; i++)
		ctx->pad[i] = wgc_le32(key + 16 + 4 * i);
	ctx->buflen = 0;
}

static void wgc_poly1305_blocks(struct wgc_poly1305_ctx *ctx, const u8 *in,
				size_t nblocks, u32 hibit)
{
	const u32 r0 = ctx->r[0], r1 = ctx->r[1], r2 = ctx->r[2];
	const u32 r3 = ctx->r[3], r4 = ctx->r[4];
	const u32 s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
	u32 h0 = ctx->h[0], h1 = ctx->h[1], h2 = ctx->h[2];
	u32 h3 = ctx->h[3], h4 = ctx->h[4];
	u64 d0, d1, d2, d3, d4;
	u32 m0, m1, m2, m3, c;

	while (nblocks--) {
		m0 = wgc_le32(in);
		m1 = wgc_le32(in + 4);
		m2 = wgc_le32(in + 8);
		m3 = wgc_le32(in + 12);
		h0 += m0 & M26;
		h1 += ((m0 >> 26) | (m1 << 6)) & M26;
		h2 += ((m1 >> 20) | (m2 << 12)) & M26;
		h3 += ((m2 >> 14) | (m3 << 18)) & M26;
		h4 += (m3 >> 8) | hibit;

		d0 = (u64)h0 * r0 + (u64)h1 * s4 + (u64)h2 * s3 +
		     (u64)h3 * s2 + (u64)h4 * s1;
		d1 = (u64)h0 * r1 + (u64)h1 * r0 + (u64)h2 * s4 +
		     (u64)h3 * s3 + (u64)h4 * s2;
		d2 = (u64)h0 * r2 + (u64)h1 * r1 + (u64)h2 * r0 +
		     (u64)h3 * s4 + (u64)h4 * s3;
		d3 = (u64)h0 * r3 + (u64)h1 * r2 + (u64)h2 * r1 +
		     (u64)h3 * r0 + (u64)h4 * s4;
		d4 = (u64)h0 * r4 + (u64)h1 * r3 + (u64)h2 * r2 +
		     (u64)h3 * r1 + (u64)h4 * r0;

		c = (u32)(d0 >> 26); h0 = (u32)d0 & M26;
		d1 += c; c = (u32)(d1 >> 26); h1 = (u32)d1 & M26;
		d2 += c; c = (u32)(d2 >> 26); h2 = (u32)d2 & M26;
		d3 += c; c = (u32)(d3 >> 26); h3 = (u32)d3 & M26;
		d4 += c; c = (u32)(d4 >> 26); h4 = (u32)d4 & M26;
		h0 += c * 5; c = h0 >> 26; h0 &= M26;
		h1 += c;
		in += 16;
	}
	ctx->h[0] = h0;
	ctx->h[1] = h1;
	ctx->h[2] = h2;
	ctx->h[3] = h3;
	ctx->h[4] = h4;
}

static void wgc_poly1305_emit(struct wgc_poly1305_ctx *ctx, u8 tag[16])
{
	u32 h0 = ctx->h[0], h1 = ctx->h[1], h2 = ctx->h[2];
	u32 h3 = ctx->h[3], h4 = ctx->h[4];
	u32 g0, g1, g2, g3, g4, c, mask;
	u64 f;

	c = h1 >> 26; h1 &= M26; h2 += c;
	c = h2 >> 26; h2 &= M26; h3 += c;
	c = h3 >> 26; h3 &= M26; h4 += c;
	c = h4 >> 26; h4 &= M26; h0 += c * 5;
	c = h0 >> 26; h0 &= M26; h1 += c;
	c = h1 >> 26; h1 &= M26; h2 += c;

	g0 = h0 + 5; c = g0 >> 26; g0 &= M26;
	g1 = h1 + c; c = g1 >> 26; g1 &= M26;
	g2 = h2 + c; c = g2 >> 26; g2 &= M26;
	g3 = h3 + c; c = g3 >> 26; g3 &= M26;
	g4 = h4 + c - ((u32)1 << 26);
	mask = (g4 >> 31) - 1;
	g4 &= M26;
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	h2 = (h2 & ~mask) | (g2 & mask);
	h3 = (h3 & ~mask) | (g3 & mask);
	h4 = (h4 & ~mask) | (g4 & mask);

	g0 = h0 | (h1 << 26);
	g1 = (h1 >> 6) | (h2 << 20);
	g2 = (h2 >> 12) | (h3 << 14);
	g3 = (h3 >> 18) | (h4 << 8);
	f = (u64)g0 + ctx->pad[0];
	wgc_put_le32(tag, (u32)f);
	f = (u64)g1 + ctx->pad[1] + (f >> 32);
	wgc_put_le32(tag + 4, (u32)f);
	f = (u64)g2 + ctx->pad[2] + (f >> 32);
	wgc_put_le32(tag + 8, (u32)f);
	f = (u64)g3 + ctx->pad[3] + (f >> 32);
	wgc_put_le32(tag + 12, (u32)f);
}

#endif /* WGC_CRYPTO_INT128 */

#define WGC_POLY1305_HIBIT_FULL	(WGC_CRYPTO_INT128 ? 1ULL : (1U << 24))

void wgc_poly1305_update(struct wgc_poly1305_ctx *ctx, const u8 *in,
			 size_t len)
{
	size_t n;

	if (ctx->buflen) {
		n = min_t(size_t, len, 16 - ctx->buflen);
		memcpy(ctx->buf + ctx->buflen, in, n);
		ctx->buflen += n;
		in += n;
		len -= n;
		if (ctx->buflen < 16)
			return;
		wgc_poly1305_blocks(ctx, ctx->buf, 1, WGC_POLY1305_HIBIT_FULL);
		ctx->buflen = 0;
	}
	if (len >= 16) {
		n = len / 16;
		wgc_poly1305_blocks(ctx, in, n, WGC_POLY1305_HIBIT_FULL);
		in += n * 16;
		len -= n * 16;
	}
	if (len) {
		memcpy(ctx->buf, in, len);
		ctx->buflen = len;
	}
}

void wgc_poly1305_final(struct wgc_poly1305_ctx *ctx, u8 tag[16])
{
	if (ctx->buflen) {
		/* the last partial block gets a 1 byte then zeros, no 2^128 */
		ctx->buf[ctx->buflen] = 1;
		memset(ctx->buf + ctx->buflen + 1, 0, 15 - ctx->buflen);
		wgc_poly1305_blocks(ctx, ctx->buf, 1, 0);
	}
	wgc_poly1305_emit(ctx, tag);
	memzero_explicit(ctx, sizeof(*ctx));
}
