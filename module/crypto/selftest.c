// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto self-test at module load (WG_DEBUG=1 builds only). Every vector
 * goes through the wgc_* API of compat.h, so this checks whichever
 * implementation compat selected: the kernel library or the bundled code.
 *
 * Vectors: RFC 7693 Appendix B and the Appendix E grand hash (BLAKE2s),
 * RFC 8439 Appendix A.5 (ChaCha20-Poly1305, fits WireGuard's u64 nonce),
 * draft-irtf-cfrg-xchacha-03 A.3.1 (XChaCha20-Poly1305) and RFC 7748
 * section 6.1 (X25519), plus rejection of tampered input and of a
 * low-order point, and the scatterlist variants over split entries.
 *
 * With the bundled crypto, the AEAD vectors run again under each ChaCha20
 * implementation this CPU supports (simd.h), which must also agree with
 * the portable code over lengths around every block-group boundary;
 * "wireguard: selftest crypto-impl-<name>: pass" for each.
 *
 * Locking: none; runs once from module init in process context (it
 * allocates with GFP_KERNEL for the scatterlist test).
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#include "../compat.h"
#include "selftest.h"
#include "../selftest/selftest.h"
#ifdef WGC_CRYPTO_BUNDLED_H	/* compat.h chose the bundled crypto */
#include "simd.h"
#endif

#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

static const u8 st_blake2s_abc[32] = {
	0x50, 0x8c, 0x5e, 0x8c, 0x32, 0x7c, 0x14, 0xe2, 0xe1, 0xa7, 0x2b, 0xa3,
	0x4e, 0xeb, 0x45, 0x2f, 0x37, 0x45, 0x8b, 0x20, 0x9e, 0xd6, 0x3a, 0x29,
	0x4d, 0x99, 0x9b, 0x4c, 0x86, 0x67, 0x59, 0x82,
};

static const u8 st_blake2s_grand[32] = {
	0x6a, 0x41, 0x1f, 0x08, 0xce, 0x25, 0xad, 0xcd, 0xfb, 0x02, 0xab, 0xa6,
	0x41, 0x45, 0x1c, 0xec, 0x53, 0xc5, 0x98, 0xb2, 0x4f, 0x4f, 0xc7, 0x87,
	0xfb, 0xdc, 0x88, 0x79, 0x7f, 0x4c, 0x1d, 0xfe,
};

/* RFC 7693 Appendix E input generator, produced in pieces */
struct st_seq {
	u32 a, b;
};

static void st_seq_start(struct st_seq *q, u32 seed)
{
	q->a = 0xdead4bad * seed;
	q->b = 1;
}

static void st_seq_fill(struct st_seq *q, u8 *out, size_t len)
{
	u32 t;
	size_t i;

	for (i = 0; i < len; i++) {
		t = q->a + q->b;
		q->a = q->b;
		q->b = t;
		out[i] = t >> 24;
	}
}

/* BLAKE2s of selftest_seq(inlen, seed = inlen), keyed when key != NULL */
static void st_blake2s_seq(u8 *md, size_t outlen, size_t inlen,
			   const u8 *key, size_t keylen)
{
	struct wgc_blake2s_state s;
	struct st_seq q;
	u8 chunk[64];
	size_t n;

	wgc_blake2s_init_key(&s, outlen, key, keylen);
	st_seq_start(&q, inlen);
	while (inlen) {
		n = min_t(size_t, inlen, sizeof(chunk));
		st_seq_fill(&q, chunk, n);
		wgc_blake2s_update(&s, chunk, n);
		inlen -= n;
	}
	wgc_blake2s_final(&s, md);
}

static bool st_blake2s(void)
{
	static const u8 md_len[] = { 16, 20, 28, 32 };
	static const u16 in_len[] = { 0, 3, 64, 65, 255, 1024 };
	struct wgc_blake2s_state all;
	struct st_seq q;
	u8 md[32], key[32];
	size_t i, j;
	bool ok;

	wgc_blake2s(md, 32, (const u8 *)"abc", 3, NULL, 0);
	ok = !memcmp(md, st_blake2s_abc, 32);

	wgc_blake2s_init(&all, 32);
	for (i = 0; i < ARRAY_SIZE(md_len); i++) {
		for (j = 0; j < ARRAY_SIZE(in_len); j++) {
			st_blake2s_seq(md, md_len[i], in_len[j], NULL, 0);
			wgc_blake2s_update(&all, md, md_len[i]);
			st_seq_start(&q, md_len[i]);
			st_seq_fill(&q, key, md_len[i]);
			st_blake2s_seq(md, md_len[i], in_len[j], key,
				       md_len[i]);
			wgc_blake2s_update(&all, md, md_len[i]);
		}
	}
	wgc_blake2s_final(&all, md);
	return ok && !memcmp(md, st_blake2s_grand, 32);
}

/* RFC 8439 A.5; the 96-bit nonce 00000000 0102030405060708 is a u64. */
static const u8 st_a5_key[32] = {
	0x1c, 0x92, 0x40, 0xa5, 0xeb, 0x55, 0xd3, 0x8a, 0xf3, 0x33, 0x88, 0x86,
	0x04, 0xf6, 0xb5, 0xf0, 0x47, 0x39, 0x17, 0xc1, 0x40, 0x2b, 0x80, 0x09,
	0x9d, 0xca, 0x5c, 0xbc, 0x20, 0x70, 0x75, 0xc0,
};

static const u8 st_a5_ad[12] = {
	0xf3, 0x33, 0x88, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4e, 0x91,
};

static const u8 st_a5_tag[16] = {
	0xee, 0xad, 0x9d, 0x67, 0x89, 0x0c, 0xbb, 0x22, 0x39, 0x23, 0x36, 0xfe,
	0xa1, 0x85, 0x1f, 0x38,
};

static const char st_a5_text[] =
	"Internet-Drafts are draft documents valid for a maximum of six "
	"months and may be updated, replaced, or obsoleted by other documents "
	"at any time. It is inappropriate to use Internet-Drafts as reference "
	"material or to cite them other than as /\xe2\x80\x9c" "work in "
	"progress./\xe2\x80\x9d";

#define ST_A5_LEN (sizeof(st_a5_text) - 1)	/* 265 */

/* Encrypts, checks the tag, decrypts back, and rejects a flipped bit. */
static bool st_aead(void)
{
	const u64 nonce = 0x0807060504030201ULL;
	u8 ct[ST_A5_LEN + 16], pt[ST_A5_LEN];
	bool ok;

	wgc_chacha20poly1305_encrypt(ct, (const u8 *)st_a5_text, ST_A5_LEN, st_a5_ad,
				     sizeof(st_a5_ad), nonce, st_a5_key);
	ok = !memcmp(ct + ST_A5_LEN, st_a5_tag, 16);
	ok &= wgc_chacha20poly1305_decrypt(pt, ct, sizeof(ct), st_a5_ad,
					   sizeof(st_a5_ad), nonce, st_a5_key);
	ok &= !memcmp(pt, st_a5_text, ST_A5_LEN);
	ct[ST_A5_LEN + 3] ^= 0x10;
	ok &= !wgc_chacha20poly1305_decrypt(pt, ct, sizeof(ct), st_a5_ad,
					    sizeof(st_a5_ad), nonce,
					    st_a5_key);
	return ok;
}

/*
 * The same vector in place over a scatterlist whose entries split blocks
 * and the tag: 7 + 143 + 123 + 8 bytes.
 */
static bool st_aead_sg(void)
{
	static const unsigned int split[] = { 7, 143, 123, 8 };
	const u64 nonce = 0x0807060504030201ULL;
	struct scatterlist sg[ARRAY_SIZE(split)];
	unsigned int i, off = 0;
	u8 *buf;
	bool ok;

	buf = kmalloc(ST_A5_LEN + 16, GFP_KERNEL);
	if (!buf)
		return false;
	memcpy(buf, st_a5_text, ST_A5_LEN);
	sg_init_table(sg, ARRAY_SIZE(split));
	for (i = 0; i < ARRAY_SIZE(split); i++) {
		sg_set_buf(&sg[i], buf + off, split[i]);
		off += split[i];
	}
	ok = wgc_chacha20poly1305_encrypt_sg_inplace(sg, ST_A5_LEN, st_a5_ad,
						     sizeof(st_a5_ad), nonce,
						     st_a5_key);
	ok &= !memcmp(buf + ST_A5_LEN, st_a5_tag, 16);
	ok &= wgc_chacha20poly1305_decrypt_sg_inplace(sg, ST_A5_LEN + 16,
						      st_a5_ad,
						      sizeof(st_a5_ad), nonce,
						      st_a5_key);
	ok &= !memcmp(buf, st_a5_text, ST_A5_LEN);
	kfree(buf);
	return ok;
}

/* draft-irtf-cfrg-xchacha-03 A.3.1 */
static const char st_sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only "
	"one tip for the future, sunscreen would be it.";

#define ST_SUN_LEN (sizeof(st_sunscreen) - 1)	/* 114 */

static const u8 st_x_ad[12] = {
	0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
};

static const u8 st_x_tag[16] = {
	0xc0, 0x87, 0x59, 0x24, 0xc1, 0xc7, 0x98, 0x79, 0x47, 0xde, 0xaf, 0xd8,
	0x78, 0x0a, 0xcf, 0x49,
};

static const u8 st_x_ct_head[16] = {
	0xbd, 0x6d, 0x17, 0x9d, 0x3e, 0x83, 0xd4, 0x3b, 0x95, 0x76, 0x57, 0x94,
	0x93, 0xc0, 0xe9, 0x39,
};

static bool st_xaead(void)
{
	u8 key[32], nonce[24], ct[ST_SUN_LEN + 16], pt[ST_SUN_LEN];
	size_t i;
	bool ok;

	for (i = 0; i < sizeof(key); i++)
		key[i] = 0x80 + i;
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = 0x40 + i;
	wgc_xchacha20poly1305_encrypt(ct, (const u8 *)st_sunscreen, ST_SUN_LEN, st_x_ad,
				      sizeof(st_x_ad), nonce, key);
	ok = !memcmp(ct, st_x_ct_head, 16);
	ok &= !memcmp(ct + ST_SUN_LEN, st_x_tag, 16);
	ok &= wgc_xchacha20poly1305_decrypt(pt, ct, sizeof(ct), st_x_ad,
					    sizeof(st_x_ad), nonce, key);
	ok &= !memcmp(pt, st_sunscreen, ST_SUN_LEN);
	ct[0] ^= 1;
	ok &= !wgc_xchacha20poly1305_decrypt(pt, ct, sizeof(ct), st_x_ad,
					     sizeof(st_x_ad), nonce, key);
	return ok;
}

/* RFC 7748 section 6.1 */
static const u8 st_alice_priv[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
	0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};

static const u8 st_alice_pub[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};

static const u8 st_bob_pub[32] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
	0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};

