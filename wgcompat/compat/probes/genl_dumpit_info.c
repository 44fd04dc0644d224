// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_dumpit_info
 * define: WGC_HAVE_GENL_DUMPIT_INFO
 * kind: compile
 * detects: genl_dumpit_info(cb) gives the parsed attributes of a dump request in .start
 * when: 5.5; from 6.6 it wraps a struct genl_info
 */
#include <net/genetlink.h>

const void *wgc_probe(struct netlink_callback *cb);
const void *wgc_probe(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb);
}
