// SPDX-License-Identifier: GPL-2.0
/*
 * probe: chacha_state
 * define: WGC_HAVE_CHACHA_STATE
 * kind: compile
 * detects: struct chacha_state in the ChaCha library API (was u32 state[16])
 * when: 6.16
 */
#include <crypto/chacha.h>

size_t wgc_probe(void);
size_t wgc_probe(void)
{
	return sizeof(struct chacha_state);
}
