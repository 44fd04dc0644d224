// SPDX-License-Identifier: GPL-2.0
/*
 * probe: del_timer_sync
 * define: WGC_HAVE_DEL_TIMER_SYNC
 * kind: compile
 * detects: the old names del_timer_sync() and del_timer()
 * when: gone by 7.2 (the tree switched to timer_delete* in 6.15)
 */
#include <linux/timer.h>

int wgc_probe(struct timer_list *t);
int wgc_probe(struct timer_list *t)
{
	return del_timer_sync(t) + del_timer(t);
}
