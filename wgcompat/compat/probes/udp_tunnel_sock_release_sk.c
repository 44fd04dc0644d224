// SPDX-License-Identifier: GPL-2.0
/*
 * probe: udp_tunnel_sock_release_sk
 * define: WGC_HAVE_UDP_TUNNEL_SOCK_RELEASE_SK
 * kind: compile
 * detects: udp_tunnel_sock_release(struct sock *)
 * when: 7.2 (7.1.5 stable); before they took a struct socket *
 */
#include <net/udp_tunnel.h>

void wgc_probe(struct sock *sk);
void wgc_probe(struct sock *sk)
{
	udp_tunnel_sock_release(sk);
}
