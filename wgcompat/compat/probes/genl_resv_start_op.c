// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_resv_start_op
 * define: WGC_HAVE_GENL_RESV_START_OP
 * kind: compile
 * detects: genl_family.resv_start_op (strict validation of new commands)
 * when: 6.1
 */
#include <net/genetlink.h>

struct genl_family wgc_probe_family;
struct genl_family wgc_probe_family = {
	.resv_start_op = 2,
};
