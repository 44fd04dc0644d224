// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_sw_netstats_tx_add
 * define: WGC_HAVE_DEV_SW_NETSTATS_TX_ADD
 * kind: compile
 * detects: dev_sw_netstats_tx_add(dev, packets, len)
 * when: 5.11
 */
#include <linux/netdevice.h>

void wgc_probe(struct net_device *dev);
void wgc_probe(struct net_device *dev)
{
	dev_sw_netstats_tx_add(dev, 1, 100);
}
