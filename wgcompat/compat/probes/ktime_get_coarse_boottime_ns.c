// SPDX-License-Identifier: GPL-2.0
/*
 * probe: ktime_get_coarse_boottime_ns
 * define: WGC_HAVE_KTIME_GET_COARSE_BOOTTIME_NS
 * kind: compile
 * detects: ktime_get_coarse_boottime_ns()
 * when: 5.3
 */
#include <linux/ktime.h>

u64 wgc_probe(void);
u64 wgc_probe(void)
{
	return ktime_get_coarse_boottime_ns() + ktime_get_boottime_ns();
}
