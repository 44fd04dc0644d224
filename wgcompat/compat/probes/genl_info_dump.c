// SPDX-License-Identifier: GPL-2.0
/*
 * probe: genl_info_dump
 * define: WGC_HAVE_GENL_INFO_DUMP
 * kind: compile
 * detects: genl_info_dump(cb) returns the struct genl_info of a dump
 * when: 6.6
 */
#include <net/genetlink.h>

const struct genl_info *wgc_probe(struct netlink_callback *cb);
const struct genl_info *wgc_probe(struct netlink_callback *cb)
{
	return genl_info_dump(cb);
}
