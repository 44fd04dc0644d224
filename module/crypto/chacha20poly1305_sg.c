// SPDX-License-Identifier: GPL-2.0
/*
 * ChaCha20-Poly1305 in place over a scatterlist (kernel only; the
 * userspace tests drive the same wgc_aead_* core with arbitrary splits).
 *
 * Owns the walk over the scatterlist: each mapped piece goes through the
 * incremental AEAD context, whatever its length, so pieces need not be
 * block aligned. The tag is copied to or from the bytes after len.
 *
 * Locking: none. Safe in softirq context: pages are mapped one at a time
 * with a local (or atomic) kmap and unmapped before the tag is copied.
 */
#include <linux/scatterlist.h>

#include "internal.h"

#ifdef SG_MITER_LOCAL
#define WGC_SG_MITER_MAP SG_MITER_LOCAL
#else
#define WGC_SG_MITER_MAP SG_MITER_ATOMIC
#endif

/* Runs len bytes of sg through the AEAD; returns the bytes processed. */
static size_t wgc_aead_sg_walk(struct wgc_aead_ctx *a, struct scatterlist *sg,
			       size_t len, bool encrypt)
{
	struct sg_mapping_iter miter;
	size_t done = 0, n;

	sg_miter_start(&miter, sg, sg_nents(sg),
		       WGC_SG_MITER_MAP | SG_MITER_TO_SG | SG_MITER_FROM_SG);
	while (done < len && sg_miter_next(&miter)) {
		n = min_t(size_t, miter.length, len - done);
		if (encrypt)
			wgc_aead_encrypt_update(a, miter.addr, miter.addr, n);
		else
			wgc_aead_decrypt_update(a, miter.addr, miter.addr, n);
		miter.consumed = n;
		done += n;
	}
	sg_miter_stop(&miter);
	return done;
}

bool wgc_chacha20poly1305_encrypt_sg_inplace(struct scatterlist *sg,
					     size_t len, const u8 *ad,
					     size_t ad_len, u64 nonce,
					     const u8 key[32])
{
	struct wgc_aead_ctx a;
	u8 n96[12], tag[WGC_CHACHA20POLY1305_AUTHTAG_SIZE];
	size_t done, copied;

	wgc_aead_nonce_u64(n96, nonce);
	wgc_aead_init(&a, key, n96, ad, ad_len);
	done = wgc_aead_sg_walk(&a, sg, len, true);
	wgc_aead_final(&a, tag);
	copied = sg_pcopy_from_buffer(sg, sg_nents(sg), tag, sizeof(tag), len);
	memzero_explicit(tag, sizeof(tag));
	return done == len && copied == sizeof(tag);
}

bool wgc_chacha20poly1305_decrypt_sg_inplace(struct scatterlist *sg,
					     size_t len, const u8 *ad,
					     size_t ad_len, u64 nonce,
					     const u8 key[32])
{
	struct wgc_aead_ctx a;
	u8 n96[12], tag[WGC_CHACHA20POLY1305_AUTHTAG_SIZE];
	u8 received[WGC_CHACHA20POLY1305_AUTHTAG_SIZE];
	size_t done, copied;
	bool ok;

	if (len < WGC_CHACHA20POLY1305_AUTHTAG_SIZE)
		return false;
	len -= WGC_CHACHA20POLY1305_AUTHTAG_SIZE;

	copied = sg_pcopy_to_buffer(sg, sg_nents(sg), received,
				    sizeof(received), len);
	if (copied != sizeof(received))
		return false;

	wgc_aead_nonce_u64(n96, nonce);
	wgc_aead_init(&a, key, n96, ad, ad_len);
	done = wgc_aead_sg_walk(&a, sg, len, false);
	wgc_aead_final(&a, tag);
	ok = done == len && !wgc_memneq(tag, received, sizeof(tag));
	memzero_explicit(tag, sizeof(tag));
	return ok;
}
