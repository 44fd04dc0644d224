// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_get_hash_symmetric_net
 * define: WGC_HAVE_SKB_GET_HASH_SYMMETRIC_NET
 * kind: compile
 * detects: __skb_get_hash_symmetric_net(net, skb)
 * when: 6.10 (__skb_get_hash_symmetric became a wrapper)
 */
#include <linux/skbuff.h>

u32 wgc_probe(const struct net *net, const struct sk_buff *skb);
u32 wgc_probe(const struct net *net, const struct sk_buff *skb)
{
	return __skb_get_hash_symmetric_net(net, skb);
}
