// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_probe_transport_header_1arg
 * define: WGC_HAVE_SKB_PROBE_TRANSPORT_HEADER_1ARG
 * kind: compile
 * detects: skb_probe_transport_header(skb) without the offset hint
 * when: 5.1
 */
#include <linux/skbuff.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	skb_probe_transport_header(skb);
}
