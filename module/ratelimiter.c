// SPDX-License-Identifier: GPL-2.0
/*
 * ratelimiter.c - token buckets for handshake sources (see ratelimiter.h).
 *
 * A bucket's credit is kept in nanoseconds: every elapsed ns adds one, a
 * packet costs NSEC_PER_SEC / WG_RL_PACKETS_PER_SECOND, and the credit is
 * capped at WG_RL_BURST packets' worth. A new source starts full.
 *
 * Locking: wg_rl_users and the table pointer's lifetime are guarded by
 * wg_rl_mutex (sleeping; init/uninit only). The table is published with
 * RCU; readers walk a bucket chain under rcu_read_lock(). table->lock
 * (spinlock, BH off) serialises insertion and removal of entries and the
 * entry count. entry->lock (spinlock, BH off) guards the entry's credit and
 * timestamp; it nests inside table->lock in the GC, never the other way.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "compat.h"
#include "messages.h"
#include "ratelimiter.h"

#define WG_RL_COST_NS	(NSEC_PER_SEC / WG_RL_PACKETS_PER_SECOND)
#define WG_RL_CAP_NS	(WG_RL_COST_NS * WG_RL_BURST)
#define WG_RL_MAX_BUCKETS	8192U
#define WG_RL_MIN_BUCKETS	64U
#define WG_RL_ENTRIES_PER_BUCKET	8U

struct wg_rl_key {
	const struct net *net;
	u64 addr;	/* IPv4 address, or the top 64 bits of an IPv6 one */
	u16 family;
};

struct wg_rl_entry {
	struct hlist_node node;
	struct rcu_head rcu;
	struct wg_rl_key key;
	spinlock_t lock;
	u64 last_ns;
	u64 credit_ns;
};

struct wg_rl_table {
	spinlock_t lock;
	unsigned int entries;
	unsigned int max_entries;
#ifdef WG_DEBUG
	unsigned int sized_max_entries;	/* max_entries as allocated */
#endif
	unsigned int mask;
	siphash_key_t hash_key;
	struct delayed_work gc;
	struct hlist_head buckets[];
};

static DEFINE_MUTEX(wg_rl_mutex);
static unsigned int wg_rl_users;
static struct wg_rl_table __rcu *wg_rl_table;

/* Build the bucket key of @src. Return: false for other families. */
static bool wg_rl_key_of(struct wg_rl_key *key, const struct net *net,
			 const struct sockaddr *src)
{
	memset(key, 0, sizeof(*key));
	key->net = net;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;

		key->family = AF_INET;
		key->addr = (__force u32)s4->sin_addr.s_addr;
		return true;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
		const struct in6_addr *a = &s6->sin6_addr;

		if (!a->s6_addr32[0] && !a->s6_addr32[1] &&
		    a->s6_addr32[2] == htonl(0x0000ffff)) {
			/* v4-mapped: the same bucket as the IPv4 source. */
			key->family = AF_INET;
			key->addr = (__force u32)a->s6_addr32[3];
		} else {
			key->family = AF_INET6;
			memcpy(&key->addr, a->s6_addr, sizeof(key->addr));
		}
		return true;
	}
	return false;
}

static bool wg_rl_key_equal(const struct wg_rl_key *a,
			    const struct wg_rl_key *b)
{
	return a->net == b->net && a->addr == b->addr &&
	       a->family == b->family;
}

static struct hlist_head *wg_rl_bucket(struct wg_rl_table *t,
				       const struct wg_rl_key *key)
{
	u64 h = siphash_3u64((u64)(unsigned long)key->net, key->addr,
			     key->family, &t->hash_key);

	return &t->buckets[h & t->mask];
}

/* Refill @e up to @now and take one packet's credit if there is one. */
static bool wg_rl_take(struct wg_rl_entry *e, u64 now)
{
	bool ok = false;
	s64 elapsed;

	spin_lock_bh(&e->lock);
	elapsed = (s64)(now - e->last_ns);
	if (elapsed > 0) {
		e->credit_ns = min_t(u64, WG_RL_CAP_NS,
				     e->credit_ns + (u64)elapsed);
		e->last_ns = now;
	}
	if (e->credit_ns >= WG_RL_COST_NS) {
		e->credit_ns -= WG_RL_COST_NS;
		ok = true;
	}
	spin_unlock_bh(&e->lock);
	return ok;
}

