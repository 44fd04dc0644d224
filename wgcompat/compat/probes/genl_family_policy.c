// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_family_policy
 * define: WGC_HAVE_GENL_FAMILY_POLICY
 * kind: compile
 * detects: one attribute policy per family in struct genl_family
 * when: 5.2 (before, each struct genl_ops carried its own .policy)
 */
#include <net/genetlink.h>

static const struct nla_policy wgc_probe_policy[2];
struct genl_family wgc_probe_family;
struct genl_family wgc_probe_family = {
	.maxattr = 1,
	.policy = wgc_probe_policy,
};
