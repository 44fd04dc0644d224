/* SPDX-License-Identifier: GPL-2.0 */
/*
 * noise.h - the Noise_IKpsk2 handshake and the transport keypairs it yields.
 *
 * Owns:
 *  - struct wg_identity: the device's static key pair and its cookie checker.
 *  - struct wg_handshake: one peer's handshake state (remote static key,
 *    precomputed static-static DH, preshared key, chaining key, hash,
 *    ephemeral, remote index, replay/flood guards) and its cookie jar.
 *  - struct wg_keypair: a refcounted pair of transport keys with the sending
 *    counter and the receiving replay window.
 *  - struct wg_keyslots: a peer's previous/current/next keypairs and the
 *    rotation rules.
 * It does no I/O: message structs go in and out, the caller sends/receives.
 *
 * Locking (outer to inner):
 *  1. wg_identity.lock, an rw_semaphore. Writers: the private key change
 *     (device, under its config mutex). Readers: every handshake operation.
 *  2. wg_handshake.lock, an rw_semaphore per peer. Every create/consume
 *     takes it for writing; only reads for netlink (psk) take it for
 *     reading.
 *  3. wg_keyslots.lock, a spinlock per peer (taken with BH off), protecting
 *     the three slot pointers for writers; readers use RCU.
 *  4. the cookie.h locks, and the device's index table lock (inside the
 *     wg_index_ops callbacks).
 * Because of 1 and 2 every handshake function may sleep: call them from
 * process context (a work item), never from softirq or under RCU.
 * Keypair and keyslot functions do not sleep unless noted.
 *
 * Peer lookup: wg_noise_consume_initiation() decrypts the initiator's static
 * key and then calls back into the device (wg_noise_peer_lookup_t) to map
 * it to a peer's handshake. The device keeps whatever reference it needs in
 * its callback context.
 *
 * Indices: the device owns the table that maps a 32-bit receiver index to a
 * handshake or keypair. Each wg_handshake and wg_keypair embeds a
 * struct wg_index_entry, and this code asks the device, through the
 * wg_index_ops given to wg_handshake_init(), to put an entry under a fresh
 * random unique index, to hand an index over from the handshake to the new
 * keypair, and to remove an entry. Receive-side lookups are the device's:
 * lookup by index under RCU, check entry->kind, then container_of() to
 * struct wg_handshake (.index) or struct wg_keypair (.index). Entries start
 * unpublished with a zeroed node (hlist_unhashed() is true); a keypair's
 * entry is unpublished as soon as it leaves the slots.
 *
 * Freeing: keypairs are freed with call_rcu(), so module exit must call
 * rcu_barrier() after the last device is gone.
 *
 * Typical flows (device side):
 *  initiator: wg_noise_create_initiation(hs, &msg) -> send msg.
 *             response received -> classify, macs, ratelimit, index lookup
 *             (WG_INDEX_HANDSHAKE) -> wg_noise_consume_response(hs, msg)
 *             -> kp = wg_noise_derive_keypair(hs) ->
 *             wg_keyslots_install(&peer_slots, kp) -> send staged packets or
 *             a keepalive.
 *  responder: initiation received -> classify, macs, ratelimit ->
 *             hs = wg_noise_consume_initiation(id, msg, lookup, ctx) ->
 *             wg_noise_create_response(hs, &msg) ->
 *             kp = wg_noise_derive_keypair(hs) ->
 *             wg_keyslots_install(&slots, kp) -> send msg.
 *             First data on kp -> wg_keyslots_confirm(&slots, kp).
 *  data tx:   kp = wg_keyslots_get_current(&slots); wg_keypair_take_nonce();
 *             encrypt with kp->send_key; wg_keypair_put(kp).
 *  data rx:   index lookup (WG_INDEX_KEYPAIR) -> wg_keypair_get_live() ->
 *             wg_keypair_rx_usable() -> decrypt with kp->recv_key ->
 *             wg_replay_accept(&kp->replay, ctr) -> wg_keyslots_confirm().
 */
#ifndef WG_NOISE_H
#define WG_NOISE_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include "messages.h"
#include "cookie.h"
#include "replay.h"

/* ---- Indices (implemented by the device) ---- */

enum wg_index_kind {
	WG_INDEX_HANDSHAKE = 1,
	WG_INDEX_KEYPAIR = 2,
};

struct wg_index_entry {
	struct hlist_node node;	/* for the device's table; not touched here */
	__le32 index;		/* set by the index ops; read-only otherwise */
	enum wg_index_kind kind;	/* set here before the entry is added */
	void *owner;		/* the device's peer; copied from the handshake */
};

