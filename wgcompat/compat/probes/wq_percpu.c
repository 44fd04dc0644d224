// SPDX-License-Identifier: GPL-2.0
/*
 * probe: wq_percpu
 * define: WGC_HAVE_WQ_PERCPU
 * kind: compile
 * detects: the WQ_PERCPU workqueue flag
 * when: 6.17 (present in Debian 6.12.117)
 */
#include <linux/workqueue.h>

unsigned int wgc_probe(void);
unsigned int wgc_probe(void)
{
	return WQ_PERCPU;
}
