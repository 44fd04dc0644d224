// SPDX-License-Identifier: GPL-2.0
/*
 * probe: blake2s_ctx
 * define: WGC_HAVE_BLAKE2S_CTX
 * kind: compile
 * detects: the BLAKE2s library state is struct blake2s_ctx (was struct blake2s_state)
 * when: 6.19
 */
#include <crypto/blake2s.h>

void wgc_probe(struct blake2s_ctx *ctx);
void wgc_probe(struct blake2s_ctx *ctx)
{
	blake2s_init(ctx, BLAKE2S_HASH_SIZE);
}
