// SPDX-License-Identifier: GPL-2.0
/*
 * probe: get_random_u32_inclusive
 * define: WGC_HAVE_GET_RANDOM_U32_INCLUSIVE
 * kind: compile
 * detects: get_random_u32_inclusive(lo, hi)
 * when: 6.2 (6.1.4 stable)
 */
#include <linux/random.h>

u32 wgc_probe(void);
u32 wgc_probe(void)
{
	return get_random_u32_inclusive(1, 10);
}
