// SPDX-License-Identifier: GPL-2.0
/*
 * Hashtables of peers by public key and of handshakes/keypairs by receiver
 * index; the index callbacks noise.h drives (see peerlookup.h for locking).
 */

#include "compat.h"
#include <linux/slab.h>
#include <linux/random.h>
#include "peerlookup.h"
#include "peer.h"

struct wgm_key_table *wgm_key_table_alloc(void)
{
	struct wgm_key_table *t = kvzalloc(sizeof(*t), GFP_KERNEL);

	/* Zeroed memory is already a table of empty buckets. */
	if (t)
		get_random_bytes(&t->key, sizeof(t->key));
	return t;
}

static struct hlist_head *wgm_key_bucket(struct wgm_key_table *t,
					 const u8 *key)
{
	u64 h = siphash(key, WG_KEY_LEN, &t->key);

	return &t->buckets[hash_64(h, WGM_PEER_HASH_BITS)];
}

void wgm_key_table_add(struct wgdev *wg, struct wgpeer *peer)
{
	lockdep_assert_held(&wg->update_lock);
	hlist_add_head_rcu(&peer->key_entry,
			   wgm_key_bucket(wg->key_table, peer->hs.remote_static));
}

void wgm_key_table_del(struct wgdev *wg, struct wgpeer *peer)
{
	lockdep_assert_held(&wg->update_lock);
	hlist_del_init_rcu(&peer->key_entry);
}

struct wgpeer *wgm_key_table_find(struct wgdev *wg, const u8 *key)
{
	struct wgpeer *peer;

	hlist_for_each_entry_rcu(peer, wgm_key_bucket(wg->key_table, key),
				 key_entry, lockdep_is_held(&wg->update_lock))
		if (!memcmp(peer->hs.remote_static, key, WG_KEY_LEN))
			return peer;
	return NULL;
}

struct wgm_index_table *wgm_index_table_alloc(void)
{
	struct wgm_index_table *t = kvzalloc(sizeof(*t), GFP_KERNEL);

	if (t)
		spin_lock_init(&t->lock);
	return t;
}

static struct hlist_head *wgm_index_bucket(struct wgm_index_table *t,
					   __le32 index)
{
	/* Indices are random: their low bits are as good as a hash. */
	return &t->buckets[(__force u32)index & (HASH_SIZE(t->buckets) - 1)];
}

static bool wgm_index_used(struct wgm_index_table *t, __le32 index)
{
	struct wg_index_entry *e;

	hlist_for_each_entry_rcu(e, wgm_index_bucket(t, index), node,
				 lockdep_is_held(&t->lock))
		if (e->index == index)
			return true;
	return false;
}

static void wgm_index_assign(void *table, struct wg_index_entry *entry)
{
	struct wgm_index_table *t = table;
	__le32 index;

	spin_lock_bh(&t->lock);
	if (!hlist_unhashed(&entry->node))
		hlist_del_init_rcu(&entry->node);
	do {
		index = (__force __le32)get_random_u32();
	} while (!index || wgm_index_used(t, index));
	entry->index = index;
	hlist_add_head_rcu(&entry->node, wgm_index_bucket(t, index));
	spin_unlock_bh(&t->lock);
}

static void wgm_index_replace(void *table, struct wg_index_entry *old,
			      struct wg_index_entry *new)
{
	struct wgm_index_table *t = table;

	spin_lock_bh(&t->lock);
	if (hlist_unhashed(&old->node)) {
		new->index = 0;
	} else {
		new->index = old->index;
		hlist_replace_rcu(&old->node, &new->node);
		/* Unhashed, but readers standing on it may still walk on. */
		WRITE_ONCE(old->node.pprev, NULL);
	}
	spin_unlock_bh(&t->lock);
}

static void wgm_index_remove(void *table, struct wg_index_entry *entry)
{
	struct wgm_index_table *t = table;

	spin_lock_bh(&t->lock);
	if (!hlist_unhashed(&entry->node))
		hlist_del_init_rcu(&entry->node);
	spin_unlock_bh(&t->lock);
}

const struct wg_index_ops wgm_index_ops = {
	.assign = wgm_index_assign,
	.replace = wgm_index_replace,
	.remove = wgm_index_remove,
};

struct wg_index_entry *wgm_index_find(struct wgdev *wg, __le32 index,
				      enum wg_index_kind kind)
{
	struct wgm_index_table *t = wg->index_table;
	struct wg_index_entry *e;

	hlist_for_each_entry_rcu(e, wgm_index_bucket(t, index), node)
		if (e->index == index)
			return e->kind == kind ? e : NULL;
	return NULL;
}
