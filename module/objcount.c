// SPDX-License-Identifier: GPL-2.0
/*
 * objcount.c - the WG_DEBUG object counters and their module parameter
 * (see objcount.h).
 */
#include "compat.h"
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include "objcount.h"

static atomic_long_t wg_objs[WG_OBJ_KINDS];

static const char *const wg_obj_names[WG_OBJ_KINDS] = {
	[WG_OBJ_DEVICE] = "devices",
	[WG_OBJ_PEER] = "peers",
	[WG_OBJ_KEYPAIR] = "keypairs",
	[WG_OBJ_AIP_NODE] = "aip_nodes",
};

void wg_obj_made(enum wg_obj kind)
{
	atomic_long_inc(&wg_objs[kind]);
}

void wg_obj_freed(enum wg_obj kind)
{
	WARN_ON_ONCE(atomic_long_dec_return(&wg_objs[kind]) < 0);
}

static int wg_obj_show(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < WG_OBJ_KINDS; i++)
		n += scnprintf(buf + n, PAGE_SIZE - n, "%s%s %ld", i ? " " : "",
			       wg_obj_names[i],
			       atomic_long_read(&wg_objs[i]));
	n += scnprintf(buf + n, PAGE_SIZE - n, "\n");
	return n;
}

/* Read-only; the load-time parser calls .set unconditionally. */
static int wg_obj_refuse(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops wg_obj_ops = {
	.set = wg_obj_refuse,
	.get = wg_obj_show,
};

module_param_cb(objects, &wg_obj_ops, NULL, 0444);
MODULE_PARM_DESC(objects,
		 "debug builds only: live devices, peers, keypairs, allowed-IP nodes");
