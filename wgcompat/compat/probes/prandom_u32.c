// SPDX-License-Identifier: GPL-2.0
/*
 * probe: prandom_u32
 * define: WGC_HAVE_PRANDOM_U32
 * kind: compile
 * detects: prandom_u32()
 * when: removed in 6.1 (use get_random_u32())
 */
#include <linux/random.h>

u32 wgc_probe(void);
u32 wgc_probe(void)
{
	return prandom_u32();
}
