// SPDX-License-Identifier: GPL-2.0
/*
 * probe: totalram_pages_fn
 * define: WGC_HAVE_TOTALRAM_PAGES_FN
 * kind: compile
 * detects: totalram_pages() as a function
 * when: 5.0 (before: the variable totalram_pages)
 */
#include <linux/mm.h>

unsigned long wgc_probe(void);
unsigned long wgc_probe(void)
{
	return totalram_pages();
}
