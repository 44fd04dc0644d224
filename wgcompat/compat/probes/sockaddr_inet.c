// SPDX-License-Identifier: GPL-2.0
/*
 * probe: sockaddr_inet
 * define: WGC_HAVE_SOCKADDR_INET
 * kind: compile
 * detects: struct sockaddr_inet (sockaddr_in/in6 union)
 * when: 6.17
 */
#include <linux/socket.h>
#include <linux/in.h>
#include <linux/in6.h>

size_t wgc_probe(void);
size_t wgc_probe(void)
{
	return sizeof(struct sockaddr_inet);
}
