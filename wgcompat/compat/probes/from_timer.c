// SPDX-License-Identifier: GPL-2.0
/*
 * probe: from_timer
 * define: WGC_HAVE_FROM_TIMER
 * kind: compile
 * detects: from_timer(var, timer, field)
 * when: 4.15; removed after the 6.16 rename
 */
#include <linux/timer.h>

struct wgc_probe_s {
	struct timer_list t;
};

struct wgc_probe_s *wgc_probe(struct timer_list *t);
struct wgc_probe_s *wgc_probe(struct timer_list *t)
{
	struct wgc_probe_s *s = from_timer(s, t, t);

	return s;
}
