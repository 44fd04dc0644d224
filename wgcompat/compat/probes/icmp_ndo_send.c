// SPDX-License-Identifier: GPL-2.0
/*
 * probe: icmp_ndo_send
 * define: WGC_HAVE_ICMP_NDO_SEND
 * kind: compile
 * detects: icmp_ndo_send() for tunnel devices
 * when: 5.6 (5.4.102 stable)
 */
#include <net/icmp.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
}
