// SPDX-License-Identifier: GPL-2.0
/*
 * probe: ip_tunnel_flags_bitmap
 * define: WGC_HAVE_IP_TUNNEL_FLAGS_BITMAP
 * kind: compile
 * detects: ip_tunnel flags as bitmaps (IP_TUNNEL_DECLARE_FLAGS)
 * when: 6.10 (before: __be16 TUNNEL_* flags)
 */
#include <net/ip_tunnels.h>

bool wgc_probe(void);
bool wgc_probe(void)
{
	IP_TUNNEL_DECLARE_FLAGS(flags) = { };

	__set_bit(IP_TUNNEL_KEY_BIT, flags);
	return test_bit(IP_TUNNEL_KEY_BIT, flags);
}
