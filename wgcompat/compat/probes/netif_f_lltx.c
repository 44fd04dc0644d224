// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_f_lltx
 * define: WGC_HAVE_NETIF_F_LLTX
 * kind: compile
 * detects: the NETIF_F_LLTX feature flag
 * when: removed in 6.12
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	dev->features |= NETIF_F_LLTX;
}