static const u8 st_shared[32] = {
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4,
	0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

static bool st_curve25519(void)
{
	static const u8 zero[32];
	u8 out[32];
	bool ok;

	ok = wgc_curve25519_generate_public(out, st_alice_priv);
	ok &= !memcmp(out, st_alice_pub, 32);
	ok &= wgc_curve25519(out, st_alice_priv, st_bob_pub);
	ok &= !memcmp(out, st_shared, 32);
	/* u = 0 is of low order: the shared secret is zero and refused */
	ok &= !wgc_curve25519(out, st_alice_priv, zero);
	memzero_explicit(out, sizeof(out));
	return ok;
}

#ifdef WGC_CRYPTO_BUNDLED_H
/* around each group size of the vector code (4, 8, 16 blocks) and chunk */
static const u16 st_impl_lens[] = {
	0, 1, 63, 64, 65, 127, 128, 129, 191, 255, 256, 257, 320, 511, 512,
	513, 767, 1023, 1024, 1025, 1420, 1471, 2047, 2048, 2049, 4095, 4096,
	4097, 8191, 8192, 8193,
};

#define ST_IMPL_MAX 8193

/* Encrypts under impl and under the portable code: same bytes, and back. */
static bool st_impl_agrees(unsigned int impl, u8 *pt, u8 *ct, u8 *ref)
{
	const u64 nonce = 0x0102030405060708ULL;
	size_t i, len;
	bool ok = true;

	for (i = 0; i < ST_IMPL_MAX; i++)
		pt[i] = i * 31 + (i >> 8);
	for (i = 0; i < ARRAY_SIZE(st_impl_lens); i++) {
		len = st_impl_lens[i];
		wgc_simd_force(WGC_SIMD_PORTABLE);
		wgc_chacha20poly1305_encrypt(ref, pt, len, st_a5_ad,
					     sizeof(st_a5_ad), nonce,
					     st_a5_key);
		wgc_simd_force(impl);
		wgc_chacha20poly1305_encrypt(ct, pt, len, st_a5_ad,
					     sizeof(st_a5_ad), nonce,
					     st_a5_key);
		ok &= !memcmp(ct, ref, len + 16);
		ok &= wgc_chacha20poly1305_decrypt(ref, ct, len + 16, st_a5_ad,
						   sizeof(st_a5_ad), nonce,
						   st_a5_key);
		ok &= !memcmp(ref, pt, len);
	}
	return ok;
}

static bool st_impl(unsigned int impl)
{
	u8 *pt = kmalloc(ST_IMPL_MAX, GFP_KERNEL);
	u8 *ct = kmalloc(ST_IMPL_MAX + 16, GFP_KERNEL);
	u8 *ref = kmalloc(ST_IMPL_MAX + 16, GFP_KERNEL);
	bool ok = pt && ct && ref;

	if (ok)
		ok = st_impl_agrees(impl, pt, ct, ref);
	wgc_simd_force(impl);
	ok &= st_aead() && st_aead_sg() && st_xaead();
	kfree(pt);
	kfree(ct);
	kfree(ref);
	return ok;
}

/* Every implementation this CPU runs, then back to the module's choice. */
static bool st_impls(void)
{
	static const char *const names[WGC_SIMD_COUNT] = {
		[WGC_SIMD_PORTABLE] = "crypto-impl-portable",
		[WGC_SIMD_SSSE3] = "crypto-impl-ssse3",
		[WGC_SIMD_AVX2] = "crypto-impl-avx2",
		[WGC_SIMD_AVX512] = "crypto-impl-avx512",
		[WGC_SIMD_NEON] = "crypto-impl-neon",
	};
	unsigned int impl, chosen = wgc_simd_active();
	bool ok = true;

	for (impl = 0; impl < WGC_SIMD_COUNT; impl++)
		if (wgc_simd_supported(impl))
			ok &= wg_selftest_report(names[impl], st_impl(impl));
	wgc_simd_force(chosen);
	return ok;
}
#else
static bool st_impls(void)
{
	return true;
}
#endif

bool wgc_crypto_selftest(void)
{
	bool ok = true;

	/* Run them all, so that every verdict line is printed. */
	ok &= wg_selftest_report("crypto-blake2s", st_blake2s());
	ok &= wg_selftest_report("crypto-chacha20poly1305", st_aead());
	ok &= wg_selftest_report("crypto-chacha20poly1305-sg", st_aead_sg());
	ok &= wg_selftest_report("crypto-xchacha20poly1305", st_xaead());
	ok &= wg_selftest_report("crypto-curve25519", st_curve25519());
	ok &= st_impls();
	return ok;
}
