// SPDX-License-Identifier: GPL-2.0
/*
 * probe: control
 * define: (none)
 * kind: control
 * detects: nothing: it must compile on every kernel; if it does not, the toolchain or the kernel tree is broken
 * when: always
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/udp_tunnel.h>
#include <net/genetlink.h>

int wgc_probe(struct net_device *dev);
int wgc_probe(struct net_device *dev)
{
	return dev->mtu;
}
