// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_small_ops
 * define: WGC_HAVE_GENL_SMALL_OPS
 * kind: compile
 * detects: struct genl_small_ops and genl_family.small_ops/n_small_ops
 * when: 5.10
 */
#include <net/genetlink.h>

static const struct genl_small_ops wgc_probe_ops[1];
struct genl_family wgc_probe_family;
struct genl_family wgc_probe_family = {
	.small_ops = wgc_probe_ops,
	.n_small_ops = ARRAY_SIZE(wgc_probe_ops),
};
