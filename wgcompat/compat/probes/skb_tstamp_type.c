// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_tstamp_type
 * define: WGC_HAVE_SKB_TSTAMP_TYPE
 * kind: compile
 * detects: skb->tstamp_type (replaces skb->mono_delivery_time)
 * when: 6.11
 */
#include <linux/skbuff.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	skb->tstamp_type = 0;
}
