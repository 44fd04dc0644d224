// SPDX-License-Identifier: GPL-2.0
/*
 * probe: at_least_attr
 * define: WGC_HAVE_AT_LEAST_ATTR
 * kind: compile
 * detects: the at_least array-parameter annotation (u8 key[at_least 32]) used by the crypto headers
 * when: by 7.2
 */
#include <linux/compiler.h>
#include <linux/types.h>

u8 wgc_probe(const u8 key[at_least 32]);
u8 wgc_probe(const u8 key[at_least 32])
{
	return key[0];
}
