/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bundled portable crypto: the wgc_* API of docs/architecture.md
 * "Contract 2", used when the target kernel has no crypto library (or when
 * --crypto bundled forces it). Implemented in the .c files next to it.
 *
 * Locking: none. Every function works on caller-owned memory only; a
 * struct wgc_blake2s_state belongs to one caller at a time.
 */
#ifndef WGC_CRYPTO_BUNDLED_H
#define WGC_CRYPTO_BUNDLED_H

#include <linux/types.h>

struct scatterlist;

/*
 * The sizes below and the members of struct wgc_blake2s_state belong to the
 * bundled implementation only: they do not exist when compat.h maps wgc_*
 * onto the kernel library, so module/ must not use them (Contract 2 gives
 * module/ the functions and the opaque state type, nothing more).
 */
enum wgc_crypto_sizes {
	WGC_BLAKE2S_BLOCK_SIZE = 64,
	WGC_BLAKE2S_HASH_SIZE = 32,
	WGC_BLAKE2S_KEY_SIZE = 32,
	WGC_CURVE25519_KEY_SIZE = 32,
	WGC_CHACHA20POLY1305_KEY_SIZE = 32,
	WGC_CHACHA20POLY1305_AUTHTAG_SIZE = 16,
	WGC_XCHACHA20POLY1305_NONCE_SIZE = 24,
};

struct wgc_blake2s_state {
	u32 h[8];
	u32 t[2];
	u32 f[2];
	u8 buf[WGC_BLAKE2S_BLOCK_SIZE];
	unsigned int buflen;
	unsigned int outlen;
};

/* outlen: 1..32; keylen: 0..32 (0 or key == NULL: unkeyed). */
void wgc_blake2s_init(struct wgc_blake2s_state *s, size_t outlen);
void wgc_blake2s_init_key(struct wgc_blake2s_state *s, size_t outlen,
			  const u8 *key, size_t keylen);
void wgc_blake2s_update(struct wgc_blake2s_state *s, const u8 *in,
			size_t inlen);
/* Writes outlen bytes and wipes the state. */
void wgc_blake2s_final(struct wgc_blake2s_state *s, u8 *out);
void wgc_blake2s(u8 *out, size_t outlen, const u8 *in, size_t inlen,
		 const u8 *key, size_t keylen);

/* Returns false (and out is all zero) for a low-order basepoint. */
bool wgc_curve25519(u8 out[32], const u8 secret[32],
		    const u8 basepoint[32]);
/* Returns false for an all-zero secret or an all-zero result. */
bool wgc_curve25519_generate_public(u8 pub[32], const u8 secret[32]);
void wgc_curve25519_generate_secret(u8 secret[32]);
void wgc_curve25519_clamp_secret(u8 secret[32]);

/*
 * ChaCha20-Poly1305 with WireGuard's nonce: 4 zero bytes then nonce as LE64.
 * encrypt: src_len plaintext bytes in, src_len + 16 bytes out.
 * decrypt: src_len includes the 16-byte tag; dst gets src_len - 16 bytes,
 * or is wiped and false is returned when the tag does not match.
 */
void wgc_chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 key[32]);
bool wgc_chacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
				  const u8 *ad, size_t ad_len, u64 nonce,
				  const u8 key[32]);
/*
 * In place over a scatterlist (kernel only). encrypt: len plaintext bytes
 * followed by 16 bytes of room for the tag. decrypt: len bytes including
 * the tag.
 */
bool wgc_chacha20poly1305_encrypt_sg_inplace(struct scatterlist *sg,
					     size_t len, const u8 *ad,
					     size_t ad_len, u64 nonce,
					     const u8 key[32]);
bool wgc_chacha20poly1305_decrypt_sg_inplace(struct scatterlist *sg,
					     size_t len, const u8 *ad,
					     size_t ad_len, u64 nonce,
					     const u8 key[32]);

void wgc_xchacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
				   const u8 *ad, size_t ad_len,
				   const u8 nonce[24], const u8 key[32]);
bool wgc_xchacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
				   const u8 *ad, size_t ad_len,
				   const u8 nonce[24], const u8 key[32]);

#endif /* WGC_CRYPTO_BUNDLED_H */
