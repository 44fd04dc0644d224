// SPDX-License-Identifier: GPL-2.0
/*
 * The wireguard net_device (see device.h for the locking rules): link
 * creation and teardown, open/stop, and the pernet hook that closes the
 * sockets, and drops the peers' cached routes, of devices whose sockets
 * live in a namespace that is going away (the devices stay where they are).
 *
 * What a device owns besides its peers is listed once, in wgdev_parts[]:
 * newlink builds the parts front to back, and both a failed newlink and
 * the destructor take down what was built from back to front.
 */

#include "compat.h"
#include <linux/if_arp.h>
#include <linux/inetdevice.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>
#include <net/rtnetlink.h>
#include <net/ip_tunnels.h>
#include <net/net_namespace.h>
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"
#include "send.h"
#include "receive.h"
#include "timers.h"
#include "ratelimiter.h"
#include "objcount.h"

/* Every wireguard device of every namespace; under rtnl. */
static LIST_HEAD(wgdev_list);

static const struct device_type wgdev_type = { .name = "wireguard" };

/* Outer headers in front of a data message: IPv6 (the larger) and UDP. */

/* No ICMP redirects and no generated link-local address on a tunnel. */
static void wgdev_quiet_ip_config(struct net_device *dev)
{
	struct inet6_dev *v6 = __in6_dev_get(dev);
	struct in_device *v4 = __in_dev_get_rtnl(dev);

	if (v6)
		WRITE_ONCE(v6->cnf.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE);
	if (v4)
		IN_DEV_CONF_SET(v4, SEND_REDIRECTS, 0);
}

static int wgdev_open(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);
	struct wgpeer *peer;
	int ret;

	wgdev_quiet_ip_config(dev);
	mutex_lock(&wg->update_lock);
	ret = wgsock_open(wg, wg->port);
	if (!ret) {
		list_for_each_entry(peer, &wg->peers, dev_entry) {
			wgtx_flush_staged(peer);
			if (peer->keepalive_interval)
				wgtx_keepalive(peer);
		}
	}
	mutex_unlock(&wg->update_lock);
	return ret;
}

static int wgdev_stop(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);
	struct wgpeer *peer;

	mutex_lock(&wg->update_lock);
	/*
	 * Nothing new arrives once the socket is closed; handshake messages
	 * already queued must not install keys after the wipe below, which
	 * would then outlive the interface's session without an expiry.
	 */
	wgsock_close(wg);
	wgq_engine_drain(&wg->handshakes);
	list_for_each_entry(peer, &wg->peers, dev_entry) {
		wgtimers_cancel(peer);
		/* Before the clear: an initiation being built finishes first. */
		wgtx_reset_handshake_pacing(peer);
		wg_keyslots_clear(&peer->slots);
		wg_handshake_clear(&peer->hs);
		skb_queue_purge(&peer->staged);
		peer->hs_attempts = 0;
	}
	mutex_unlock(&wg->update_lock);
	return 0;
}

/* Leaves wgdev_list as the core unregisters the device (rtnl held). */
static void wgdev_forget(struct net_device *dev)
{
	ASSERT_RTNL();
	list_del_init(&wgdev_of(dev)->dev_entry);
}

static const struct net_device_ops wgdev_netdev_ops = {
	.ndo_open = wgdev_open,
	.ndo_stop = wgdev_stop,
	.ndo_start_xmit = wgtx_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_uninit = wgdev_forget,
};

bool wgdev_is_ours(const struct net_device *dev)
{
	return dev->netdev_ops == &wgdev_netdev_ops;
}

void wgdev_expire_all_current(struct wgdev *wg)
{
	struct wgpeer *peer;

	lockdep_assert_held(&wg->update_lock);
	list_for_each_entry(peer, &wg->peers, dev_entry)
		wg_keyslots_expire_current(&peer->slots);
}

/*
 * The parts. Each make() either builds its part whole or leaves nothing
 * behind; each drop() undoes exactly one successful make().
 */

static int wgdev_make_stats(struct wgdev *wg)
{
	return wgc_netdev_tstats_init(wg->dev);
}

static void wgdev_drop_stats(struct wgdev *wg)
{
	wgc_netdev_tstats_free(wg->dev);
}

static void wgdev_drop_tables(struct wgdev *wg)
{
	kvfree(wg->index_table);
	kvfree(wg->key_table);
	wg->index_table = NULL;
	wg->key_table = NULL;
}

static int wgdev_make_tables(struct wgdev *wg)
{
	wg->key_table = wgm_key_table_alloc();
	wg->index_table = wgm_index_table_alloc();
	if (wg->key_table && wg->index_table)
		return 0;
	wgdev_drop_tables(wg);
	return -ENOMEM;
}

