// SPDX-License-Identifier: GPL-2.0
/*
 * probe: blake2s_state
 * define: WGC_HAVE_BLAKE2S_STATE
 * kind: compile
 * detects: the BLAKE2s library state is struct blake2s_state
 * when: 5.5; renamed to struct blake2s_ctx in 6.19
 */
#include <crypto/blake2s.h>

void wgc_probe(struct blake2s_state *state);
void wgc_probe(struct blake2s_state *state)
{
	blake2s_init(state, BLAKE2S_HASH_SIZE);
}
