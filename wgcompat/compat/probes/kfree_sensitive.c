// SPDX-License-Identifier: GPL-2.0
/*
 * probe: kfree_sensitive
 * define: WGC_HAVE_KFREE_SENSITIVE
 * kind: compile
 * detects: kfree_sensitive() (renamed from kzfree)
 * when: 5.9; kzfree removed in 5.10
 */
#include <linux/slab.h>

void wgc_probe(void *p);
void wgc_probe(void *p)
{
	kfree_sensitive(p);
}
