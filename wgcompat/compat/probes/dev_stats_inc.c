// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_stats_inc
 * define: WGC_HAVE_DEV_STATS_INC
 * kind: compile
 * detects: DEV_STATS_INC()/DEV_STATS_ADD() on atomic dev->stats
 * when: 6.2 (6.1.2 stable)
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_ADD(dev, rx_bytes, 10);
}
