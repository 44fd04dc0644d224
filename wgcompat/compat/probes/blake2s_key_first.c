// SPDX-License-Identifier: GPL-2.0
/*
 * probe: blake2s_key_first
 * define: WGC_HAVE_BLAKE2S_KEY_FIRST
 * kind: compile
 * detects: blake2s(key, keylen, in, inlen, out, outlen) (was blake2s(out, in, key, outlen, inlen, keylen))
 * when: 6.19
 */
#include <crypto/blake2s.h>

void wgc_probe(const u8 *key, const u8 *in, u8 *out);
void wgc_probe(const u8 *key, const u8 *in, u8 *out)
{
	size_t keylen = BLAKE2S_KEY_SIZE, inlen = 10, outlen = BLAKE2S_HASH_SIZE;

	blake2s(key, keylen, in, inlen, out, outlen);
}
