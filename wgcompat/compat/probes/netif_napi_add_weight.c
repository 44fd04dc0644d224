// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_napi_add_weight
 * define: WGC_HAVE_NETIF_NAPI_ADD_WEIGHT
 * kind: compile
 * detects: netif_napi_add_weight(dev, napi, poll, weight)
 * when: 5.19
 */
#include <linux/netdevice.h>

static int wgc_probe_poll(struct napi_struct *napi, int budget)
{
	return 0;
}

void wgc_probe(struct net_device *dev, struct napi_struct *napi);
void wgc_probe(struct net_device *dev, struct napi_struct *napi)
{
	netif_napi_add_weight(dev, napi, wgc_probe_poll, 64);
}
