// SPDX-License-Identifier: GPL-2.0
/*
 * probe: dev_get_tstats64
 * define: WGC_HAVE_DEV_GET_TSTATS64
 * kind: compile
 * detects: dev_get_tstats64() for ndo_get_stats64
 * when: 5.11 (before: ip_tunnel_get_stats64)
 */
#include <linux/netdevice.h>

const struct net_device_ops wgc_probe_ops;
const struct net_device_ops wgc_probe_ops = {
	.ndo_get_stats64 = dev_get_tstats64,
};
