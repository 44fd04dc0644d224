// SPDX-License-Identifier: GPL-2.0
/*
 * Peer creation, removal and reference counting (see peer.h for the
 * lifetime and locking rules).
 */

#include "compat.h"
#include <linux/slab.h>
#include "peer.h"
#include "device.h"
#include "peerlookup.h"
#include "send.h"
#include "receive.h"
#include "timers.h"
#include "objcount.h"

struct wgpeer *wgpeer_create(struct wgdev *wg, const u8 public_key[WG_KEY_LEN],
			     const u8 *psk)
{
	struct wgpeer *peer;

	lockdep_assert_held(&wg->update_lock);
	if (wg->npeers >= WG_MAX_PEERS)
		return ERR_PTR(-ENOMEM);
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	if (dst_cache_init(&peer->dst_cache, GFP_KERNEL)) {
		kfree(peer);
		return ERR_PTR(-ENOMEM);
	}
	wg_obj_made(WG_OBJ_PEER);
	peer->wg = wg;
	kref_init(&peer->ref);
	INIT_LIST_HEAD(&peer->allowedips);
	INIT_HLIST_NODE(&peer->key_entry);
	peer->serial = wg->next_peer_serial++;
	wg_handshake_init(&peer->hs, &wg->id, public_key, psk, &wgm_index_ops,
			  wg->index_table, peer);
	wg_keyslots_init(&peer->slots);
	rwlock_init(&peer->ep_lock);
	atomic64_set(&peer->tx_bytes, 0);
	atomic64_set(&peer->rx_bytes, 0);
	atomic_long_set(&peer->last_handshake_sent, 0);
	seqlock_init(&peer->hs_time_lock);
	skb_queue_head_init(&peer->staged);
	wgq_order_init(&peer->tx_order);
	wgq_order_init(&peer->rx_order);
	INIT_WORK(&peer->tx_work, wgtx_work);
	INIT_WORK(&peer->initiation_work, wgtx_initiation_work);
	wgtimers_init(peer);
	wgc_netif_napi_add(wg->dev, &peer->napi, wgrx_poll);
	napi_enable(&peer->napi);

	list_add_tail(&peer->dev_entry, &wg->peers);
	++wg->npeers;
	wgm_key_table_add(wg, peer);
	return peer;
}

/* Makes the peer unreachable from every lookup; RCU readers may remain. */
static void wgpeer_unlink(struct wgpeer *peer)
{
	struct wgdev *wg = peer->wg;

	lockdep_assert_held(&wg->update_lock);
	WRITE_ONCE(peer->dead, true);
	aip_remove_peer(&wg->aips, peer);
	wgm_key_table_del(wg, peer);
	list_del_init(&peer->dev_entry);
	--wg->npeers;
	++wg->update_gen;
}

/*
 * Takes and drops a lock: whoever held it is done, and whoever takes it
 * next sees peer->dead.
 */
static void wgpeer_lock_barrier(spinlock_t *lock)
{
	spin_lock_bh(lock);
	spin_unlock_bh(lock);
}

/* A queued work item holds a reference; cancelling it drops that. */
static void wgpeer_cancel_work(struct wgpeer *peer, struct work_struct *work)
{
	if (cancel_work_sync(work))
		wgpeer_put(peer);
}

/* Frees the packets still queued for the peer, in either direction. */
static void wgpeer_drop_packets(struct wgpeer *peer)
{
	skb_queue_purge(&peer->staged);
	wgq_order_purge(&peer->tx_order);
	wgq_order_purge(&peer->rx_order);
}

/*
 * Stops everything that runs on behalf of an unlinked peer, after a grace
 * period, so no new packet or timer can reach it.
 */
static void wgpeer_stop(struct wgpeer *peer)
{
	wgtimers_shutdown(peer);
	/* No packet enters the engines for a dead peer after this. */
	wgpeer_lock_barrier(&peer->tx_order.list.lock);
	wgpeer_lock_barrier(&peer->rx_order.list.lock);

	wgpeer_cancel_work(peer, &peer->initiation_work);
	wgpeer_cancel_work(peer, &peer->clear_work);
	/* The crypto workers queue tx_work: they finish first. */
	flush_workqueue(peer->wg->crypt_wq);
	wgpeer_cancel_work(peer, &peer->tx_work);

	napi_disable(&peer->napi);
	netif_napi_del(&peer->napi);
	wgpeer_drop_packets(peer);
	wg_keyslots_clear(&peer->slots);
	wg_handshake_destroy(&peer->hs);
}

void wgpeer_remove(struct wgpeer *peer)
{
	wgpeer_unlink(peer);
	synchronize_net();
	wgpeer_stop(peer);
	wgpeer_put(peer);
}