static void wgdev_drop_workqueues(struct wgdev *wg)
{
	struct workqueue_struct **wqs[] = {
		&wg->hs_wq, &wg->tx_wq, &wg->crypt_wq
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wqs); i++) {
		if (*wqs[i])
			destroy_workqueue(*wqs[i]);
		*wqs[i] = NULL;
	}
}

/*
 * crypt_wq runs the per-CPU crypto engines, tx_wq the per-peer senders,
 * hs_wq the initiations we send (unbound: they may sleep on the identity).
 */
static int wgdev_make_workqueues(struct wgdev *wg)
{
	const char *name = wg->dev->name;

	wg->crypt_wq = alloc_workqueue("wg-crypt-%s", WQ_CPU_INTENSIVE |
				       WQ_MEM_RECLAIM | WQ_PERCPU, 0, name);
	wg->tx_wq = alloc_workqueue("wg-tx-%s", WQ_MEM_RECLAIM | WQ_PERCPU,
				    0, name);
	wg->hs_wq = alloc_workqueue("wg-hs-%s", WQ_UNBOUND | WQ_FREEZABLE, 0,
				    name);
	if (wg->crypt_wq && wg->tx_wq && wg->hs_wq)
		return 0;
	wgdev_drop_workqueues(wg);
	return -ENOMEM;
}

static void wgdev_drop_engines(struct wgdev *wg)
{
	wgq_engine_free(&wg->handshakes);
	wgq_engine_free(&wg->decrypt);
	wgq_engine_free(&wg->encrypt);
}

static int wgdev_make_engines(struct wgdev *wg)
{
	const struct {
		struct wgq_engine *engine;
		unsigned int depth;
		wgq_handler_t handler;
		bool counted;
	} spec[] = {
		{ &wg->encrypt, WG_MAX_QUEUED_PACKETS, wgtx_encrypt_one, false },
		{ &wg->decrypt, WG_MAX_QUEUED_PACKETS, wgrx_decrypt_one, false },
		{ &wg->handshakes, WG_MAX_QUEUED_HANDSHAKES, wgrx_handshake_one,
		  true },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(spec); i++) {
		ret = wgq_engine_init(spec[i].engine, wg->crypt_wq,
				      spec[i].depth, spec[i].handler, wg,
				      spec[i].counted);
		if (ret) {
			while (i--)
				wgq_engine_free(spec[i].engine);
			return ret;
		}
	}
	return 0;
}

/* The ratelimiter is shared by all devices and counts its users. */
static int wgdev_make_limiter(struct wgdev *wg)
{
	return wg_ratelimiter_init();
}

static void wgdev_drop_limiter(struct wgdev *wg)
{
	wg_ratelimiter_uninit();
}

static const struct wgdev_part {
	int (*make)(struct wgdev *wg);
	void (*drop)(struct wgdev *wg);
} wgdev_parts[] = {
	{ wgdev_make_stats, wgdev_drop_stats },
	{ wgdev_make_tables, wgdev_drop_tables },
	{ wgdev_make_workqueues, wgdev_drop_workqueues },
	{ wgdev_make_engines, wgdev_drop_engines },
	{ wgdev_make_limiter, wgdev_drop_limiter },
};

/* Drops the first @built parts, last built first. */
static void wgdev_drop_parts(struct wgdev *wg, unsigned int built)
{
	while (built--)
		wgdev_parts[built].drop(wg);
}

static int wgdev_make_parts(struct wgdev *wg)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(wgdev_parts); i++) {
		ret = wgdev_parts[i].make(wg);
		if (ret) {
			wgdev_drop_parts(wg, i);
			return ret;
		}
	}
	return 0;
}

static void wgdev_destruct(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);

	mutex_lock(&wg->update_lock);
	wgpeer_remove_all(wg);
	aip_free(&wg->aips);
	mutex_unlock(&wg->update_lock);
	wgsock_close(wg);	/* normally done by stop already */
	/* Packets of removed peers may still sit in the rings. */
	flush_workqueue(wg->crypt_wq);
	rcu_barrier();
	wgdev_drop_parts(wg, ARRAY_SIZE(wgdev_parts));
	wg_identity_wipe(&wg->id);
	mutex_destroy(&wg->sock_lock);
	mutex_destroy(&wg->update_lock);
	wg_obj_freed(WG_OBJ_DEVICE);
}

/*
 * A layer-3 point-to-point link: no link-layer header or address, no ARP,
 * no qdisc, and lockless transmit (peers serialise on their own queues).
 */
static void wgdev_setup_link_layer(struct net_device *dev)
{
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->header_ops = &ip_tunnel_header_ops;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	wgc_netdev_set_lltx(dev);
}

/*
 * Room for the outer headers in front and for padding plus the
 * authentication tag behind; an MTU whose padded, encapsulated size still
 * fits an int.
 */
