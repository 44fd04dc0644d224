// SPDX-License-Identifier: GPL-2.0
/*
 * probe: header_ops_parse_protocol
 * define: WGC_HAVE_HEADER_OPS_PARSE_PROTOCOL
 * kind: compile
 * detects: struct header_ops.parse_protocol (how af_packet learns a headerless device's protocol)
 * when: present in 5.4 (not in very old kernels); ip_tunnel_header_ops using it came in 5.8
 */
#include <linux/netdevice.h>

static __be16 wgc_probe_parse(const struct sk_buff *skb)
{
	return 0;
}

const struct header_ops wgc_probe_ops;
const struct header_ops wgc_probe_ops = {
	.parse_protocol = wgc_probe_parse,
};
