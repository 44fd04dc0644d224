// SPDX-License-Identifier: GPL-2.0
/*
 * probe: udp_tunnel6_xmit_skb_ip6cb_flags
 * define: WGC_HAVE_UDP_TUNNEL6_XMIT_SKB_IP6CB_FLAGS
 * kind: compile
 * detects: udp_tunnel6_xmit_skb(..., nocheck, u16 ip6cb_flags)
 * when: 6.17
 */
#include <net/udp_tunnel.h>

void wgc_probe(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
	       struct net_device *dev, const struct in6_addr *a);
void wgc_probe(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
	       struct net_device *dev, const struct in6_addr *a)
{
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, a, a, 0, 64, 0, 0, 0, false, 0);
}
