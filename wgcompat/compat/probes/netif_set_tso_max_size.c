// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_set_tso_max_size
 * define: WGC_HAVE_NETIF_SET_TSO_MAX_SIZE
 * kind: compile
 * detects: netif_set_tso_max_size(dev, size)
 * when: 5.19
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	netif_set_tso_max_size(dev, 65536);
}
