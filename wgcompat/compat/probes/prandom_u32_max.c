// SPDX-License-Identifier: GPL-2.0
/*
 * probe: prandom_u32_max
 * define: WGC_HAVE_PRANDOM_U32_MAX
 * kind: compile
 * detects: prandom_u32_max(n)
 * when: replaced by get_random_u32_below() in 6.2, removed in 6.3
 */
#include <linux/random.h>

u32 wgc_probe(void);
u32 wgc_probe(void)
{
	return prandom_u32_max(10);
}