/*
 * Callbacks into the device's index table. assign and replace are called in
 * process context with the handshake lock held; remove is also called from
 * the last wg_keypair_put(), which may run in softirq. None may sleep or
 * take a noise.h lock (a BH-safe spinlock is right). Entries are read with
 * RCU: a keypair whose entry was removed is freed only after a grace
 * period. The table (and the ops) must outlive every handshake and keypair
 * that points to it: on device teardown, wg_keyslots_clear() and
 * wg_handshake_destroy() every peer, then rcu_barrier() before freeing it.
 */
struct wg_index_ops {
	/*
	 * Give @entry a fresh random index no other entry of the device uses
	 * and publish it (entry->index is set before publishing). If @entry
	 * is already in the table, it is first removed (its old index dies).
	 */
	void (*assign)(void *table, struct wg_index_entry *entry);
	/*
	 * Atomically publish @new under @old's index and unpublish @old.
	 * Does nothing if @old is not in the table (then @new stays out and
	 * new->index is left 0).
	 */
	void (*replace)(void *table, struct wg_index_entry *old,
			struct wg_index_entry *new);
	/* Unpublish @entry if it is in the table. */
	void (*remove)(void *table, struct wg_index_entry *entry);
};

/* ---- Time (wg_clock_ns() and wg_older_than() are in messages.h) ---- */

/*
 * Write the current TAI64N label (big-endian seconds + 2^62 + 10, then
 * nanoseconds rounded down to a multiple of 2^24 ns).
 */
void wg_tai64n_now(u8 out[WG_TAI64N_LEN]);

/* ---- Local identity ---- */

struct wg_identity {
	struct rw_semaphore lock;
	bool has_key;			/* false: no private key configured */
	u8 private_key[WG_KEY_LEN];	/* clamped */
	u8 public_key[WG_KEY_LEN];
	struct wg_cookie_checker checker;	/* keys of public_key */
};

void wg_identity_init(struct wg_identity *id);
/*
 * Set (clamped) or clear (@private_key NULL or all zero) the key. Caller
 * holds id->lock for writing (down_write) and, before releasing it, calls
 * for every peer wg_handshake_precompute(), wg_handshake_clear() (a
 * handshake in flight was made with the old key; deriving its keypair takes
 * this lock too, so it finds it cleared) and wg_keyslots_expire_current().
 * Updates the cookie checker.
 * Return: true if a key is now set.
 */
bool wg_identity_set_private_key(struct wg_identity *id,
				 const u8 *private_key);
/* Wipe the key and checker (device destruction). */
void wg_identity_wipe(struct wg_identity *id);

/*
 * Public key of @private_key after clamping, to compare with peers before
 * setting it. Return: false (and @public_key zeroed) for an all-zero key.
 */
bool wg_noise_public_from_private(u8 public_key[WG_KEY_LEN],
				  const u8 private_key[WG_KEY_LEN]);

/* ---- Per-peer handshake ---- */

enum wg_handshake_state {
	WG_HS_ZEROED,
	WG_HS_CREATED_INITIATION,	/* initiator, waiting for a response */
	WG_HS_CONSUMED_INITIATION,	/* responder, response not yet made */
	WG_HS_CREATED_RESPONSE,		/* responder, keys not yet derived */
	WG_HS_CONSUMED_RESPONSE,	/* initiator, keys not yet derived */
};

struct wg_handshake {
	struct wg_index_entry index;	/* kind WG_INDEX_HANDSHAKE */
	struct rw_semaphore lock;
	struct wg_identity *local;
	const struct wg_index_ops *index_ops;
	void *index_table;

	enum wg_handshake_state state;
	u8 remote_static[WG_KEY_LEN];	/* immutable after init */
	u8 static_static[WG_KEY_LEN];	/* DH(S_local, S_remote), or zero */
	bool static_static_ok;		/* false: low-order key or no identity */
	u8 psk[WG_KEY_LEN];		/* all zero when none */

	u8 chaining_key[WG_HASH_LEN];
	u8 hash[WG_HASH_LEN];
	u8 local_ephemeral[WG_KEY_LEN];	/* private */
	u8 remote_ephemeral[WG_KEY_LEN];
	__le32 remote_index;

	u8 latest_timestamp[WG_TAI64N_LEN];	/* greatest accepted */
	u64 last_initiation_consumed_ns;	/* 0: never */

	struct wg_cookie_jar jar;
};

