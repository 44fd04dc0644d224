// SPDX-License-Identifier: GPL-2.0
/*
 * probe: get_random_u32_below
 * define: WGC_HAVE_GET_RANDOM_U32_BELOW
 * kind: compile
 * detects: get_random_u32_below(n)
 * when: 6.2 (6.1.4 stable); before: prandom_u32_max()
 */
#include <linux/random.h>

u32 wgc_probe(void);
u32 wgc_probe(void)
{
	return get_random_u32_below(10);
}
