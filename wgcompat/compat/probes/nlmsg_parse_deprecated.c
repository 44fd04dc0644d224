// SPDX-License-Identifier: GPL-2.0
/*
 * probe: nlmsg_parse_deprecated
 * define: WGC_HAVE_NLMSG_PARSE_DEPRECATED
 * kind: compile
 * detects: nlmsg_parse_deprecated() (liberal parsing; plain nlmsg_parse() became strict)
 * when: 5.2
 */
#include <net/netlink.h>

int wgc_probe(const struct nlmsghdr *nlh, struct nlattr **tb, const struct nla_policy *policy);
int wgc_probe(const struct nlmsghdr *nlh, struct nlattr **tb, const struct nla_policy *policy)
{
	return nlmsg_parse_deprecated(nlh, 4, tb, 1, policy, NULL);
}
