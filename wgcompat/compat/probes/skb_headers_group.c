// SPDX-License-Identifier: GPL-2.0
/*
 * probe: skb_headers_group
 * define: WGC_HAVE_SKB_HEADERS_GROUP
 * kind: compile
 * detects: struct_group skb->headers (replaces headers_start/headers_end)
 * when: 5.17
 */
#include <linux/skbuff.h>

size_t wgc_probe(struct sk_buff *skb);
size_t wgc_probe(struct sk_buff *skb)
{
	return sizeof(skb->headers);
}
