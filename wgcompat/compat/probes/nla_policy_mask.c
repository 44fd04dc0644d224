// SPDX-License-Identifier: GPL-2.0
/*
 * probe: nla_policy_mask
 * define: WGC_HAVE_NLA_POLICY_MASK
 * kind: compile
 * detects: the NLA_POLICY_MASK() policy macro
 * when: 5.10
 */
#include <net/netlink.h>

const struct nla_policy wgc_probe_policy[2];
const struct nla_policy wgc_probe_policy[2] = {
	[1] = NLA_POLICY_MASK(NLA_U32, 0x3),
};
