// SPDX-License-Identifier: GPL-2.0
/*
 * The wireguard net_device (see device.h for the locking rules): link
 * creation and teardown, open/stop, and the pernet hook that deletes
 * devices whose sockets live in a namespace that is going away.
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

/* Every wireguard device of every namespace; under rtnl. */
static LIST_HEAD(wgdev_list);

static const struct device_type wgdev_type = { .name = "wireguard" };

static int wgdev_open(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);
	struct in_device *in_dev = __in_dev_get_rtnl(dev);
	struct inet6_dev *in6_dev = __in6_dev_get(dev);
	struct wgpeer *peer;
	int ret;

	if (in_dev)
		IN_DEV_CONF_SET(in_dev, SEND_REDIRECTS, 0);
	if (in6_dev)
		WRITE_ONCE(in6_dev->cnf.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE);

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
	list_for_each_entry(peer, &wg->peers, dev_entry) {
		wgtimers_cancel(peer);
		wg_keyslots_clear(&peer->slots);
		wg_handshake_clear(&peer->hs);
		skb_queue_purge(&peer->staged);
		WRITE_ONCE(peer->initiation_sent, false);
		peer->hs_attempts = 0;
	}
	wgsock_close(wg);
	mutex_unlock(&wg->update_lock);
	return 0;
}

static int wgdev_ndo_init(struct net_device *dev)
{
	return wgc_netdev_tstats_init(dev);
}

static void wgdev_ndo_uninit(struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);

	ASSERT_RTNL();
	list_del_init(&wg->dev_entry);
	wgc_netdev_tstats_free(dev);
}

