// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_mono_delivery_time
 * define: WGC_HAVE_SKB_MONO_DELIVERY_TIME
 * kind: compile
 * detects: skb->mono_delivery_time
 * when: 5.18; replaced by tstamp_type in 6.11
 */
#include <linux/skbuff.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	skb->mono_delivery_time = 0;
}
