// SPDX-License-Identifier: GPL-2.0
/*
 * probe: lockdep_assert_in_softirq
 * define: WGC_HAVE_LOCKDEP_ASSERT_IN_SOFTIRQ
 * kind: compile
 * detects: lockdep_assert_in_softirq()
 * when: 5.16 (before: no such assertion)
 */
#include <linux/lockdep.h>

void wgc_probe(void);
void wgc_probe(void)
{
	lockdep_assert_in_softirq();
}