static const struct net_device_ops wgdev_netdev_ops = {
	.ndo_init = wgdev_ndo_init,
	.ndo_uninit = wgdev_ndo_uninit,
	.ndo_open = wgdev_open,
	.ndo_stop = wgdev_stop,
	.ndo_start_xmit = wgtx_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
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

/* Frees what newlink built; the inverse order of wgdev_newlink(). */
static void wgdev_free_state(struct wgdev *wg)
{
	wg_ratelimiter_uninit();
	wgq_engine_free(&wg->handshakes);
	wgq_engine_free(&wg->decrypt);
	wgq_engine_free(&wg->encrypt);
	destroy_workqueue(wg->hs_wq);
	destroy_workqueue(wg->tx_wq);
	destroy_workqueue(wg->crypt_wq);
	kvfree(wg->index_table);
	kvfree(wg->key_table);
	wg_identity_wipe(&wg->id);
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
	wgdev_free_state(wg);
	mutex_destroy(&wg->sock_lock);
	mutex_destroy(&wg->update_lock);
}

static void wgdev_setup(struct net_device *dev)
{
	const netdev_features_t feats = NETIF_F_SG | NETIF_F_HW_CSUM |
		NETIF_F_RXCSUM | NETIF_F_HIGHDMA | NETIF_F_GSO |
		NETIF_F_GSO_SOFTWARE;
	struct wgdev *wg = wgdev_of(dev);

	memset(wg, 0, sizeof(*wg));
	dev->netdev_ops = &wgdev_netdev_ops;
	dev->header_ops = &ip_tunnel_header_ops;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = LL_MAX_HEADER + sizeof(struct ipv6hdr) +
			       sizeof(struct udphdr) + WG_DATA_OVERHEAD;
	dev->needed_tailroom = WG_PADDING_MULTIPLE + WG_AEAD_TAG_LEN;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	wgc_netdev_set_lltx(dev);
	dev->features |= feats;
	dev->hw_features |= feats;
	dev->hw_enc_features |= feats;
	dev->mtu = WG_DEFAULT_MTU;
	dev->min_mtu = 0;
	dev->max_mtu = round_down(INT_MAX, WG_PADDING_MULTIPLE) -
		       (sizeof(struct ipv6hdr) + sizeof(struct udphdr) +
			WG_DATA_OVERHEAD);
	dev->needs_free_netdev = true;
	SET_NETDEV_DEVTYPE(dev, &wgdev_type);
	netif_keep_dst(dev);
	wg->dev = dev;
}

static int wgdev_newlink_impl(struct net *link_net, struct net_device *dev,
			      struct netlink_ext_ack *extack)
{
	struct wgdev *wg = wgdev_of(dev);
	int ret = -ENOMEM;

	wg->dev = dev;
	wg->sock_net = link_net;
	mutex_init(&wg->update_lock);
	mutex_init(&wg->sock_lock);
	INIT_LIST_HEAD(&wg->peers);
	INIT_LIST_HEAD(&wg->dev_entry);
	wg_identity_init(&wg->id);
	aip_init(&wg->aips, &wg->update_lock);

	wg->key_table = wgm_key_table_alloc();
	if (!wg->key_table)
		goto err;
	wg->index_table = wgm_index_table_alloc();
	if (!wg->index_table)
		goto err_free_keys;
	wg->crypt_wq = alloc_workqueue("wg-crypt-%s", WQ_CPU_INTENSIVE |
				       WQ_MEM_RECLAIM | WQ_PERCPU, 0,
				       dev->name);
	if (!wg->crypt_wq)
		goto err_free_index;
	wg->tx_wq = alloc_workqueue("wg-tx-%s", WQ_MEM_RECLAIM | WQ_PERCPU,
				    0, dev->name);
	if (!wg->tx_wq)
		goto err_free_crypt_wq;
	wg->hs_wq = alloc_workqueue("wg-hs-%s", WQ_UNBOUND | WQ_FREEZABLE, 0,
				    dev->name);
	if (!wg->hs_wq)
		goto err_free_tx_wq;
	ret = wgq_engine_init(&wg->encrypt, wg->crypt_wq, WG_MAX_QUEUED_PACKETS,
			      wgtx_encrypt_one, wg);
	if (ret)
		goto err_free_hs_wq;
	ret = wgq_engine_init(&wg->decrypt, wg->crypt_wq, WG_MAX_QUEUED_PACKETS,
			      wgrx_decrypt_one, wg);
	if (ret)
		goto err_free_encrypt;
	ret = wgq_engine_init(&wg->handshakes, wg->crypt_wq,
			      WG_MAX_QUEUED_HANDSHAKES, wgrx_handshake_one, wg);
	if (ret)
		goto err_free_decrypt;
	ret = wg_ratelimiter_init();
	if (ret)
		goto err_free_handshakes;

	ret = register_netdevice(dev);
	if (ret)
		goto err_uninit_ratelimiter;
	/* Only now: a failed register must not run the destructor. */
	dev->priv_destructor = wgdev_destruct;
	list_add(&wg->dev_entry, &wgdev_list);
	return 0;

err_uninit_ratelimiter:
	wg_ratelimiter_uninit();
err_free_handshakes:
	wgq_engine_free(&wg->handshakes);
err_free_decrypt:
	wgq_engine_free(&wg->decrypt);
err_free_encrypt:
	wgq_engine_free(&wg->encrypt);
err_free_hs_wq:
	destroy_workqueue(wg->hs_wq);
err_free_tx_wq:
	destroy_workqueue(wg->tx_wq);
err_free_crypt_wq:
	destroy_workqueue(wg->crypt_wq);
err_free_index:
	kvfree(wg->index_table);
err_free_keys:
	kvfree(wg->key_table);
err:
	return ret;
}

WGC_RTNL_NEWLINK(wgdev_newlink, wgdev_newlink_impl)

static struct rtnl_link_ops wgdev_link_ops __read_mostly = {
	.kind = "wireguard",
	.priv_size = sizeof(struct wgdev),
	.setup = wgdev_setup,
	.newlink = wgdev_newlink,
};

/*
 * A namespace is dying: delete every device whose sockets live in it (the
 * kernel sockets hold no reference on it). Devices that live in it are
 * deleted by the core.
 */
static void wgdev_net_pre_exit(struct net *net)
{
	struct wgdev *wg, *tmp;
	LIST_HEAD(kill);

	rtnl_lock();
	list_for_each_entry_safe(wg, tmp, &wgdev_list, dev_entry) {
		if (wg->sock_net != net)
			continue;
		wgsock_close(wg);
		wg->sock_net = NULL;
		list_del_init(&wg->dev_entry);
		unregister_netdevice_queue(wg->dev, &kill);
	}
	unregister_netdevice_many(&kill);
	rtnl_unlock();
	wg_ratelimiter_forget_net(net);
}

static struct pernet_operations wgdev_net_ops = {
	.pre_exit = wgdev_net_pre_exit,
};

int wgdev_register(void)
{
	int ret;

	ret = register_pernet_device(&wgdev_net_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&wgdev_link_ops);
	if (ret)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_device(&wgdev_net_ops);
	return ret;
}

void wgdev_unregister(void)
{
	rtnl_link_unregister(&wgdev_link_ops);
	unregister_pernet_device(&wgdev_net_ops);
}
