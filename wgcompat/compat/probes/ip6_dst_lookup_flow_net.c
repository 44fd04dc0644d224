// SPDX-License-Identifier: GPL-2.0
/*
 * probe: ip6_dst_lookup_flow_net
 * define: WGC_HAVE_IP6_DST_LOOKUP_FLOW_NET
 * kind: compile
 * detects: ip6_dst_lookup_flow(net, sk, fl6, final_dst)
 * when: 5.5 (took no net before)
 */
#include <net/ipv6.h>

struct dst_entry *wgc_probe(struct net *net, const struct sock *sk, struct flowi6 *fl6);
struct dst_entry *wgc_probe(struct net *net, const struct sock *sk, struct flowi6 *fl6)
{
	return ip6_dst_lookup_flow(net, sk, fl6, NULL);
}
