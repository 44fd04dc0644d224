// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_split_ops
 * define: WGC_HAVE_GENL_SPLIT_OPS
 * kind: compile
 * detects: struct genl_split_ops and genl_family.split_ops
 * when: 6.2
 */
#include <net/genetlink.h>

static const struct genl_split_ops wgc_probe_ops[1];
struct genl_family wgc_probe_family;
struct genl_family wgc_probe_family = {
	.split_ops = wgc_probe_ops,
	.n_split_ops = ARRAY_SIZE(wgc_probe_ops),
};
