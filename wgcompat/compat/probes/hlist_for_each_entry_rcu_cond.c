// SPDX-License-Identifier: GPL-2.0
/*
 * probe: hlist_for_each_entry_rcu_cond
 * define: WGC_HAVE_HLIST_FOR_EACH_ENTRY_RCU_COND
 * kind: compile
 * detects: the optional lockdep condition of hlist_for_each_entry_rcu()
 * when: 5.4
 */
#include <linux/rculist.h>

struct wgc_probe_node {
	struct hlist_node node;
};

int wgc_probe(struct hlist_head *head);
int wgc_probe(struct hlist_head *head)
{
	struct wgc_probe_node *pos;
	int n = 0;

	hlist_for_each_entry_rcu(pos, head, node, true)
		n++;
	return n;
}
