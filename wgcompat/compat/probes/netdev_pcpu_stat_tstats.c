// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netdev_pcpu_stat_tstats
 * define: WGC_HAVE_NETDEV_PCPU_STAT_TSTATS
 * kind: compile
 * detects: dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS: the core allocates and frees per-CPU stats
 * when: 6.7, backported into 6.1.y
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
}
