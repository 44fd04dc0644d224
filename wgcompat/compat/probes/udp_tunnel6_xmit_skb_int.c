// SPDX-License-Identifier: GPL-2.0
/*
 * probe: udp_tunnel6_xmit_skb_int
 * define: WGC_HAVE_UDP_TUNNEL6_XMIT_SKB_INT
 * kind: compile
 * detects: udp_tunnel6_xmit_skb() with 12 arguments returning int (non-const addresses)
 * when: it became void with const addresses between 6.2 and 6.12, and took ip6cb_flags in 6.17
 */
#include <net/udp_tunnel.h>

int wgc_probe(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
	      struct net_device *dev, struct in6_addr *a);
int wgc_probe(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
	      struct net_device *dev, struct in6_addr *a)
{
	int err = udp_tunnel6_xmit_skb(dst, sk, skb, dev, a, a, 0, 64, 0, 0, 0, false);

	return err;
}
