/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A configured remote peer: its handshake and keypairs (noise.h), its
 * endpoint, its queues, timers and counters.
 *
 * Lifetime: a peer is refcounted (kref). The device's peer list holds one
 * reference until wgpeer_remove(); every queued packet and every running
 * timer or work item holds the peer through the device, which waits for
 * them in wgpeer_remove(). Readers found by RCU lookup (allowed IPs, public
 * key, index) must use wgpeer_get_live() before leaving the RCU section.
 * The memory is freed after a grace period.
 *
 * Locking: creation and removal run under the device's update_lock
 * (lockdep-asserted). The endpoint is protected by ep_lock (rwlock, BH).
 * The staged queue uses its own sk_buff_head lock. Timers and counters are
 * lockless (atomics, timer API).
 */
#ifndef WGM_PEER_H
#define WGM_PEER_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/dst_cache.h>
#include "noise.h"
#include "queueing.h"

struct wgdev;

/* The protocol timers of a peer (timers.c), indexes into peer->timers. */
enum wgtimer_id {
	WGT_RETRANSMIT,		/* an initiation went unanswered */
	WGT_KEEPALIVE,		/* received data wants an answer */
	WGT_NEW_HANDSHAKE,	/* sent data went unanswered */
	WGT_ZERO_KEYS,		/* no new session for too long */
	WGT_PERSISTENT,		/* the configured keepalive interval */
	WGT_NTIMERS
};

/* Where a peer is reached, and the local source that reaches it. */
struct wgendpoint {
	union {
		struct sockaddr addr;	/* sa_family 0: none */
		struct sockaddr_in addr4;
		struct sockaddr_in6 addr6;
	};
	union {			/* sticky source, 0 or :: if none */
		__be32 src4;
		struct in6_addr src6;
	};
	int src_ifindex;	/* src's interface, 0: unknown (socket.c) */
};

struct wgpeer {
	struct wgdev *wg;
	struct kref ref;
	struct rcu_head rcu;
	struct list_head dev_entry;	/* wg->peers, under update_lock */
	struct hlist_node key_entry;	/* public-key table, RCU */
	struct list_head allowedips;	/* struct aip_node, under update_lock */
	u64 serial;			/* creation order, for messages */
	bool dead;			/* set once by wgpeer_remove() */

	struct wg_handshake hs;
	struct wg_keyslots slots;

	rwlock_t ep_lock;
	struct wgendpoint ep;
	struct dst_cache dst_cache;

	atomic64_t tx_bytes;
	atomic64_t rx_bytes;
	u16 keepalive_interval;		/* persistent keepalive, seconds */

	/* Timers (timers.c). */
	struct timer_list timers[WGT_NTIMERS];	/* by enum wgtimer_id */
	unsigned int hs_attempts;
	bool keepalive_again;
	bool lastminute_sent;
	/* jiffies of the last initiation or response sent */
	atomic_long_t last_handshake_sent;
	bool handshake_sent;		/* last_handshake_sent is meaningful */
	seqlock_t hs_time_lock;
	struct timespec64 last_handshake;	/* wall clock, 0 if never */

	/* Packets (send.c, receive.c, queueing.c). */
	struct sk_buff_head staged;	/* plaintext waiting for a key */
	struct wgq_order tx_order;	/* encrypted in parallel, sent in order */
	/* packets in tx_order's chains; under tx_order.list.lock */
	unsigned int tx_queued;
	struct wgq_order rx_order;	/* decrypted in parallel, delivered in order */
	struct work_struct tx_work;	/* sends finished tx_order packets */
	struct work_struct initiation_work;	/* builds and sends an initiation */
	struct work_struct clear_work;	/* wipes the handshake (zero_keys) */
	struct napi_struct napi;	/* delivers finished rx_order packets */
};

struct wgpeer *wgpeer_create(struct wgdev *wg, const u8 public_key[WG_KEY_LEN],
			     const u8 *psk);
void wgpeer_remove(struct wgpeer *peer);
void wgpeer_remove_all(struct wgdev *wg);

static inline struct wgpeer *wgpeer_get(struct wgpeer *peer)
{
	kref_get(&peer->ref);
	return peer;
}

/* Reference to a peer found under RCU, or NULL if it is going away. */
struct wgpeer *wgpeer_get_live(struct wgpeer *peer);
void wgpeer_put(struct wgpeer *peer);

/* Endpoint helpers (socket.c uses these under ep_lock). */
void wgpeer_set_endpoint(struct wgpeer *peer, const struct wgendpoint *ep);
void wgpeer_clear_src(struct wgpeer *peer);
bool wgpeer_has_endpoint(struct wgpeer *peer);

/*
 * Adds WireGuard message bytes to the peer and the device counters. With BH
 * disabled: the device counters are per CPU and softirq updates them too.
 */
void wgpeer_count_tx(struct wgpeer *peer, unsigned int bytes);
void wgpeer_count_rx(struct wgpeer *peer, unsigned int bytes);

#endif /* WGM_PEER_H */