/*
 * Initialise a peer's handshake. @psk may be NULL (none). @owner is stored
 * in every index entry (handshake and keypairs) for the device's lookups.
 * Takes id->lock for reading to precompute the static-static DH, so the
 * caller must not hold it. A peer whose key is low-order can be set up but
 * every create/consume on it fails (-ENOKEY / NULL).
 */
void wg_handshake_init(struct wg_handshake *hs, struct wg_identity *id,
		       const u8 remote_static[WG_KEY_LEN], const u8 *psk,
		       const struct wg_index_ops *ops, void *table,
		       void *owner);
/* Recompute the static-static DH; caller holds hs->local->lock (write). */
void wg_handshake_precompute(struct wg_handshake *hs);
/* Set the preshared key (@psk NULL or zero: none). Takes hs->lock. */
void wg_handshake_set_psk(struct wg_handshake *hs, const u8 *psk);
/* Copy the preshared key out (zeros if none). Takes hs->lock for reading. */
void wg_handshake_get_psk(struct wg_handshake *hs, u8 out[WG_KEY_LEN]);
/*
 * Forget any handshake in progress: wipe ephemeral, chaining key and hash,
 * remove the index, state ZEROED. Keeps the static keys, psk, timestamp and
 * cookie jar. Takes hs->lock.
 */
void wg_handshake_clear(struct wg_handshake *hs);
/* wg_handshake_clear() plus wipe everything (peer removal). */
void wg_handshake_destroy(struct wg_handshake *hs);

/**
 * wg_noise_create_initiation - start a handshake: -> e, es, s, ss, {t}
 * @hs: the peer's handshake
 * @msg: the 148-byte message to fill, macs included
 *
 * Gives the handshake a fresh index (old one removed) and sets the state to
 * CREATED_INITIATION. Return: 0, or -ENOKEY when there is no private key or
 * the static-static DH is unusable (low-order peer key), -EINVAL if a DH
 * result is zero. May sleep.
 */
int wg_noise_create_initiation(struct wg_handshake *hs,
			       struct wg_msg_initiation *msg);

/*
 * Map a decrypted static public key to the handshake of the peer that has
 * it, or NULL if there is none. Called with id->lock held for reading, in
 * process context. The device takes any peer reference it needs and keeps
 * it in @ctx.
 */
typedef struct wg_handshake *(*wg_noise_peer_lookup_t)(void *ctx,
					const u8 remote_static[WG_KEY_LEN]);

/**
 * wg_noise_consume_initiation - accept an initiation as responder
 * @id: the device identity
 * @msg: a classified initiation whose mac1 (and mac2 if needed) was checked
 * @lookup: peer lookup by static key
 * @ctx: passed to @lookup
 *
 * Rejects: no private key, zero DH, a static key no peer has, a timestamp
 * not greater than the latest one accepted from that peer, an initiation
 * less than 20 ms after the last consumed one of that peer, any AEAD
 * failure. Return: the peer's handshake (state CONSUMED_INITIATION) or NULL.
 * May sleep.
 */
struct wg_handshake *wg_noise_consume_initiation(struct wg_identity *id,
				const struct wg_msg_initiation *msg,
				wg_noise_peer_lookup_t lookup, void *ctx);

/**
 * wg_noise_create_response - answer as responder: <- e, ee, se, psk, {}
 * @hs: a handshake in state CONSUMED_INITIATION
 * @msg: the 92-byte message to fill, macs included
 *
 * Gives the handshake a fresh index. Return: 0, -EINVAL in any other state
 * or on a zero DH, -ENOKEY without identity. May sleep.
 */
int wg_noise_create_response(struct wg_handshake *hs,
			     struct wg_msg_response *msg);

/**
 * wg_noise_consume_response - accept a response as initiator
 * @hs: the handshake found by the message's receiver index
 * @msg: a classified response whose macs were checked
 *
 * Accepted only in state CREATED_INITIATION and if the receiver index is
 * still the handshake's index. Return: 0 (state CONSUMED_RESPONSE) or
 * -EINVAL / -ENOKEY. May sleep.
 */
int wg_noise_consume_response(struct wg_handshake *hs,
			      const struct wg_msg_response *msg);

/* ---- Transport keypairs ---- */

struct wg_keypair {
	struct wg_index_entry index;	/* kind WG_INDEX_KEYPAIR */
	struct kref refcount;
	struct rcu_head rcu;
	/* Set once before publication; then read-only until freed. */
	u8 send_key[WG_KEY_LEN];
	u8 recv_key[WG_KEY_LEN];
	__le32 remote_index;	/* receiver index of our data messages */
	u64 birth_ns;		/* wg_clock_ns() at derivation */
	bool initiator;		/* we sent the initiation of this session */
	/* Cleared to stop sending (expiry); receiving is unaffected. */
	bool can_send;
	atomic64_t send_counter;	/* next nonce to use */
	struct wg_replay replay;
	const struct wg_index_ops *index_ops;
	void *index_table;
};

