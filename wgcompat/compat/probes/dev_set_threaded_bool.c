// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_set_threaded_bool
 * define: WGC_HAVE_DEV_SET_THREADED_BOOL
 * kind: compile
 * detects: dev_set_threaded(dev, true) compiles (threaded NAPI before netif_threaded_enable)
 * when: 5.12 (its second argument is an enum from 6.17; true still converts)
 */
#include <linux/netdevice.h>

int wgc_probe(struct net_device *dev);
int wgc_probe(struct net_device *dev)
{
	return dev_set_threaded(dev, true);
}
