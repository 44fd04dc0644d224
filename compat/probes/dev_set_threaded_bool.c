// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_set_threaded_bool
 * define: WGC_HAVE_DEV_SET_THREADED_BOOL
 * kind: compile
 * detects: dev_set_threaded(dev, bool)
 * when: 5.12; its second argument became an enum in 6.17
 */
#include <linux/netdevice.h>

int wgc_probe(struct net_device *dev);
int wgc_probe(struct net_device *dev)
{
	return dev_set_threaded(dev, true);
}
