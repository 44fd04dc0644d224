// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_rx_ni
 * define: WGC_HAVE_NETIF_RX_NI
 * kind: compile
 * detects: netif_rx_ni() (netif_rx() now works in any context)
 * when: removed in 5.18
 */
#include <linux/netdevice.h>

int wgc_probe(struct sk_buff *skb);
int wgc_probe(struct sk_buff *skb)
{
	return netif_rx_ni(skb);
}
