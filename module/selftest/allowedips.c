// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the cryptokey routing table (WG_DEBUG=1 builds only): random
 * prefixes are inserted, moved and removed in the trie and in a plain array
 * kept alongside, and every lookup must agree with a linear scan of the
 * array. Runs at module load in process context; takes its own mutex.
 */

#include "compat.h"
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/vmalloc.h>
#include "../allowedips.h"
#include "../peer.h"
#include "selftest.h"

#define AIPT_PEERS	16
#define AIPT_ENTRIES	600
#define AIPT_LOOKUPS	6000

struct aipt_entry {
	int family;
	u8 addr[16];
	u8 cidr;
	struct wgpeer *peer;	/* NULL: removed */
};

struct aipt_ctx {
	struct aip_table table;
	struct mutex lock;
	struct wgpeer *peers[AIPT_PEERS];
	struct aipt_entry *entries;
	unsigned int n;
};

static void aipt_mask(u8 *addr, int family, u8 cidr)
{
	unsigned int len = family == AF_INET ? 4 : 16, i;

	for (i = 0; i < len; ++i) {
		if (cidr >= 8)
			cidr -= 8;
		else if (cidr) {
			addr[i] &= 0xff << (8 - cidr);
			cidr = 0;
		} else {
			addr[i] = 0;
		}
	}
}

static bool aipt_covers(const struct aipt_entry *e, const u8 *addr)
{
	u8 masked[16];

	memcpy(masked, addr, 16);
	aipt_mask(masked, e->family, e->cidr);
	return !memcmp(masked, e->addr, e->family == AF_INET ? 4 : 16);
}

static struct wgpeer *aipt_naive(struct aipt_ctx *c, int family,
				 const u8 *addr)
{
	struct wgpeer *best = NULL;
	int best_cidr = -1;
	unsigned int i;

	for (i = 0; i < c->n; ++i) {
		struct aipt_entry *e = &c->entries[i];

		if (e->peer && e->family == family && e->cidr > best_cidr &&
		    aipt_covers(e, addr)) {
			best = e->peer;
			best_cidr = e->cidr;
		}
	}
	return best;
}

/* Addresses come from a small pool so that prefixes overlap and repeat. */
static void aipt_random_addr(u8 *addr, int family)
{
	static const u8 bases[4] = { 10, 192, 0xfd, 0x20 };

	get_random_bytes(addr, 16);
	addr[0] = bases[get_random_u32_below(4)];
	if (get_random_u32_below(2))
		addr[1] = 0;
	if (family == AF_INET6 && get_random_u32_below(2))
		memset(addr + 2, 0, 6);
}

static struct aipt_entry *aipt_find(struct aipt_ctx *c, int family,
				    const u8 *addr, u8 cidr)
{
	unsigned int i;

	for (i = 0; i < c->n; ++i) {
		struct aipt_entry *e = &c->entries[i];

		if (e->peer && e->family == family && e->cidr == cidr &&
		    !memcmp(e->addr, addr, family == AF_INET ? 4 : 16))
			return e;
	}
	return NULL;
}

static bool aipt_check_lookups(struct aipt_ctx *c, const char *stage)
{
	unsigned int i;
	u8 addr[16];
	bool ok = true;

	rcu_read_lock_bh();
	for (i = 0; i < AIPT_LOOKUPS && ok; ++i) {
		int family = i & 1 ? AF_INET6 : AF_INET;
		struct wgpeer *want, *got;

		aipt_random_addr(addr, family);
		want = aipt_naive(c, family, addr);
		got = aip_lookup(&c->table, family, addr);
		if (want != got) {
			pr_err("wireguard: allowedips selftest: %s: lookup %d/%u disagrees\n",
			       stage, family, i);
			ok = false;
		}
	}
	/* Every stored prefix must find its own peer at its own address. */
	for (i = 0; i < c->n && ok; ++i) {
		struct aipt_entry *e = &c->entries[i];

		if (!e->peer)
			continue;
		if (aip_lookup(&c->table, e->family, e->addr) !=
		    aipt_naive(c, e->family, e->addr)) {
			pr_err("wireguard: allowedips selftest: %s: entry %u lost\n",
			       stage, i);
			ok = false;
		}
	}
	rcu_read_unlock_bh();
	return ok;
}

static bool aipt_insert_random(struct aipt_ctx *c)
{
	int family = get_random_u32_below(2) ? AF_INET6 : AF_INET;
	u8 cidr = get_random_u32_below(family == AF_INET ? 33 : 129);
	struct wgpeer *peer = c->peers[get_random_u32_below(AIPT_PEERS)];
	struct aipt_entry *e;
	u8 addr[16];

	aipt_random_addr(addr, family);
	/* Host bits must not matter: insert unmasked, model masked. */
	if (aip_insert(&c->table, family, addr, cidr, peer))
		return false;
	aipt_mask(addr, family, cidr);
	e = aipt_find(c, family, addr, cidr);
	if (e) {
		e->peer = peer;	/* the same prefix moves to the new peer */
		return true;
	}
	e = &c->entries[c->n++];
	e->family = family;
	memcpy(e->addr, addr, 16);
	e->cidr = cidr;
	e->peer = peer;
	return true;
}

