// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8) over linear buffers, with
 * WireGuard's 64-bit nonce (4 zero bytes, then the counter as LE64), and
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 section 2.3).
 *
 * Owns the incremental AEAD context (wgc_aead_*) that the scatterlist
 * variants in chacha20poly1305_sg.c also use, so both paths share one
 * construction. Decryption authenticates the ciphertext as it goes and
 * wipes the output when the tag does not match.
 *
 * Locking: none; every call works on caller-owned memory.
 */
#include "internal.h"

static const u8 wgc_aead_zero_pad[16];

static void wgc_aead_pad16(struct wgc_poly1305_ctx *p, u64 len)
{
	if (len & 15)
		wgc_poly1305_update(p, wgc_aead_zero_pad, 16 - (len & 15));
}

void wgc_aead_nonce_u64(u8 nonce[12], u64 counter)
{
	memset(nonce, 0, 4);
	wgc_put_le64(nonce + 4, counter);
}

void wgc_aead_init(struct wgc_aead_ctx *a, const u8 key[32],
		   const u8 nonce[12], const u8 *ad, size_t ad_len)
{
	u8 block0[64];

	/* block 0 keys Poly1305; the message starts at block 1 */
	wgc_chacha20_init(&a->chacha, key, nonce, 0);
	wgc_chacha20_keystream_block(&a->chacha, block0);
	wgc_poly1305_init(&a->poly, block0);
	memzero_explicit(block0, sizeof(block0));

	wgc_poly1305_update(&a->poly, ad, ad_len);
	wgc_aead_pad16(&a->poly, ad_len);
	a->ad_len = ad_len;
	a->ct_len = 0;
}

/* Both passes over one chunk while it is still in the L1 cache. */
#define WGC_AEAD_CHUNK 4096

void wgc_aead_encrypt_update(struct wgc_aead_ctx *a, u8 *dst, const u8 *src,
			     size_t len)
{
	size_t n;

	a->ct_len += len;
	while (len) {
		n = min_t(size_t, len, WGC_AEAD_CHUNK);
		wgc_chacha20_crypt(&a->chacha, dst, src, n);
		wgc_poly1305_update(&a->poly, dst, n);
		dst += n;
		src += n;
		len -= n;
	}
}

void wgc_aead_decrypt_update(struct wgc_aead_ctx *a, u8 *dst, const u8 *src,
			     size_t len)
{
	size_t n;

	a->ct_len += len;
	while (len) {
		n = min_t(size_t, len, WGC_AEAD_CHUNK);
		/* authenticate first: dst may be src */
		wgc_poly1305_update(&a->poly, src, n);
		wgc_chacha20_crypt(&a->chacha, dst, src, n);
		dst += n;
		src += n;
		len -= n;
	}
}

void wgc_aead_final(struct wgc_aead_ctx *a, u8 tag[16])
{
	u8 lens[16];

	wgc_aead_pad16(&a->poly, a->ct_len);
	wgc_put_le64(lens, a->ad_len);
	wgc_put_le64(lens + 8, a->ct_len);
	wgc_poly1305_update(&a->poly, lens, sizeof(lens));
	wgc_poly1305_final(&a->poly, tag);
	memzero_explicit(a, sizeof(*a));
}

void wgc_chacha20poly1305_encrypt_n96(u8 *dst, const u8 *src, size_t src_len,
				      const u8 *ad, size_t ad_len,
				      const u8 nonce[12], const u8 key[32])
{
	struct wgc_aead_ctx a;

	wgc_aead_init(&a, key, nonce, ad, ad_len);
	wgc_aead_encrypt_update(&a, dst, src, src_len);
	wgc_aead_final(&a, dst + src_len);
}

bool wgc_chacha20poly1305_decrypt_n96(u8 *dst, const u8 *src, size_t src_len,
				      const u8 *ad, size_t ad_len,
				      const u8 nonce[12], const u8 key[32])
{
	struct wgc_aead_ctx a;
	u8 tag[16];
	size_t len;
	bool ok;

	if (src_len < WGC_CHACHA20POLY1305_AUTHTAG_SIZE)
		return false;
	len = src_len - WGC_CHACHA20POLY1305_AUTHTAG_SIZE;

	wgc_aead_init(&a, key, nonce, ad, ad_len);
	wgc_aead_decrypt_update(&a, dst, src, len);
	wgc_aead_final(&a, tag);
	ok = !wgc_memneq(tag, src + len, sizeof(tag));
	if (!ok)
		memzero_explicit(dst, len);
	memzero_explicit(tag, sizeof(tag));
	return ok;
}

void wgc_chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 key[32])
{
	u8 n96[12];

	wgc_aead_nonce_u64(n96, nonce);
	wgc_chacha20poly1305_encrypt_n96(dst, src, src_len, ad, ad_len, n96,
					 key);
}

bool wgc_chacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 key[32])
{
	u8 n96[12];

	wgc_aead_nonce_u64(n96, nonce);
	return wgc_chacha20poly1305_decrypt_n96(dst, src, src_len, ad, ad_len,
						n96, key);
}

/* subkey = HChaCha20(key, nonce[0..16]); 96-bit nonce = 0^4 || nonce[16..24] */
static void wgc_xchacha20_derive(u8 subkey[32], u8 n96[12],
				 const u8 nonce[24], const u8 key[32])
{
	wgc_hchacha20(subkey, key, nonce);
	memset(n96, 0, 4);
	memcpy(n96 + 4, nonce + 16, 8);
}

void wgc_xchacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				   const u8 *ad, size_t ad_len,
				   const u8 nonce[24], const u8 key[32])
{
	u8 subkey[32], n96[12];

	wgc_xchacha20_derive(subkey, n96, nonce, key);
	wgc_chacha20poly1305_encrypt_n96(dst, src, src_len, ad, ad_len, n96,
					 subkey);
	memzero_explicit(subkey, sizeof(subkey));
}

bool wgc_xchacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
				   const u8 *ad, size_t ad_len,
				   const u8 nonce[24], const u8 key[32])
{
	u8 subkey[32], n96[12];
	bool ok;

	wgc_xchacha20_derive(subkey, n96, nonce, key);
	ok = wgc_chacha20poly1305_decrypt_n96(dst, src, src_len, ad, ad_len,
					      n96, subkey);
	memzero_explicit(subkey, sizeof(subkey));
	return ok;
}
