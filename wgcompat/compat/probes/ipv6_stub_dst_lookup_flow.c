// SPDX-License-Identifier: GPL-2.0
/*
 * probe: ipv6_stub_dst_lookup_flow
 * define: WGC_HAVE_IPV6_STUB_DST_LOOKUP_FLOW
 * kind: compile
 * detects: ipv6_stub->ipv6_dst_lookup_flow(net, sk, fl6, final) returning a dst
 * when: 5.5 (5.4.5 stable; before: ipv6_dst_lookup returning int); the stub is gone in 7.1
 */
#include <net/ipv6_stubs.h>

struct dst_entry *wgc_probe(struct net *net, const struct sock *sk, struct flowi6 *fl6);
struct dst_entry *wgc_probe(struct net *net, const struct sock *sk, struct flowi6 *fl6)
{
	return ipv6_stub->ipv6_dst_lookup_flow(net, sk, fl6, NULL);
}
