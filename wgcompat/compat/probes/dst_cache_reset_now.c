// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dst_cache_reset_now
 * define: WGC_HAVE_DST_CACHE_RESET_NOW
 * kind: compile
 * detects: dst_cache_reset_now()
 * when: 5.16 (5.10.84, 5.15.7 stable)
 */
#include <net/dst_cache.h>

void wgc_probe(struct dst_cache *c);
void wgc_probe(struct dst_cache *c)
{
	dst_cache_reset_now(c);
}
