// SPDX-License-Identifier: GPL-2.0
/*
 * probe: nla_policy_exact_len
 * define: WGC_HAVE_NLA_POLICY_EXACT_LEN
 * kind: compile
 * detects: the NLA_POLICY_EXACT_LEN() policy macro
 * when: 5.1
 */
#include <net/netlink.h>

const struct nla_policy wgc_probe_policy[2];
const struct nla_policy wgc_probe_policy[2] = {
	[1] = NLA_POLICY_EXACT_LEN(32),
};
