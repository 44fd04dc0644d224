// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for vmtests/crypto/test_bundled_crypto.py, built with the
 * bundled crypto (module/crypto/) and its self-test: runs the self-test,
 * then checks the scatterlist AEAD against the linear one over random
 * layouts (entries of 1 byte up to several pages, the tag split between
 * entries), and a tampered byte is rejected. Loading fails if anything does.
 *
 * Locking: none; everything runs once in module init.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "compat.h"
#include "crypto/selftest.h"

#define SGCHECK_MAX_SG 64
#define SGCHECK_BUF 70000
#define SGCHECK_ROUNDS 40

struct sgcheck {
	struct scatterlist sg[SGCHECK_MAX_SG];
	u8 *lin, *sgbuf, *pt;
};

static const size_t sgcheck_lens[] = {
	0, 1, 15, 16, 17, 63, 64, 65, 1420, 4095, 4096, 4097, 65537,
};

static u32 sgcheck_rand(void)
{
	u32 r;

	get_random_bytes(&r, sizeof(r));
	return r;
}

static unsigned int sgcheck_layout(struct sgcheck *c, size_t total)
{
	unsigned int nents = 0;
	size_t off = 0, n;
	u32 r;

	sg_init_table(c->sg, SGCHECK_MAX_SG);
	while (off < total) {
		r = sgcheck_rand();
		if (nents == SGCHECK_MAX_SG - 1)
			n = total - off;
		else if (r & 1)
			n = 1 + (r >> 8) % 40;
		else
			n = 1 + (r >> 8) % 9000;
		n = min_t(size_t, n, total - off);
		sg_set_buf(&c->sg[nents++], c->sgbuf + off, n);
		off += n;
	}
	sg_mark_end(&c->sg[nents - 1]);
	return nents;
}

static bool sgcheck_one(struct sgcheck *c, size_t len)
{
	static const u8 ad[] = "associated";
	size_t total = len + 16;
	unsigned int nents;
	u8 key[32];
	u64 nonce;
	bool ok;

	get_random_bytes(key, sizeof(key));
	get_random_bytes(&nonce, sizeof(nonce));
	get_random_bytes(c->pt, len);
	memcpy(c->sgbuf, c->pt, len);
	nents = sgcheck_layout(c, total);

	wgc_chacha20poly1305_encrypt(c->lin, c->pt, len, ad, sizeof(ad), nonce,
				     key);
	ok = wgc_chacha20poly1305_encrypt_sg_inplace(c->sg, len, ad, sizeof(ad),
						     nonce, key);
	ok &= !memcmp(c->lin, c->sgbuf, total);
	ok &= wgc_chacha20poly1305_decrypt_sg_inplace(c->sg, total, ad,
						      sizeof(ad), nonce, key);
	ok &= !memcmp(c->sgbuf, c->pt, len);

	memcpy(c->sgbuf, c->lin, total);
	c->sgbuf[sgcheck_rand() % total] ^= 4;
	ok &= !wgc_chacha20poly1305_decrypt_sg_inplace(c->sg, total, ad,
						       sizeof(ad), nonce, key);
	memzero_explicit(key, sizeof(key));
	if (!ok)
		pr_err("sgcheck: mismatch at length %zu over %u entries\n", len,
		       nents);
	return ok;
}

static int __init sgcheck_init(void)
{
	unsigned int i, round, fails = 0, cases = 0;
	struct sgcheck *c;
	bool ok;

	ok = wgc_crypto_selftest();
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->lin = kmalloc(SGCHECK_BUF, GFP_KERNEL);
	if (!c->lin)
		goto err_lin;
	c->sgbuf = kmalloc(SGCHECK_BUF, GFP_KERNEL);
	if (!c->sgbuf)
		goto err_sgbuf;
	c->pt = kmalloc(SGCHECK_BUF, GFP_KERNEL);
	if (!c->pt)
		goto err_pt;

	for (round = 0; round < SGCHECK_ROUNDS; round++) {
		for (i = 0; i < ARRAY_SIZE(sgcheck_lens); i++) {
			fails += !sgcheck_one(c, sgcheck_lens[i]);
			cases++;
		}
	}
	pr_info("sgcheck: sg vs linear: %u cases, %u failures\n", cases, fails);

	kfree(c->pt);
	kfree(c->sgbuf);
	kfree(c->lin);
	kfree(c);
	return ok && !fails ? 0 : -ENOTRECOVERABLE;

err_pt:
	kfree(c->sgbuf);
err_sgbuf:
	kfree(c->lin);
err_lin:
	kfree(c);
	return -ENOMEM;
}

static void __exit sgcheck_exit(void)
{
}

module_init(sgcheck_init);
module_exit(sgcheck_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("wgcompat bundled crypto check (tests only)");
