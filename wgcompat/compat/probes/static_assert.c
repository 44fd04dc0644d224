// SPDX-License-Identifier: GPL-2.0
/*
 * probe: static_assert
 * define: WGC_HAVE_STATIC_ASSERT
 * kind: compile
 * detects: static_assert() in <linux/build_bug.h>
 * when: 5.1
 */
#include <linux/build_bug.h>

static_assert(sizeof(int) == sizeof(int));
int wgc_probe(void);
int wgc_probe(void)
{
	static_assert(1, "inside a function, with a message");
	return 0;
}
