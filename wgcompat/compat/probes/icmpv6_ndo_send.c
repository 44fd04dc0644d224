// SPDX-License-Identifier: GPL-2.0
/*
 * probe: icmpv6_ndo_send
 * define: WGC_HAVE_ICMPV6_NDO_SEND
 * kind: compile
 * detects: icmpv6_ndo_send() for tunnel devices
 * when: 5.6 (5.4.102 stable)
 */
#include <linux/icmpv6.h>

void wgc_probe(struct sk_buff *skb);
void wgc_probe(struct sk_buff *skb)
{
	icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
}
