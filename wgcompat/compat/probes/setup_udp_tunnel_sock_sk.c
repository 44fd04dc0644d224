// SPDX-License-Identifier: GPL-2.0
/*
 * probe: setup_udp_tunnel_sock_sk
 * define: WGC_HAVE_SETUP_UDP_TUNNEL_SOCK_SK
 * kind: compile
 * detects: setup_udp_tunnel_sock(net, struct sock *, cfg)
 * when: 7.2 (7.1.5 stable); before they took a struct socket *
 */
#include <net/udp_tunnel.h>

void wgc_probe(struct net *net, struct sock *sk, struct udp_tunnel_sock_cfg *cfg);
void wgc_probe(struct net *net, struct sock *sk, struct udp_tunnel_sock_cfg *cfg)
{
	setup_udp_tunnel_sock(net, sk, cfg);
}
