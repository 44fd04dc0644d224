// SPDX-License-Identifier: GPL-2.0
/*
 * probe: rcu_replace_pointer
 * define: WGC_HAVE_RCU_REPLACE_POINTER
 * kind: compile
 * detects: rcu_replace_pointer(p, v, cond)
 * when: 5.5
 */
#include <linux/rcupdate.h>

struct wgc_probe_s {
	int a;
};

struct wgc_probe_s *wgc_probe(struct wgc_probe_s __rcu **slot, struct wgc_probe_s *v);
struct wgc_probe_s *wgc_probe(struct wgc_probe_s __rcu **slot, struct wgc_probe_s *v)
{
	return rcu_replace_pointer(*slot, v, true);
}
