// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_mark_not_on_list
 * define: WGC_HAVE_SKB_MARK_NOT_ON_LIST
 * kind: compile
 * detects: skb_mark_not_on_list(skb)
 * when: 4.20
 */
#include <linux/skbuff.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	skb_mark_not_on_list(skb);
}
