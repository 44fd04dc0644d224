// SPDX-License-Identifier: GPL-2.0
/*
 * probe: timer_delete_sync
 * define: WGC_HAVE_TIMER_DELETE_SYNC
 * kind: compile
 * detects: timer_delete_sync() (new name of del_timer_sync())
 * when: 6.2 (new names for del_timer_sync/del_timer)
 */
#include <linux/timer.h>

int wgc_probe(struct timer_list *t);
int wgc_probe(struct timer_list *t)
{
	return timer_delete_sync(t);
}
