// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_reset_redirect
 * define: WGC_HAVE_SKB_RESET_REDIRECT
 * kind: compile
 * detects: skb_reset_redirect(skb)
 * when: 5.7 (5.4.29 stable)
 */
#include <linux/skbuff.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	skb_reset_redirect(skb);
}
