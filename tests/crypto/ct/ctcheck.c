// SPDX-License-Identifier: GPL-2.0
/*
 * Constant-time check for tests/crypto/test_constant_time.py, run under
 * valgrind memcheck: keys, secrets and plaintexts are marked undefined, so
 * memcheck reports every branch or memory index that depends on them. Only
 * results that are public by design (a tag check outcome, a shared secret
 * handed back to the caller) are marked defined again, outside the code
 * under test. WGC_SHIM_SIMD in the environment picks the ChaCha20
 * implementation (tests/crypto/shim/simd.c); the last line names the one
 * that ran.
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "internal.h"
#include "simd.h"

/* tests/crypto/shim/shim.c */
bool wgc_shim_aead_split(int encrypt, u8 *dst, const u8 *src, size_t len,
			 const u8 *ad, size_t ad_len, u64 nonce,
			 const u8 key[32], const u32 *splits, size_t nsplits);

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static u8 buf_in[1500], buf_out[1500 + 16], buf_back[1500];

static void fill(u8 *p, size_t n, u32 seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

static void check_x25519(void)
{
	static const u8 base[32] = { 9 };
	u8 secret[32], peer[32], out[32];
	bool ok;

	fill(secret, 32, 1);
	fill(peer, 32, 2);
	SECRET(secret, 32);
	ok = wgc_curve25519(out, secret, peer);
	PUBLIC(&ok, sizeof(ok));
	PUBLIC(out, 32);
	ok = wgc_curve25519(out, secret, base);
	PUBLIC(&ok, sizeof(ok));
	wgc_curve25519_clamp_secret(secret);
}

static void check_aead(size_t len)
{
	u8 key[32], ad[20], xnonce[24];
	u32 split[] = { 7, 64, 100 };
	bool ok;

	fill(key, 32, 3);
	fill(ad, 20, 4);
	fill(xnonce, 24, 5);
	fill(buf_in, len, 6);
	SECRET(key, 32);
	SECRET(buf_in, len);

	wgc_chacha20poly1305_encrypt(buf_out, buf_in, len, ad, sizeof(ad), 42,
				     key);
	PUBLIC(buf_out, len + 16);	/* ciphertext and tag go on the wire */
	/* the split core: the path the scatterlist code drives */
	ok = wgc_shim_aead_split(0, buf_back, buf_out, len + 16, ad,
				 sizeof(ad), 42, key, split, 3);
	PUBLIC(&ok, sizeof(ok));
	if (!ok)
		printf("ctcheck: decrypt failed at %zu\n", len);

	wgc_xchacha20poly1305_encrypt(buf_out, buf_in, len, ad, sizeof(ad),
				      xnonce, key);
	PUBLIC(buf_out, len + 16);
}

static void check_blake2s(size_t len)
{
	struct wgc_blake2s_state s;
	u8 key[32], out[32];

	fill(key, 32, 7);
	fill(buf_in, len, 8);
	SECRET(key, 32);
	SECRET(buf_in, len);
	wgc_blake2s(out, 32, buf_in, len, key, 32);
	wgc_blake2s(out, 16, buf_in, len, NULL, 0);
	wgc_blake2s_init_key(&s, 32, key, 16);
	wgc_blake2s_update(&s, buf_in, len / 2);
	wgc_blake2s_update(&s, buf_in + len / 2, len - len / 2);
	wgc_blake2s_final(&s, out);
	PUBLIC(out, 32);
}

static void check_memneq(void)
{
	u8 a[16], b[16];
	bool ne;

	fill(a, 16, 9);
	fill(b, 16, 9);
	SECRET(a, 16);
	ne = wgc_memneq(a, b, 16);
	PUBLIC(&ne, sizeof(ne));
}

int main(void)
{
	/* 256, 512 and 1024 bytes: the group sizes of the vector code */
	static const size_t lens[] = { 0, 1, 16, 63, 64, 65, 129, 256, 511,
				       512, 1024, 1420 };
	size_t i;

	check_x25519();
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		check_aead(lens[i]);
		check_blake2s(lens[i]);
	}
	check_memneq();
	/* which ChaCha20 ran: WGC_SHIM_SIMD asks, the CPU may refuse */
	printf("ctcheck: done (%s)\n", wgc_simd_name(wgc_simd_active()));
	return 0;
}
