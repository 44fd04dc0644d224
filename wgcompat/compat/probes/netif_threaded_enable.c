// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_threaded_enable
 * define: WGC_HAVE_NETIF_THREADED_ENABLE
 * kind: compile
 * detects: netif_threaded_enable(dev)
 * when: 6.17
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	netif_threaded_enable(dev);
}