void wgpeer_remove_all(struct wgdev *wg)
{
	struct wgpeer *peer, *tmp;
	LIST_HEAD(dying);

	lockdep_assert_held(&wg->update_lock);
	if (list_empty(&wg->peers))
		return;
	list_for_each_entry_safe(peer, tmp, &wg->peers, dev_entry) {
		wgpeer_unlink(peer);
		list_add_tail(&peer->dev_entry, &dying);
	}
	synchronize_net();
	list_for_each_entry_safe(peer, tmp, &dying, dev_entry) {
		list_del_init(&peer->dev_entry);
		wgpeer_stop(peer);
		wgpeer_put(peer);
	}
}

struct wgpeer *wgpeer_get_live(struct wgpeer *peer)
{
	if (!peer || !kref_get_unless_zero(&peer->ref))
		return NULL;
	return peer;
}

static void wgpeer_free_rcu(struct rcu_head *rcu)
{
	struct wgpeer *peer = container_of(rcu, struct wgpeer, rcu);

	dst_cache_destroy(&peer->dst_cache);
	kfree_sensitive(peer);
	wg_obj_freed(WG_OBJ_PEER);
}

static void wgpeer_release(struct kref *ref)
{
	struct wgpeer *peer = container_of(ref, struct wgpeer, ref);

	/*
	 * A handshake worker that held the last reference may have installed
	 * keys or an index after wgpeer_stop(): nothing may point here once
	 * the memory goes. Neither call sleeps.
	 */
	wg_keyslots_clear(&peer->slots);
	wgm_index_ops.remove(peer->wg->index_table, &peer->hs.index);
	call_rcu(&peer->rcu, wgpeer_free_rcu);
}

void wgpeer_put(struct wgpeer *peer)
{
	if (peer)
		kref_put(&peer->ref, wgpeer_release);
}

/*
 * The interface alone does not make a change: with asymmetric routes packets
 * to our source come in on another interface than ours leave by, and taking
 * that as new would drop the route cache every time.
 */
static bool wgpeer_endpoint_differs(const struct wgendpoint *cur,
				    const struct wgendpoint *ep)
{
	if (ep->addr.sa_family == AF_INET)
		return cur->addr.sa_family != AF_INET ||
		       memcmp(&cur->addr4, &ep->addr4, sizeof(ep->addr4)) ||
		       cur->src4 != ep->src4;
	return cur->addr.sa_family != AF_INET6 ||
	       memcmp(&cur->addr6, &ep->addr6, sizeof(ep->addr6)) ||
	       !ipv6_addr_equal(&cur->src6, &ep->src6);
}

void wgpeer_set_endpoint(struct wgpeer *peer, const struct wgendpoint *ep)
{
	bool changed;

	/*
	 * Every authenticated packet lands here; nearly all come from where
	 * the last one did. Compare under the read lock, so that decrypting
	 * CPUs do not serialise on the write lock for nothing.
	 */
	read_lock_bh(&peer->ep_lock);
	changed = wgpeer_endpoint_differs(&peer->ep, ep);
	read_unlock_bh(&peer->ep_lock);
	if (!changed)
		return;

	write_lock_bh(&peer->ep_lock);
	if (wgpeer_endpoint_differs(&peer->ep, ep)) {
		peer->ep = *ep;
		dst_cache_reset_now(&peer->dst_cache);
	}
	write_unlock_bh(&peer->ep_lock);
}

/*
 * Senders read the cache under ep_lock held for reading, so with it held for
 * writing the cached routes can be released at once (dst_cache_reset() only
 * marks them stale, and a stale route keeps its device, and the namespace
 * of that device, until this CPU sends again).
 */
void wgpeer_clear_src(struct wgpeer *peer)
{
	write_lock_bh(&peer->ep_lock);
	memset(&peer->ep.src6, 0, sizeof(peer->ep.src6));
	peer->ep.src_ifindex = 0;
	dst_cache_reset_now(&peer->dst_cache);
	write_unlock_bh(&peer->ep_lock);
}

bool wgpeer_has_endpoint(struct wgpeer *peer)
{
	return READ_ONCE(peer->ep.addr.sa_family) != 0;
}

void wgpeer_count_tx(struct wgpeer *peer, unsigned int bytes)
{
	lockdep_assert_in_softirq();
	atomic64_add(bytes, &peer->tx_bytes);
	dev_sw_netstats_tx_add(peer->wg->dev, 1, bytes);
}

void wgpeer_count_rx(struct wgpeer *peer, unsigned int bytes)
{
	lockdep_assert_in_softirq();
	atomic64_add(bytes, &peer->rx_bytes);
	dev_sw_netstats_rx_add(peer->wg->dev, bytes);
}