static struct wg_rl_entry *wg_rl_find(struct hlist_head *head,
				      const struct wg_rl_key *key)
{
	struct wg_rl_entry *e;

	hlist_for_each_entry_rcu(e, head, node) {
		if (wg_rl_key_equal(&e->key, key))
			return e;
	}
	return NULL;
}

/* A first packet from @key: add a full bucket and charge it. */
static bool wg_rl_insert(struct wg_rl_table *t, struct hlist_head *head,
			 const struct wg_rl_key *key, u64 now)
{
	struct wg_rl_entry *e, *raced;
	bool ok = false;

	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return false;
	e->key = *key;
	spin_lock_init(&e->lock);
	e->last_ns = now;
	e->credit_ns = WG_RL_CAP_NS - WG_RL_COST_NS;

	spin_lock_bh(&t->lock);
	raced = wg_rl_find(head, key);
	if (raced) {
		spin_unlock_bh(&t->lock);
		kfree(e);
		return wg_rl_take(raced, now);
	}
	if (t->entries < t->max_entries) {
		hlist_add_head_rcu(&e->node, head);
		t->entries++;
		ok = true;
	}
	spin_unlock_bh(&t->lock);
	if (!ok)
		kfree(e);
	return ok;
}

bool wg_ratelimiter_allow_at(const struct net *net,
			     const struct sockaddr *src, u64 now_ns)
{
	struct wg_rl_table *t;
	struct hlist_head *head;
	struct wg_rl_entry *e;
	struct wg_rl_key key;
	bool ok = false;

	if (!wg_rl_key_of(&key, net, src))
		return false;

	rcu_read_lock();
	t = rcu_dereference(wg_rl_table);
	if (!t)
		goto out;
	head = wg_rl_bucket(t, &key);
	e = wg_rl_find(head, &key);
	if (e)
		ok = wg_rl_take(e, now_ns);
	else
		ok = wg_rl_insert(t, head, &key, now_ns);
out:
	rcu_read_unlock();
	return ok;
}

bool wg_ratelimiter_allow(const struct net *net, const struct sockaddr *src)
{
	return wg_ratelimiter_allow_at(net, src, wg_clock_ns());
}

/*
 * Remove the entries of @t for which @net matches (any net if @net is NULL
 * and @all) or which have been idle for longer than a second at @now.
 */
static void wg_rl_sweep(struct wg_rl_table *t, const struct net *net,
			bool all, u64 now)
{
	struct wg_rl_entry *e;
	struct hlist_node *tmp;
	unsigned int i;
	bool drop;

	for (i = 0; i <= t->mask; i++) {
		/* Most buckets are empty: do not take the lock for them. */
		if (!rcu_access_pointer(hlist_first_rcu(&t->buckets[i])))
			continue;
		spin_lock_bh(&t->lock);
		hlist_for_each_entry_safe(e, tmp, &t->buckets[i], node) {
			if (all) {
				drop = true;
			} else if (net) {
				drop = e->key.net == net;
			} else {
				spin_lock(&e->lock);
				drop = (s64)(now - e->last_ns) >
				       (s64)WG_RL_GC_INTERVAL_NS;
				spin_unlock(&e->lock);
			}
			if (drop) {
				hlist_del_rcu(&e->node);
				t->entries--;
				kfree_rcu(e, rcu);
			}
		}
		spin_unlock_bh(&t->lock);
	}
}

static void wg_rl_gc(struct work_struct *work)
{
	struct wg_rl_table *t = container_of(to_delayed_work(work),
					     struct wg_rl_table, gc);

	wg_rl_sweep(t, NULL, false, wg_clock_ns());
	queue_delayed_work(system_power_efficient_wq, &t->gc,
			   nsecs_to_jiffies(WG_RL_GC_INTERVAL_NS));
}