static unsigned int aipt_count_nodes(struct wgpeer *peer)
{
	struct aip_node *node;
	unsigned int n = 0;

	list_for_each_entry(node, &peer->allowedips, peer_entry)
		++n;
	return n;
}

static bool aipt_check_lists(struct aipt_ctx *c)
{
	unsigned int i, j, want;

	for (j = 0; j < AIPT_PEERS; ++j) {
		want = 0;
		for (i = 0; i < c->n; ++i)
			want += c->entries[i].peer == c->peers[j];
		if (aipt_count_nodes(c->peers[j]) != want) {
			pr_err("wireguard: allowedips selftest: peer %u list has wrong length\n",
			       j);
			return false;
		}
	}
	return true;
}

static bool aipt_fixed_cases(struct aipt_ctx *c)
{
	static const u8 in[4] = { 192, 95, 5, 65 }, want[4] = { 192, 95, 5, 64 };
	static const u8 host[4] = { 192, 95, 5, 70 }, other[4] = { 192, 95, 5, 200 };
	struct aip_node *node;
	u8 addr[16], cidr;
	bool ok;

	if (aip_insert(&c->table, AF_INET, in, 27, c->peers[0]) ||
	    aip_insert(&c->table, AF_INET, in, 33, c->peers[0]) != -EINVAL)
		return false;
	node = list_first_entry(&c->peers[0]->allowedips, struct aip_node,
				peer_entry);
	ok = aip_node_addr(node, addr, &cidr) == AF_INET && cidr == 27 &&
	     !memcmp(addr, want, 4);
	rcu_read_lock_bh();
	ok = ok && aip_lookup(&c->table, AF_INET, host) == c->peers[0] &&
	     !aip_lookup(&c->table, AF_INET, other);
	rcu_read_unlock_bh();
	/* Removing with the wrong peer is a no-op. */
	ok = ok && !aip_remove(&c->table, AF_INET, in, 27, c->peers[1]) &&
	     aipt_count_nodes(c->peers[0]) == 1;
	ok = ok && !aip_remove(&c->table, AF_INET, in, 27, c->peers[0]) &&
	     aipt_count_nodes(c->peers[0]) == 0 &&
	     !rcu_access_pointer(c->table.root4);
	return ok;
}

static bool aipt_run(struct aipt_ctx *c)
{
	unsigned int i, j;

	if (!aipt_fixed_cases(c)) {
		pr_err("wireguard: allowedips selftest: fixed cases failed\n");
		return false;
	}
	for (i = 0; i < AIPT_ENTRIES; ++i)
		if (!aipt_insert_random(c))
			return false;
	if (!aipt_check_lookups(c, "insert") || !aipt_check_lists(c))
		return false;

	/* Exact removals of random stored prefixes, some by the wrong peer. */
	for (i = 0; i < c->n; i += 3) {
		struct aipt_entry *e = &c->entries[i];
		struct wgpeer *who;

		if (!e->peer)
			continue;
		who = i % 2 ? e->peer : c->peers[get_random_u32_below(AIPT_PEERS)];
		if (aip_remove(&c->table, e->family, e->addr, e->cidr, who))
			return false;
		if (who == e->peer)
			e->peer = NULL;
	}
	if (!aipt_check_lookups(c, "remove") || !aipt_check_lists(c))
		return false;

	/* Whole peers go away. */
	for (j = 0; j < AIPT_PEERS; j += 4) {
		aip_remove_peer(&c->table, c->peers[j]);
		for (i = 0; i < c->n; ++i)
			if (c->entries[i].peer == c->peers[j])
				c->entries[i].peer = NULL;
	}
	if (!aipt_check_lookups(c, "remove peer") || !aipt_check_lists(c))
		return false;

	for (j = 0; j < AIPT_PEERS; ++j)
		aip_remove_peer(&c->table, c->peers[j]);
	if (rcu_access_pointer(c->table.root4) ||
	    rcu_access_pointer(c->table.root6)) {
		pr_err("wireguard: allowedips selftest: nodes left after removing all\n");
		return false;
	}
	return true;
}

bool aip_selftest(void)
{
	struct aipt_ctx *c;
	bool ok = false;
	unsigned int j;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto out;
	c->entries = vzalloc(sizeof(*c->entries) * (AIPT_ENTRIES + 8));
	if (!c->entries)
		goto out_free_ctx;
	for (j = 0; j < AIPT_PEERS; ++j) {
		c->peers[j] = kzalloc(sizeof(*c->peers[j]), GFP_KERNEL);
		if (!c->peers[j])
			goto out_free_peers;
		INIT_LIST_HEAD(&c->peers[j]->allowedips);
	}
	mutex_init(&c->lock);
	aip_init(&c->table, &c->lock);
	mutex_lock(&c->lock);
	ok = aipt_run(c);
	aip_free(&c->table);
	mutex_unlock(&c->lock);
	/* Nodes are freed after a grace period; peers must outlive readers. */
	rcu_barrier();
out_free_peers:
	for (j = 0; j < AIPT_PEERS; ++j)
		kfree(c->peers[j]);
	vfree(c->entries);
out_free_ctx:
	kfree(c);
out:
	return wg_selftest_report("allowedips", ok);
}
