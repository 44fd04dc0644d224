// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_sw_netstats_rx_add
 * define: WGC_HAVE_DEV_SW_NETSTATS_RX_ADD
 * kind: compile
 * detects: dev_sw_netstats_rx_add(dev, len)
 * when: 5.10
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	dev_sw_netstats_rx_add(dev, 100);
}
