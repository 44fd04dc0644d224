/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the bundled crypto sources: little-endian loads and
 * stores, a constant-time comparison, and the incremental ChaCha20,
 * Poly1305 and AEAD contexts that the linear and the scatterlist paths
 * both drive. Only linux/ headers that exist on every kernel since
 * 4.x are included, so the userspace shim (tests/crypto/shim) can stand
 * in for them.
 *
 * Locking: none; each context belongs to one caller at a time.
 */
#ifndef WGC_CRYPTO_INTERNAL_H
#define WGC_CRYPTO_INTERNAL_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/string.h>
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/bug.h>

#include "bundled.h"

/*
 * 64x64->128 multiplication is used where the compiler offers it; every
 * other target (32-bit kernels) gets the radix 2^26 Poly1305 and the
 * radix 2^16 field arithmetic. WGC_CRYPTO_NO_INT128 forces the latter so
 * that the userspace tests cover both.
 */
#if defined(__SIZEOF_INT128__) && !defined(WGC_CRYPTO_NO_INT128)
#define WGC_CRYPTO_INT128 1
typedef unsigned __int128 wgc_u128;
#else
#define WGC_CRYPTO_INT128 0
#endif

static inline u32 wgc_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
	       (u32)p[3] << 24;
}

static inline u64 wgc_le64(const u8 *p)
{
	return (u64)wgc_le32(p) | (u64)wgc_le32(p + 4) << 32;
}

static inline void wgc_put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline void wgc_put_le64(u8 *p, u64 v)
{
	wgc_put_le32(p, (u32)v);
	wgc_put_le32(p + 4, (u32)(v >> 32));
}

/*
 * Constant-time inequality: the time depends on n only. Written here
 * rather than using crypto_memneq() so that the bundled code does not
 * need CONFIG_CRYPTO, which minimal kernels may lack.
 */
static inline bool wgc_memneq(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	unsigned long d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	OPTIMIZER_HIDE_VAR(d);
	return d != 0;
}

/* ChaCha20 (chacha20.c) */
struct wgc_chacha20_ctx {
	u32 state[16];
	u8 stream[64];		/* keystream of the last partial block */
	unsigned int avail;	/* unused bytes at the tail of stream */
};

void wgc_chacha20_init(struct wgc_chacha20_ctx *ctx, const u8 key[32],
		       const u8 nonce[12], u32 counter);
/* Writes the next whole keystream block; ctx must be block aligned. */
void wgc_chacha20_keystream_block(struct wgc_chacha20_ctx *ctx, u8 out[64]);
/* dst = src ^ keystream; any length, calls may be split anywhere. */
void wgc_chacha20_crypt(struct wgc_chacha20_ctx *ctx, u8 *dst, const u8 *src,
			size_t len);
void wgc_hchacha20(u8 out[32], const u8 key[32], const u8 nonce[16]);

/* Poly1305 (poly1305.c) */
struct wgc_poly1305_ctx {
#if WGC_CRYPTO_INT128
	u64 r[3], h[3], pad[2];	/* r[2] = 5 * (r[1] / 4) */
#else
	u32 r[5], s[4], h[5], pad[4];
#endif
	u8 buf[16];
	unsigned int buflen;
};

void wgc_poly1305_init(struct wgc_poly1305_ctx *ctx, const u8 key[32]);
void wgc_poly1305_update(struct wgc_poly1305_ctx *ctx, const u8 *in,
			 size_t len);
/* Writes the tag and wipes ctx. */
void wgc_poly1305_final(struct wgc_poly1305_ctx *ctx, u8 tag[16]);

/* ChaCha20-Poly1305 AEAD with a 96-bit nonce (chacha20poly1305.c) */
struct wgc_aead_ctx {
	struct wgc_chacha20_ctx chacha;
	struct wgc_poly1305_ctx poly;
	u64 ad_len;
	u64 ct_len;
};

void wgc_aead_init(struct wgc_aead_ctx *a, const u8 key[32],
		   const u8 nonce[12], const u8 *ad, size_t ad_len);
void wgc_aead_encrypt_update(struct wgc_aead_ctx *a, u8 *dst, const u8 *src,
			     size_t len);
void wgc_aead_decrypt_update(struct wgc_aead_ctx *a, u8 *dst, const u8 *src,
			     size_t len);
/* Writes the tag and wipes a. */
void wgc_aead_final(struct wgc_aead_ctx *a, u8 tag[16]);
void wgc_aead_nonce_u64(u8 nonce[12], u64 counter);

void wgc_chacha20poly1305_encrypt_n96(u8 *dst, const u8 *src, size_t src_len,
				      const u8 *ad, size_t ad_len,
				      const u8 nonce[12], const u8 key[32]);
bool wgc_chacha20poly1305_decrypt_n96(u8 *dst, const u8 *src, size_t src_len,
				      const u8 *ad, size_t ad_len,
				      const u8 nonce[12], const u8 key[32]);

#endif /* WGC_CRYPTO_INTERNAL_H */
