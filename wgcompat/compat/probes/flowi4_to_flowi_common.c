// SPDX-License-Identifier: GPL-2.0
/*
 * probe: flowi4_to_flowi_common
 * define: WGC_HAVE_FLOWI4_TO_FLOWI_COMMON
 * kind: compile
 * detects: flowi4_to_flowi_common()
 * when: 5.11 (5.10.121 stable)
 */
#include <net/flow.h>

struct flowi_common *wgc_probe(struct flowi4 *fl4);
struct flowi_common *wgc_probe(struct flowi4 *fl4)
{
	return flowi4_to_flowi_common(fl4);
}