static void wgdev_setup_sizes(struct net_device *dev)
{
	dev->needed_headroom = LL_MAX_HEADER + WGSOCK_OUTER_LEN +
			       WG_DATA_OVERHEAD;
	dev->needed_tailroom = WG_PADDING_MULTIPLE + WG_AEAD_TAG_LEN;
	dev->mtu = WG_DEFAULT_MTU;
	dev->min_mtu = 0;
	dev->max_mtu = round_down(INT_MAX, WG_PADDING_MULTIPLE) -
		       (WGSOCK_OUTER_LEN + WG_DATA_OVERHEAD);
}

/* Checksums are computed in software before encryption; GSO is split. */
static void wgdev_setup_offloads(struct net_device *dev)
{
	const netdev_features_t offloads = NETIF_F_SG | NETIF_F_HW_CSUM |
		NETIF_F_RXCSUM | NETIF_F_HIGHDMA | NETIF_F_GSO |
		NETIF_F_GSO_SOFTWARE;

	dev->features |= offloads;
	dev->hw_features |= offloads;
	dev->hw_enc_features |= offloads;
}

static void wgdev_setup(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);

	memset(wg, 0, sizeof(*wg));
	wg->dev = dev;
	dev->netdev_ops = &wgdev_netdev_ops;
	SET_NETDEV_DEVTYPE(dev, &wgdev_type);
	wgdev_setup_link_layer(dev);
	wgdev_setup_sizes(dev);
	wgdev_setup_offloads(dev);
	/* Keep the route on the skb: send.c reads its MTU. */
	netif_keep_dst(dev);
	dev->needs_free_netdev = true;
}

static int wgdev_newlink_impl(struct net *link_net, struct net_device *dev,
			      struct netlink_ext_ack *extack)
{
	struct wgdev *wg = wgdev_of(dev);
	int ret;

	wg->dev = dev;
	wg->sock_net = link_net;
	mutex_init(&wg->update_lock);
	mutex_init(&wg->sock_lock);
	INIT_LIST_HEAD(&wg->peers);
	INIT_LIST_HEAD(&wg->dev_entry);
	wg_identity_init(&wg->id);
	aip_init(&wg->aips, &wg->update_lock);

	ret = wgdev_make_parts(wg);
	if (ret)
		return ret;
	ret = register_netdevice(dev);
	if (ret) {
		wgdev_drop_parts(wg, ARRAY_SIZE(wgdev_parts));
		return ret;
	}
	/* Only now: a failed register must not run the destructor. */
	dev->priv_destructor = wgdev_destruct;
	wg_obj_made(WG_OBJ_DEVICE);
	list_add(&wg->dev_entry, &wgdev_list);
	return 0;
}

WGC_RTNL_NEWLINK(wgdev_newlink, wgdev_newlink_impl)

static struct rtnl_link_ops wgdev_link_ops __read_mostly = {
	.kind = "wireguard",
	.priv_size = sizeof(struct wgdev),
	.setup = wgdev_setup,
	.newlink = wgdev_newlink,
};

/*
 * Cuts @wg off from the namespace its sockets live in, which is dying: the
 * sockets go (they hold no reference on it), no new one can be opened
 * (wgsock_open() refuses without sock_net), and the peers' cached routes,
 * which hold that namespace's devices (its loopback at least), are released
 * at once. No sender finds a socket any more, so nothing fills them again.
 */
static void wgdev_orphan(struct wgdev *wg)
{
	struct wgpeer *peer;

	ASSERT_RTNL();
	wgsock_close(wg);
	WRITE_ONCE(wg->sock_net, NULL);
	mutex_lock(&wg->update_lock);
	list_for_each_entry(peer, &wg->peers, dev_entry)
		wgpeer_clear_src(peer);
	mutex_unlock(&wg->update_lock);
}

/*
 * A namespace is dying. Devices that live in it are deleted by the core; a
 * device moved elsewhere whose sockets live in it keeps its configuration
 * and is orphaned.
 */
static void wgdev_net_pre_exit(struct net *net)
{
	struct wgdev *wg;

	rtnl_lock();
	list_for_each_entry(wg, &wgdev_list, dev_entry)
		if (wg->sock_net == net)
			wgdev_orphan(wg);
	rtnl_unlock();
	wg_ratelimiter_forget_net(net);
}

static struct pernet_operations wgdev_net_ops = {
	WGC_PERNET_PRE_EXIT(wgdev_net_pre_exit)
};

int wgdev_net_hook_add(void)
{
	return register_pernet_device(&wgdev_net_ops);
}

void wgdev_net_hook_remove(void)
{
	unregister_pernet_device(&wgdev_net_ops);
}

int wgdev_link_kind_add(void)
{
	return rtnl_link_register(&wgdev_link_ops);
}

/* Deletes every wireguard device of every namespace. */
void wgdev_link_kind_remove(void)
{
	rtnl_link_unregister(&wgdev_link_ops);
}
