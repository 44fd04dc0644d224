// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_ops_policy
 * define: WGC_HAVE_GENL_OPS_POLICY
 * kind: compile
 * detects: per-operation .policy and .maxattr in struct genl_ops
 * when: 5.10 (before, the policy was per family)
 */
#include <net/genetlink.h>

static const struct nla_policy wgc_probe_policy[2];
struct genl_ops wgc_probe_op;
struct genl_ops wgc_probe_op = {
	.policy = wgc_probe_policy,
	.maxattr = 1,
};
