// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry and exit: self-tests (WG_DEBUG builds), then the rtnl link
 * kind, the pernet hook and the generic netlink family. Exit unregisters
 * in reverse order; unregistering the link kind deletes every device.
 * No locking of its own.
 */

#include "compat.h"
#include <linux/module.h>
#include <linux/init.h>
#include <linux/genetlink.h>
#include <net/rtnetlink.h>
#include "uapi/wireguard.h"
#include "device.h"
#include "netlink.h"

#ifdef WG_DEBUG
#include "crypto/selftest.h"
#include "selftest/selftest.h"
#include "allowedips.h"

static bool __init wgm_selftests(void)
{
	bool ok = true;

	/* Run them all, so that every verdict line is printed. */
	ok &= wgc_crypto_selftest();
	ok &= wg_selftest_messages();
	ok &= wg_selftest_replay();
	ok &= wg_selftest_ratelimiter();
	ok &= wg_selftest_cookie();
	ok &= wg_selftest_handshake();
	ok &= aip_selftest();
	return ok;
}
#else
static inline bool wgm_selftests(void)
{
	return true;
}
#endif

static int __init wgm_init(void)
{
	int ret;

	if (!wgm_selftests())
		return -ENOTRECOVERABLE;
	ret = wgdev_register();
	if (ret)
		return ret;
	ret = wgnl_register();
	if (ret)
		goto err_device;
	pr_info("wireguard: WireGuard (wgcompat) " WGM_VERSION " loaded\n");
	return 0;

err_device:
	wgdev_unregister();
	return ret;
}

static void __exit wgm_exit(void)
{
	wgnl_unregister();
	wgdev_unregister();
	rcu_barrier();
}

module_init(wgm_init);
module_exit(wgm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard secure network tunnel (wgcompat)");
MODULE_AUTHOR("wgcompat developers");
MODULE_VERSION(WGM_VERSION);
MODULE_ALIAS_RTNL_LINK("wireguard");
MODULE_ALIAS_GENL_FAMILY(WG_GENL_NAME);
