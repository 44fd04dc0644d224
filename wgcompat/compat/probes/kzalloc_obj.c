// SPDX-License-Identifier: GPL-2.0
/*
 * probe: kzalloc_obj
 * define: WGC_HAVE_KZALLOC_OBJ
 * kind: compile
 * detects: the typed allocators kzalloc_obj()/kvzalloc_objs()
 * when: 7.0 (backported into Debian 6.12.117)
 */
#include <linux/slab.h>

struct wgc_probe_s {
	int a;
};

struct wgc_probe_s *wgc_probe(void);
struct wgc_probe_s *wgc_probe(void)
{
	struct wgc_probe_s *s = kzalloc_obj(*s, GFP_KERNEL);

	return s;
}