int wg_ratelimiter_init(void)
{
	struct wg_rl_table *t;
	unsigned int buckets, i;
	int ret = 0;

	mutex_lock(&wg_rl_mutex);
	if (wg_rl_users++)
		goto out;

	/* 8192 buckets from 1 GiB of RAM up, fewer below. */
	buckets = rounddown_pow_of_two(max_t(unsigned long,
					     totalram_pages() / 32, 1));
	buckets = clamp(buckets, WG_RL_MIN_BUCKETS, WG_RL_MAX_BUCKETS);

	t = kvzalloc(struct_size(t, buckets, buckets), GFP_KERNEL);
	if (!t) {
		wg_rl_users--;
		ret = -ENOMEM;
		goto out;
	}
	spin_lock_init(&t->lock);
	t->mask = buckets - 1;
	t->max_entries = buckets * WG_RL_ENTRIES_PER_BUCKET;
#ifdef WG_DEBUG
	t->sized_max_entries = t->max_entries;
#endif
	get_random_bytes(&t->hash_key, sizeof(t->hash_key));
	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&t->buckets[i]);
	INIT_DELAYED_WORK(&t->gc, wg_rl_gc);
	rcu_assign_pointer(wg_rl_table, t);
	queue_delayed_work(system_power_efficient_wq, &t->gc,
			   nsecs_to_jiffies(WG_RL_GC_INTERVAL_NS));
out:
	mutex_unlock(&wg_rl_mutex);
	return ret;
}

void wg_ratelimiter_uninit(void)
{
	struct wg_rl_table *t;

	mutex_lock(&wg_rl_mutex);
	if (WARN_ON_ONCE(!wg_rl_users) || --wg_rl_users)
		goto out;
	t = rcu_dereference_protected(wg_rl_table,
				      lockdep_is_held(&wg_rl_mutex));
	RCU_INIT_POINTER(wg_rl_table, NULL);
	cancel_delayed_work_sync(&t->gc);
	synchronize_rcu();
	wg_rl_sweep(t, NULL, true, 0);
	kvfree(t);
out:
	mutex_unlock(&wg_rl_mutex);
}

void wg_ratelimiter_collect(void)
{
	struct wg_rl_table *t;

	mutex_lock(&wg_rl_mutex);
	t = rcu_dereference_protected(wg_rl_table,
				      lockdep_is_held(&wg_rl_mutex));
	if (t)
		wg_rl_sweep(t, NULL, false, wg_clock_ns());
	mutex_unlock(&wg_rl_mutex);
}

void wg_ratelimiter_forget_net(const struct net *net)
{
	struct wg_rl_table *t;

	mutex_lock(&wg_rl_mutex);
	t = rcu_dereference_protected(wg_rl_table,
				      lockdep_is_held(&wg_rl_mutex));
	if (t)
		wg_rl_sweep(t, net, false, 0);
	mutex_unlock(&wg_rl_mutex);
}

#ifdef WG_DEBUG
unsigned int wg_ratelimiter_room(void)
{
	struct wg_rl_table *t;
	unsigned int room = 0;

	mutex_lock(&wg_rl_mutex);
	t = rcu_dereference_protected(wg_rl_table,
				      lockdep_is_held(&wg_rl_mutex));
	if (t) {
		spin_lock_bh(&t->lock);
		room = t->max_entries - t->entries;
		spin_unlock_bh(&t->lock);
	}
	mutex_unlock(&wg_rl_mutex);
	return room;
}

unsigned int wg_ratelimiter_limit_room(unsigned int room)
{
	struct wg_rl_table *t;
	unsigned int before = 0;

	mutex_lock(&wg_rl_mutex);
	t = rcu_dereference_protected(wg_rl_table,
				      lockdep_is_held(&wg_rl_mutex));
	if (t) {
		spin_lock_bh(&t->lock);
		before = t->max_entries - t->entries;
		if (room == UINT_MAX)
			t->max_entries = t->sized_max_entries;
		else
			t->max_entries = t->entries +
				min(room, t->sized_max_entries - t->entries);
		spin_unlock_bh(&t->lock);
	}
	mutex_unlock(&wg_rl_mutex);
	return before;
}
#endif
