// SPDX-License-Identifier: GPL-2.0
/*
 * probe: udp_tunnel_xmit_skb_ipcb_flags
 * define: WGC_HAVE_UDP_TUNNEL_XMIT_SKB_IPCB_FLAGS
 * kind: compile
 * detects: udp_tunnel_xmit_skb(..., xnet, nocheck, u16 ipcb_flags)
 * when: 6.17
 */
#include <net/udp_tunnel.h>

void wgc_probe(struct rtable *rt, struct sock *sk, struct sk_buff *skb);
void wgc_probe(struct rtable *rt, struct sock *sk, struct sk_buff *skb)
{
	udp_tunnel_xmit_skb(rt, sk, skb, 0, 0, 0, 64, 0, 0, 0, false, false, 0);
}
