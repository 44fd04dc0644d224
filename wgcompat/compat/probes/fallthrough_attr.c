// SPDX-License-Identifier: GPL-2.0
/*
 * probe: fallthrough_attr
 * define: WGC_HAVE_FALLTHROUGH
 * kind: compile
 * detects: the fallthrough pseudo-keyword
 * when: 5.4
 */
#include <linux/compiler.h>

int wgc_probe(int x);
int wgc_probe(int x)
{
	switch (x) {
	case 1:
		x++;
		fallthrough;
	default:
		return x;
	}
}
