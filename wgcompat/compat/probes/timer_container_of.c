// SPDX-License-Identifier: GPL-2.0
/*
 * probe: timer_container_of
 * define: WGC_HAVE_TIMER_CONTAINER_OF
 * kind: compile
 * detects: timer_container_of(var, timer, field)
 * when: 6.16 (before: from_timer)
 */
#include <linux/timer.h>

struct wgc_probe_s {
	struct timer_list t;
};

struct wgc_probe_s *wgc_probe(struct timer_list *t);
struct wgc_probe_s *wgc_probe(struct timer_list *t)
{
	struct wgc_probe_s *s = timer_container_of(s, t, t);

	return s;
}
