// SPDX-License-Identifier: GPL-2.0
/*
 * probe: rtnl_newlink_params
 * define: WGC_HAVE_RTNL_NEWLINK_PARAMS
 * kind: compile
 * detects: rtnl_link_ops.newlink(dev, struct rtnl_newlink_params *, extack) and rtnl_newlink_link_net()
 * when: 6.15 (before: newlink(src_net, dev, tb, data, extack))
 */
#include <net/rtnetlink.h>

static int wgc_probe_newlink(struct net_device *dev, struct rtnl_newlink_params *params,
			     struct netlink_ext_ack *extack)
{
	return rtnl_newlink_link_net(params) ? 0 : -EINVAL;
}

struct rtnl_link_ops wgc_probe_ops;
struct rtnl_link_ops wgc_probe_ops = {
	.newlink = wgc_probe_newlink,
};
