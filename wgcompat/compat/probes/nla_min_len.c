// SPDX-License-Identifier: GPL-2.0
/*
 * probe: nla_min_len
 * define: WGC_HAVE_NLA_MIN_LEN
 * kind: compile
 * detects: the NLA_MIN_LEN policy type (a minimum length, nothing else checked)
 * when: 4.20 (before: NLA_UNSPEC with .len set checks the same minimum)
 */
#include <net/netlink.h>

const struct nla_policy wgc_probe_policy[2];
const struct nla_policy wgc_probe_policy[2] = {
	[1] = { .type = NLA_MIN_LEN, .len = 4 },
};
