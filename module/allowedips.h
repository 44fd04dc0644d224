/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cryptokey routing table: longest-prefix match from an inner IP address to
 * the peer allowed to use it. One binary radix trie per address family, the
 * prefixes of one peer also chained on that peer's list.
 *
 * Locking: every change runs under the mutex passed at init (the device
 * update lock), asserted with lockdep. Lookups are lockless under RCU (bh).
 * The sequence number changes on every modification; a dump that saved a
 * node pointer may only reuse it while the sequence is unchanged.
 */
#ifndef WGM_ALLOWEDIPS_H
#define WGM_ALLOWEDIPS_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>

struct wgpeer;

/* Address bits kept in host order: bit 0 is the most significant of hi. */
struct aip_key {
	u64 hi;
	u64 lo;
};

struct aip_node {
	struct aip_node __rcu *child[2];
	struct wgpeer __rcu *peer;	/* NULL: a branching point only */
	struct aip_node *parent;	/* writer side only */
	struct list_head peer_entry;	/* on peer->allowedips */
	struct aip_key key;		/* masked to cidr bits */
	u8 cidr;
	u8 family;			/* AF_INET or AF_INET6 */
	struct rcu_head rcu;
};

struct aip_table {
	struct aip_node __rcu *root4;
	struct aip_node __rcu *root6;
	struct mutex *lock;
	u64 seq;
};

void aip_init(struct aip_table *t, struct mutex *lock);
void aip_free(struct aip_table *t);

int aip_insert(struct aip_table *t, int family, const void *addr, u8 cidr,
	       struct wgpeer *peer);
int aip_remove(struct aip_table *t, int family, const void *addr, u8 cidr,
	       struct wgpeer *peer);
void aip_remove_peer(struct aip_table *t, struct wgpeer *peer);

/* Returns the peer whose prefix best matches addr, or NULL; RCU-bh held. */
struct wgpeer *aip_lookup(struct aip_table *t, int family, const void *addr);

/* Peer matching an skb's inner destination or source address. */
struct wgpeer *aip_lookup_dst(struct aip_table *t, struct sk_buff *skb);
struct wgpeer *aip_lookup_src(struct aip_table *t, struct sk_buff *skb);

/* Writes the node's masked address (4 or 16 bytes) and returns its family. */
int aip_node_addr(const struct aip_node *node, u8 *addr, u8 *cidr);

#ifdef WG_DEBUG
bool aip_selftest(void);
#endif

#endif /* WGM_ALLOWEDIPS_H */
