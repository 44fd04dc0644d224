// SPDX-License-Identifier: GPL-2.0
/*
 * probe: netif_napi_add_3args
 * define: WGC_HAVE_NETIF_NAPI_ADD_3ARGS
 * kind: compile
 * detects: netif_napi_add(dev, napi, poll) without a weight
 * when: 6.1 (before it took a fourth weight argument)
 */
#include <linux/netdevice.h>

static int wgc_probe_poll(struct napi_struct *napi, int budget)
{
	return 0;
}

void wgc_probe(struct net_device *dev, struct napi_struct *napi);
void wgc_probe(struct net_device *dev, struct napi_struct *napi)
{
	netif_napi_add(dev, napi, wgc_probe_poll);
}
