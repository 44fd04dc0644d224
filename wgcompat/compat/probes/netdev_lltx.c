// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netdev_lltx
 * define: WGC_HAVE_NETDEV_LLTX
 * kind: compile
 * detects: the dev->lltx bit that replaces NETIF_F_LLTX
 * when: 6.12
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	dev->lltx = true;
}
