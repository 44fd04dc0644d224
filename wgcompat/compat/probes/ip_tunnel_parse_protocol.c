// SPDX-License-Identifier: GPL-2.0
/*
 * probe: ip_tunnel_parse_protocol
 * define: WGC_HAVE_IP_TUNNEL_PARSE_PROTOCOL
 * kind: compile
 * detects: ip_tunnel_parse_protocol() and ip_tunnel_header_ops
 * when: 5.8
 */
#include <net/ip_tunnels.h>

__be16 wgc_probe(struct sk_buff *skb);
__be16 wgc_probe(struct sk_buff *skb)
{
	return ip_tunnel_header_ops.parse_protocol == ip_tunnel_parse_protocol ?
	       ip_tunnel_parse_protocol(skb) : 0;
}
