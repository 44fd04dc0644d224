/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wireguard net_device: its private state, rtnl link ops, open/stop,
 * transmit entry point, and what happens when namespaces die.
 *
 * Locking:
 *  - rtnl: device creation/destruction, open/stop, the global device list
 *    (wgdev_list) and pernet teardown.
 *  - wg->update_lock (mutex): every configuration change (netlink SET,
 *    peers, allowed IPs, keys, port, fwmark) and the netlink dump. Taken
 *    inside rtnl when both are needed.
 *  - wg->sock_lock (mutex): replacing the socket pair; readers use RCU-bh.
 *  - the identity and handshake locks of noise.h, inside update_lock.
 */
#ifndef WGM_DEVICE_H
#define WGM_DEVICE_H

#include <linux/netdevice.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/workqueue.h>
#include <linux/hashtable.h>
#include <linux/siphash.h>
#include <net/sock.h>
#include "noise.h"
#include "allowedips.h"
#include "queueing.h"

#define WGM_PEER_HASH_BITS	11
#define WGM_INDEX_HASH_BITS	13

/* Peers by public key (peerlookup.c). */
struct wgm_key_table {
	siphash_key_t key;
	DECLARE_HASHTABLE(buckets, WGM_PEER_HASH_BITS);
};

/* Handshakes and keypairs by receiver index (peerlookup.c). */
struct wgm_index_table {
	spinlock_t lock;	/* writers; readers use RCU */
	DECLARE_HASHTABLE(buckets, WGM_INDEX_HASH_BITS);
};

struct wgdev {
	struct net_device *dev;
	struct list_head dev_entry;	/* wgdev_list, under rtnl */
	struct net *sock_net;		/* creating netns; not refcounted */

	struct mutex update_lock;
	struct mutex sock_lock;
	struct sock __rcu *sk4;
	struct sock __rcu *sk6;
	u16 port;			/* configured or bound listen port */
	u32 fwmark;
	u32 update_gen;			/* bumped on every SET */

	struct wg_identity id;

	struct list_head peers;		/* under update_lock */
	unsigned int npeers;
	u64 next_peer_serial;
	struct wgm_key_table *key_table;
	struct wgm_index_table *index_table;
	struct aip_table aips;

	struct workqueue_struct *crypt_wq;	/* per-CPU: engines */
	struct workqueue_struct *tx_wq;		/* per-peer senders */
	struct workqueue_struct *hs_wq;		/* initiations we send */
	struct wgq_engine encrypt;
	struct wgq_engine decrypt;
	struct wgq_engine handshakes;
	atomic64_t under_load_until_ns;
};

static inline struct wgdev *wgdev_of(struct net_device *dev)
{
	return netdev_priv(dev);
}

/* Module load and unload (main.c): the pernet hook and the link kind. */
int wgdev_net_hook_add(void);
void wgdev_net_hook_remove(void);
int wgdev_link_kind_add(void);
void wgdev_link_kind_remove(void);
/* Is @dev one of ours? */
bool wgdev_is_ours(const struct net_device *dev);

/* Stops sending on every peer's current keypair (private key change). */
void wgdev_expire_all_current(struct wgdev *wg);

#endif /* WGM_DEVICE_H */
