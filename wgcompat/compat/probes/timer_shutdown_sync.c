// SPDX-License-Identifier: GPL-2.0
/*
 * probe: timer_shutdown_sync
 * define: WGC_HAVE_TIMER_SHUTDOWN_SYNC
 * kind: compile
 * detects: timer_shutdown_sync()
 * when: 6.2
 */
#include <linux/timer.h>

int wgc_probe(struct timer_list *t);
int wgc_probe(struct timer_list *t)
{
	return timer_shutdown_sync(t);
}
