/* ---- crypto: the kernel's library (Contract 2) ----------------------------------- */
#include <linux/scatterlist.h>
#include <crypto/blake2s.h>
#include <crypto/curve25519.h>
#include <crypto/chacha20poly1305.h>

struct wgc_blake2s_state {
#if WGC_HAVE_BLAKE2S_CTX
	struct blake2s_ctx ctx;
#else
	struct blake2s_state ctx;
#endif
};

static inline void wgc_blake2s_init(struct wgc_blake2s_state *s, size_t outlen)
{
	blake2s_init(&s->ctx, outlen);
}

static inline void wgc_blake2s_init_key(struct wgc_blake2s_state *s, size_t outlen,
					const u8 *key, size_t keylen)
{
	blake2s_init_key(&s->ctx, outlen, key, keylen);
}

static inline void wgc_blake2s_update(struct wgc_blake2s_state *s, const u8 *in, size_t inlen)
{
	blake2s_update(&s->ctx, in, inlen);
}

static inline void wgc_blake2s_final(struct wgc_blake2s_state *s, u8 *out)
{
	blake2s_final(&s->ctx, out);
}

static inline void wgc_blake2s(u8 *out, size_t outlen, const u8 *in, size_t inlen,
			       const u8 *key, size_t keylen)
{
#if WGC_HAVE_BLAKE2S_KEY_FIRST
	blake2s(key, keylen, in, inlen, out, outlen);
#else
	blake2s(out, in, key, outlen, inlen, keylen);
#endif
}

static inline bool wgc_curve25519(u8 out[32], const u8 secret[32], const u8 basepoint[32])
{
	return curve25519(out, secret, basepoint);
}

static inline bool wgc_curve25519_generate_public(u8 pub[32], const u8 secret[32])
{
	return curve25519_generate_public(pub, secret);
}

static inline void wgc_curve25519_generate_secret(u8 secret[32])
{
	curve25519_generate_secret(secret);
}

static inline void wgc_curve25519_clamp_secret(u8 secret[32])
{
	curve25519_clamp_secret(secret);
}

static inline void wgc_chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
						const u8 *ad, size_t ad_len, u64 nonce,
						const u8 key[32])
{
	chacha20poly1305_encrypt(dst, src, src_len, ad, ad_len, nonce, key);
}

static inline bool wgc_chacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
						const u8 *ad, size_t ad_len, u64 nonce,
						const u8 key[32])
{
	return chacha20poly1305_decrypt(dst, src, src_len, ad, ad_len, nonce, key);
}

static inline bool wgc_chacha20poly1305_encrypt_sg_inplace(struct scatterlist *sg, size_t len,
							   const u8 *ad, size_t ad_len,
							   u64 nonce, const u8 key[32])
{
	return chacha20poly1305_encrypt_sg_inplace(sg, len, ad, ad_len, nonce, key);
}

static inline bool wgc_chacha20poly1305_decrypt_sg_inplace(struct scatterlist *sg, size_t len,
							   const u8 *ad, size_t ad_len,
							   u64 nonce, const u8 key[32])
{
	return chacha20poly1305_decrypt_sg_inplace(sg, len, ad, ad_len, nonce, key);
}

static inline void wgc_xchacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t src_len,
						 const u8 *ad, size_t ad_len,
						 const u8 nonce[24], const u8 key[32])
{
	xchacha20poly1305_encrypt(dst, src, src_len, ad, ad_len, nonce, key);
}

static inline bool wgc_xchacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t src_len,
						 const u8 *ad, size_t ad_len,
						 const u8 nonce[24], const u8 key[32])
{
	return xchacha20poly1305_decrypt(dst, src, src_len, ad, ad_len, nonce, key);
}
