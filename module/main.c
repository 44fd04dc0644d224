// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry and exit: self-tests (WG_DEBUG builds), then the pernet
 * hook, the rtnl link kind and the generic netlink family, from one table.
 * Exit unregisters in reverse order; removing the link kind deletes every
 * device.
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

/*
 * What the module registers, in order; unloading, or a failed load, takes
 * them down in reverse. Removing the link kind deletes every device, so it
 * goes before the pernet hook those devices rely on.
 */
static const struct wgm_registration {
	const char *what;
	int (*add)(void);
	void (*remove)(void);
} wgm_registrations[] = {
	{ "pernet hook", wgdev_net_hook_add, wgdev_net_hook_remove },
	{ "link kind", wgdev_link_kind_add, wgdev_link_kind_remove },
	{ "generic netlink family", wgnl_family_add, wgnl_family_remove },
};

static void wgm_remove_first(unsigned int n)
{
	while (n--)
		wgm_registrations[n].remove();
}

static int __init wgm_init(void)
{
	unsigned int i;
	int ret;

	/*
	 * A failed load frees the module text after a grace period only:
	 * wait for the RCU callbacks the self-tests queued (keypair frees).
	 */
	if (!wgm_selftests()) {
		rcu_barrier();
		return -ENOTRECOVERABLE;
	}
	for (i = 0; i < ARRAY_SIZE(wgm_registrations); i++) {
		ret = wgm_registrations[i].add();
		if (ret) {
			pr_err("wireguard: cannot register the %s: %d\n",
			       wgm_registrations[i].what, ret);
			wgm_remove_first(i);
			rcu_barrier();
			return ret;
		}
	}
	pr_info("wireguard: WireGuard (wgcompat) " WGM_VERSION " loaded, crypto: "
		WGC_CRYPTO_IMPL "\n");
	return 0;
}

static void __exit wgm_exit(void)
{
	wgm_remove_first(ARRAY_SIZE(wgm_registrations));
	rcu_barrier();
}

module_init(wgm_init);
module_exit(wgm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard secure network tunnel (wgcompat)");
MODULE_INFO(crypto, WGC_CRYPTO_IMPL);
MODULE_AUTHOR("wgcompat developers");
MODULE_VERSION(WGM_VERSION);
MODULE_INFO(wgcompat_source, WGM_SOURCE);
MODULE_ALIAS_RTNL_LINK("wireguard");
MODULE_ALIAS_GENL_FAMILY(WG_GENL_NAME);
