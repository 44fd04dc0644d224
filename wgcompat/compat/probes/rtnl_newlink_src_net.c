// SPDX-License-Identifier: GPL-2.0
/*
 * probe: rtnl_newlink_src_net
 * define: WGC_HAVE_RTNL_NEWLINK_SRC_NET
 * kind: compile
 * detects: rtnl_link_ops.newlink(struct net *src_net, dev, tb, data, extack)
 * when: extack came in 4.13; replaced by rtnl_newlink_params in 6.15
 */
#include <net/rtnetlink.h>

static int wgc_probe_newlink(struct net *src_net, struct net_device *dev, struct nlattr *tb[],
			     struct nlattr *data[], struct netlink_ext_ack *extack)
{
	return src_net ? 0 : -EINVAL;
}

struct rtnl_link_ops wgc_probe_ops;
struct rtnl_link_ops wgc_probe_ops = {
	.newlink = wgc_probe_newlink,
};
