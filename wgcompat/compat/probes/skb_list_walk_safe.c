// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_list_walk_safe
 * define: WGC_HAVE_SKB_LIST_WALK_SAFE
 * kind: compile
 * detects: skb_list_walk_safe(first, skb, next)
 * when: 5.6
 */
#include <linux/skbuff.h>

unsigned int wgc_probe(struct sk_buff *first);
unsigned int wgc_probe(struct sk_buff *first)
{
	struct sk_buff *skb, *next;
	unsigned int n = 0;

	skb_list_walk_safe(first, skb, next)
		n++;
	return n;
}
