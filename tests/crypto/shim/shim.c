// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace glue for the bundled crypto test library: the definitions the
 * shim headers refer to, and a few exports the Python tests call through
 * ctypes (struct sizes, internal 96-bit nonce and stream primitives).
 */
#include "internal.h"	/* module/crypto/, on the include path */

unsigned long wgc_shim_warnings;

size_t wgc_shim_blake2s_state_size(void)
{
	return sizeof(struct wgc_blake2s_state);
}

void wgc_shim_chacha20(u8 *dst, const u8 *src, size_t len, const u8 key[32],
		       const u8 nonce[12], u32 counter)
{
	struct wgc_chacha20_ctx ctx;

	wgc_chacha20_init(&ctx, key, nonce, counter);
	wgc_chacha20_crypt(&ctx, dst, src, len);
	memzero_explicit(&ctx, sizeof(ctx));
}

/* Same, but fed in pieces of the given sizes (cycled) to test the splits. */
void wgc_shim_chacha20_split(u8 *dst, const u8 *src, size_t len,
			     const u8 key[32], const u8 nonce[12],
			     u32 counter, const u32 *splits, size_t nsplits)
{
	struct wgc_chacha20_ctx ctx;
	size_t i = 0, n;

	wgc_chacha20_init(&ctx, key, nonce, counter);
	while (len) {
		n = min_t(size_t, len, splits[i++ % nsplits]);
		wgc_chacha20_crypt(&ctx, dst, src, n);
		dst += n;
		src += n;
		len -= n;
	}
}

void wgc_shim_poly1305(u8 tag[16], const u8 *in, size_t len, const u8 key[32],
		       const u32 *splits, size_t nsplits)
{
	struct wgc_poly1305_ctx ctx;
	size_t i = 0, n;

	wgc_poly1305_init(&ctx, key);
	if (!nsplits) {
		wgc_poly1305_update(&ctx, in, len);
	} else {
		while (len) {
			n = min_t(size_t, len, splits[i++ % nsplits]);
			wgc_poly1305_update(&ctx, in, n);
			in += n;
			len -= n;
		}
	}
	wgc_poly1305_final(&ctx, tag);
}

/* The AEAD fed in pieces, as the scatterlist path does. */
bool wgc_shim_aead_split(int encrypt, u8 *dst, const u8 *src, size_t len,
			 const u8 *ad, size_t ad_len, u64 nonce,
			 const u8 key[32], const u32 *splits, size_t nsplits)
{
	struct wgc_aead_ctx a;
	u8 n96[12], tag[16];
	size_t i = 0, n;
	bool ok = true;

	wgc_aead_nonce_u64(n96, nonce);
	if (!encrypt) {
		if (len < 16)
			return false;
		len -= 16;
	}
	wgc_aead_init(&a, key, n96, ad, ad_len);
	while (len) {
		n = min_t(size_t, len, splits[i++ % nsplits]);
		if (encrypt)
			wgc_aead_encrypt_update(&a, dst, src, n);
		else
			wgc_aead_decrypt_update(&a, dst, src, n);
		dst += n;
		src += n;
		len -= n;
	}
	wgc_aead_final(&a, tag);
	if (encrypt)
		memcpy(dst, tag, 16);
	else
		ok = !wgc_memneq(tag, src, 16);
	return ok;
}
