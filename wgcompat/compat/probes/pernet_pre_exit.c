// SPDX-License-Identifier: GPL-2.0
/*
 * probe: pernet_pre_exit
 * define: WGC_HAVE_PERNET_PRE_EXIT
 * kind: compile
 * detects: struct pernet_operations.pre_exit
 * when: 5.3
 */
#include <net/net_namespace.h>

static void wgc_probe_pre_exit(struct net *net)
{
}

struct pernet_operations wgc_probe_ops;
struct pernet_operations wgc_probe_ops = {
	.pre_exit = wgc_probe_pre_exit,
};
