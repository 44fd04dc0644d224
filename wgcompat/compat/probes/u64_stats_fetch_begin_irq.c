// SPDX-License-Identifier: GPL-2.0
/*
 * probe: u64_stats_fetch_begin_irq
 * define: WGC_HAVE_U64_STATS_FETCH_BEGIN_IRQ
 * kind: compile
 * detects: u64_stats_fetch_begin_irq()/_retry_irq()
 * when: removed in 6.2
 */
#include <linux/u64_stats_sync.h>

bool wgc_probe(struct u64_stats_sync *syncp);
bool wgc_probe(struct u64_stats_sync *syncp)
{
	unsigned int start = u64_stats_fetch_begin_irq(syncp);

	return u64_stats_fetch_retry_irq(syncp, start);
}