/**
 * wg_noise_derive_keypair - finish a handshake: KDF2(C, empty)
 * @hs: a handshake in state CREATED_RESPONSE or CONSUMED_RESPONSE
 *
 * Allocates (GFP_KERNEL) the keypair, moves the handshake's index to it,
 * wipes the handshake's ephemeral, chaining key and hash (state ZEROED).
 * Return: the keypair with one reference owned by the caller (hand it to
 * wg_keyslots_install()), or NULL in any other state / on -ENOMEM.
 * May sleep.
 */
struct wg_keypair *wg_noise_derive_keypair(struct wg_handshake *hs);

static inline struct wg_keypair *wg_keypair_get(struct wg_keypair *kp)
{
	kref_get(&kp->refcount);
	return kp;
}

/*
 * Take a reference to a keypair found under RCU (e.g. by index lookup).
 * Return: @kp, or NULL if it is already being freed. Caller in RCU read
 * section.
 */
struct wg_keypair *wg_keypair_get_live(struct wg_keypair *kp);

/*
 * Drop a reference. The last one removes the index (if still published),
 * wipes the keys and frees after an RCU grace period. Any context.
 */
void wg_keypair_put(struct wg_keypair *kp);

/*
 * Reserve the next sending counter. Return: false if the keypair may no
 * longer send (expired by time, by count, or can_send cleared).
 */
bool wg_keypair_take_nonce(struct wg_keypair *kp, u64 now_ns, u64 *nonce);

/* True while @kp may decrypt: younger than WG_REJECT_AFTER_TIME. */
bool wg_keypair_rx_usable(const struct wg_keypair *kp, u64 now_ns);

/*
 * After a send: should we start a new handshake? True when the sending
 * counter passed WG_REKEY_AFTER_MESSAGES, or when we initiated @kp and it
 * is older than WG_REKEY_AFTER_TIME.
 */
bool wg_keypair_should_rekey_tx(struct wg_keypair *kp, u64 now_ns);

/*
 * After a receive: should the initiator of @kp rekey (older than
 * WG_REKEY_ON_RECEIVE_AGE)? The device sends one initiation per keypair.
 */
bool wg_keypair_should_rekey_rx(const struct wg_keypair *kp, u64 now_ns);

/* ---- A peer's keypair slots ---- */

struct wg_keyslots {
	spinlock_t lock;	/* writers; readers use RCU */
	struct wg_keypair __rcu *previous;
	struct wg_keypair __rcu *current_kp;
	struct wg_keypair __rcu *next;
};

void wg_keyslots_init(struct wg_keyslots *slots);

/*
 * Install a freshly derived keypair (consumes the caller's reference).
 * If we initiated: it becomes current; the old current (or a pending next,
 * if any) becomes previous; the rest is dropped. If we responded: it
 * becomes next, old next and previous are dropped, current stays.
 */
void wg_keyslots_install(struct wg_keyslots *slots, struct wg_keypair *kp);

/*
 * Key confirmation on receive: if @kp is the pending next keypair, rotate
 * it into current (current -> previous, old previous dropped).
 * Return: true if a rotation happened.
 */
bool wg_keyslots_confirm(struct wg_keyslots *slots, struct wg_keypair *kp);

/*
 * The current keypair with a reference, or NULL. Does not check expiry:
 * use wg_keypair_take_nonce(). Any context.
 */
struct wg_keypair *wg_keyslots_get_current(struct wg_keyslots *slots);

/* Stop sending on the current keypair (private key change). */
void wg_keyslots_expire_current(struct wg_keyslots *slots);

/*
 * Drop all three keypairs (peer removal, key wipe after 540 s).
 * A keypair leaving the slots, here or by rotation, has its index
 * unpublished at once: index lookups never return a retired keypair, even
 * while packets in flight still hold references to it.
 */
void wg_keyslots_clear(struct wg_keyslots *slots);

#ifdef WG_DEBUG
/*
 * Self-test seam: while non-NULL, new ephemerals are this (clamped)
 * private key and new initiations carry this timestamp, so a handshake can
 * be compared with a known-answer transcript. Set only by selftest/, before
 * any device exists.
 */
extern const u8 *wg_noise_test_ephemeral;
extern const u8 *wg_noise_test_timestamp;
#endif

#endif /* WG_NOISE_H */
