// SPDX-License-Identifier: GPL-2.0
/*
 * probe: pernet_exit_rtnl
 * define: WGC_HAVE_PERNET_EXIT_RTNL
 * kind: compile
 * detects: struct pernet_operations.exit_rtnl (called with RTNL held)
 * when: 6.16, backported to 6.12.y
 */
#include <net/net_namespace.h>

static void wgc_probe_exit_rtnl(struct net *net, struct list_head *dev_kill_list)
{
}

struct pernet_operations wgc_probe_ops;
struct pernet_operations wgc_probe_ops = {
	.exit_rtnl = wgc_probe_exit_rtnl,
};
