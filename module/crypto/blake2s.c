// SPDX-License-Identifier: GPL-2.0
/*
 * BLAKE2s (RFC 7693), keyed and unkeyed, output length 1..32, portable C.
 * The protocol's HMAC and KDF are built by module/ on top of this.
 *
 * Owns struct wgc_blake2s_state (declared in bundled.h). The last block
 * must be compressed with the final flag, so update() keeps up to one
 * whole block buffered until more input arrives or final() is called.
 *
 * Locking: none; a state belongs to one caller at a time.
 */
#include "internal.h"

static const u32 wgc_blake2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* message word schedule, RFC 7693 section 2.7 */
static const u8 wgc_blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

/* mixing function G (RFC 7693 section 3.1) with R1..R4 = 16, 12, 8, 7 */
#define WGC_G(r, i, a, b, c, d) do {					\
		a += b + m[wgc_blake2s_sigma[r][2 * (i)]];		\
		d = ror32(d ^ a, 16);					\
		c += d;							\
		b = ror32(b ^ c, 12);					\
		a += b + m[wgc_blake2s_sigma[r][2 * (i) + 1]];		\
		d = ror32(d ^ a, 8);					\
		c += d;							\
		b = ror32(b ^ c, 7);					\
	} while (0)

#define WGC_ROUND(r) do {						\
		WGC_G(r, 0, v[0], v[4], v[8], v[12]);			\
		WGC_G(r, 1, v[1], v[5], v[9], v[13]);			\
		WGC_G(r, 2, v[2], v[6], v[10], v[14]);			\
		WGC_G(r, 3, v[3], v[7], v[11], v[15]);			\
		WGC_G(r, 4, v[0], v[5], v[10], v[15]);			\
		WGC_G(r, 5, v[1], v[6], v[11], v[12]);			\
		WGC_G(r, 6, v[2], v[7], v[8], v[13]);			\
		WGC_G(r, 7, v[3], v[4], v[9], v[14]);			\
	} while (0)

/* Compresses nblocks blocks, adding inc to the byte counter before each. */
static void wgc_blake2s_compress(struct wgc_blake2s_state *s, const u8 *in,
				 size_t nblocks, u32 inc)
{
	u32 m[16], v[16];
	int i;

	while (nblocks--) {
		s->t[0] += inc;
		s->t[1] += s->t[0] < inc;
		for (i = 0; i < 16; i++)
			m[i] = wgc_le32(in + 4 * i);
		for (i = 0; i < 8; i++) {
			v[i] = s->h[i];
			v[i + 8] = wgc_blake2s_iv[i];
		}
		v[12] ^= s->t[0];
		v[13] ^= s->t[1];
		v[14] ^= s->f[0];
		v[15] ^= s->f[1];

		WGC_ROUND(0);
		WGC_ROUND(1);
		WGC_ROUND(2);
		WGC_ROUND(3);
		WGC_ROUND(4);
		WGC_ROUND(5);
		WGC_ROUND(6);
		WGC_ROUND(7);
		WGC_ROUND(8);
		WGC_ROUND(9);

		for (i = 0; i < 8; i++)
			s->h[i] ^= v[i] ^ v[i + 8];
		in += WGC_BLAKE2S_BLOCK_SIZE;
	}
	memzero_explicit(m, sizeof(m));
	memzero_explicit(v, sizeof(v));
}

void wgc_blake2s_init_key(struct wgc_blake2s_state *s, size_t outlen,
			  const u8 *key, size_t keylen)
{
	int i;

	if (!key)
		keylen = 0;
	WARN_ON_ONCE(!outlen || outlen > WGC_BLAKE2S_HASH_SIZE ||
		     keylen > WGC_BLAKE2S_KEY_SIZE);
	for (i = 0; i < 8; i++)
		s->h[i] = wgc_blake2s_iv[i];
	/* parameter block: digest length, key length, fanout 1, depth 1 */
	s->h[0] ^= 0x01010000 ^ ((u32)keylen << 8) ^ (u32)outlen;
	s->t[0] = 0;
	s->t[1] = 0;
	s->f[0] = 0;
	s->f[1] = 0;
	s->buflen = 0;
	s->outlen = outlen;
	memset(s->buf, 0, sizeof(s->buf));
	if (keylen) {
		/* the key, zero padded, is the first block */
		memcpy(s->buf, key, keylen);
		s->buflen = WGC_BLAKE2S_BLOCK_SIZE;
	}
}

void wgc_blake2s_init(struct wgc_blake2s_state *s, size_t outlen)
{
	wgc_blake2s_init_key(s, outlen, NULL, 0);
}

void wgc_blake2s_update(struct wgc_blake2s_state *s, const u8 *in,
			size_t inlen)
{
	const size_t bs = WGC_BLAKE2S_BLOCK_SIZE;
	size_t n;

	if (!inlen)
		return;
	/* fill the buffer; compress it only when more input follows */
	n = bs - s->buflen;
	if (inlen > n) {
		memcpy(s->buf + s->buflen, in, n);
		wgc_blake2s_compress(s, s->buf, 1, bs);
		s->buflen = 0;
		in += n;
		inlen -= n;
		if (inlen > bs) {
			n = (inlen - 1) / bs;
			wgc_blake2s_compress(s, in, n, bs);
			in += n * bs;
			inlen -= n * bs;
		}
	}
	memcpy(s->buf + s->buflen, in, inlen);
	s->buflen += inlen;
}

void wgc_blake2s_final(struct wgc_blake2s_state *s, u8 *out)
{
	u8 full[WGC_BLAKE2S_HASH_SIZE];
	int i;

	s->f[0] = 0xffffffff;
	memset(s->buf + s->buflen, 0, sizeof(s->buf) - s->buflen);
	wgc_blake2s_compress(s, s->buf, 1, s->buflen);
	for (i = 0; i < 8; i++)
		wgc_put_le32(full + 4 * i, s->h[i]);
	memcpy(out, full, min_t(size_t, s->outlen, sizeof(full)));
	memzero_explicit(full, sizeof(full));
	memzero_explicit(s, sizeof(*s));
}

void wgc_blake2s(u8 *out, size_t outlen, const u8 *in, size_t inlen,
		 const u8 *key, size_t keylen)
{
	struct wgc_blake2s_state s;

	wgc_blake2s_init_key(&s, outlen, key, keylen);
	wgc_blake2s_update(&s, in, inlen);
	wgc_blake2s_final(&s, out);
}
