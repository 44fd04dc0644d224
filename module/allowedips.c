// SPDX-License-Identifier: GPL-2.0
/*
 * Cryptokey routing table (see allowedips.h for the locking rules).
 *
 * Each family has a path-compressed binary trie. A node covers the first
 * `cidr` bits of `key`; its children continue with bit number `cidr`. A node
 * either carries a peer (a configured prefix) or is a branching point with
 * exactly two children; branching points are removed as soon as they lose a
 * child. Writers publish fully built nodes with rcu_assign_pointer() and free
 * unlinked nodes after a grace period, so readers never need a lock.
 */

#include "compat.h"
#include <linux/slab.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/bitops.h>
#include "allowedips.h"
#include "peer.h"
#include "objcount.h"

#define aip_deref(t, p) rcu_dereference_protected(p, lockdep_is_held((t)->lock))

static unsigned int aip_maxbits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static void aip_make_key(struct aip_key *k, int family, const void *addr)
{
	if (family == AF_INET) {
		k->hi = (u64)get_unaligned_be32(addr) << 32;
		k->lo = 0;
	} else {
		k->hi = get_unaligned_be64(addr);
		k->lo = get_unaligned_be64((const u8 *)addr + 8);
	}
}

static void aip_mask_key(struct aip_key *k, unsigned int cidr)
{
	if (cidr == 0) {
		k->hi = 0;
		k->lo = 0;
	} else if (cidr <= 64) {
		k->hi &= ~0ULL << (64 - cidr);
		k->lo = 0;
	} else {
		k->lo &= ~0ULL << (128 - cidr);
	}
}

static unsigned int aip_bit(const struct aip_key *k, unsigned int i)
{
	if (i < 64)
		return (k->hi >> (63 - i)) & 1;
	return (k->lo >> (127 - i)) & 1;
}

/* Number of leading bits a and b share, at most limit. */
static unsigned int aip_common_bits(const struct aip_key *a,
				    const struct aip_key *b, unsigned int limit)
{
	u64 x = a->hi ^ b->hi;
	unsigned int n;

	if (x)
		n = __builtin_clzll(x);
	else if ((x = a->lo ^ b->lo))
		n = 64 + __builtin_clzll(x);
	else
		n = 128;
	return min(n, limit);
}

static struct aip_node __rcu **aip_root(struct aip_table *t, int family)
{
	return family == AF_INET ? &t->root4 : &t->root6;
}

void aip_init(struct aip_table *t, struct mutex *lock)
{
	RCU_INIT_POINTER(t->root4, NULL);
	RCU_INIT_POINTER(t->root6, NULL);
	t->lock = lock;
	t->seq = 1;
}

static struct aip_node *aip_node_new(int family, const struct aip_key *key,
				     u8 cidr)
{
	struct aip_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	wg_obj_made(WG_OBJ_AIP_NODE);
	n->key = *key;
	aip_mask_key(&n->key, cidr);
	n->cidr = cidr;
	n->family = family;
	INIT_LIST_HEAD(&n->peer_entry);
	return n;
}

static void aip_attach_peer(struct aip_node *n, struct wgpeer *peer)
{
	list_del(&n->peer_entry);
	list_add_tail(&n->peer_entry, &peer->allowedips);
	rcu_assign_pointer(n->peer, peer);
}

int aip_insert(struct aip_table *t, int family, const void *addr, u8 cidr,
	       struct wgpeer *peer)
{
	unsigned int maxbits = aip_maxbits(family);
	struct aip_node __rcu **slot = aip_root(t, family);
	struct aip_node *node, *parent = NULL, *leaf, *branch;
	struct aip_key key;
	unsigned int common;

	lockdep_assert_held(t->lock);
	if (cidr > maxbits)
		return -EINVAL;
	aip_make_key(&key, family, addr);
	aip_mask_key(&key, cidr);
	++t->seq;

	while ((node = aip_deref(t, *slot))) {
		common = aip_common_bits(&node->key, &key,
					 min_t(unsigned int, node->cidr, cidr));
		if (common == node->cidr && common == cidr) {
			aip_attach_peer(node, peer);
			return 0;
		}
		if (common < node->cidr)
			break;
		parent = node;
		slot = &node->child[aip_bit(&key, node->cidr)];
	}

	leaf = aip_node_new(family, &key, cidr);
	if (!leaf)
		return -ENOMEM;
	list_add_tail(&leaf->peer_entry, &peer->allowedips);
	RCU_INIT_POINTER(leaf->peer, peer);
	leaf->parent = parent;

	if (!node) {
		rcu_assign_pointer(*slot, leaf);
		return 0;
	}
	if (common == cidr) {
		/* The new prefix covers node: it goes in between. */
		RCU_INIT_POINTER(leaf->child[aip_bit(&node->key, cidr)], node);
		node->parent = leaf;
		rcu_assign_pointer(*slot, leaf);
		return 0;
	}
	branch = aip_node_new(family, &key, common);
	if (!branch) {
		list_del(&leaf->peer_entry);
		kfree(leaf);
		wg_obj_freed(WG_OBJ_AIP_NODE);
		return -ENOMEM;
	}
	branch->parent = parent;
	RCU_INIT_POINTER(branch->child[aip_bit(&node->key, common)], node);
	RCU_INIT_POINTER(branch->child[aip_bit(&key, common)], leaf);
	node->parent = branch;
	leaf->parent = branch;
	rcu_assign_pointer(*slot, branch);
	return 0;
}

static struct aip_node __rcu **aip_slot_of(struct aip_table *t,
					   struct aip_node *node)
{
	struct aip_node *parent = node->parent;

	if (!parent)
		return aip_root(t, node->family);
	if (aip_deref(t, parent->child[0]) == node)
		return &parent->child[0];
	return &parent->child[1];
}

/* Unlinks node's peer and removes branching points that became useless. */
static void aip_unlink(struct aip_table *t, struct aip_node *node)
{
	struct aip_node *c0, *c1, *child, *parent;

	list_del_init(&node->peer_entry);
	RCU_INIT_POINTER(node->peer, NULL);
	++t->seq;

	while (node && !rcu_access_pointer(node->peer)) {
		c0 = aip_deref(t, node->child[0]);
		c1 = aip_deref(t, node->child[1]);
		if (c0 && c1)
			break;
		child = c0 ? c0 : c1;
		parent = node->parent;
		if (child)
			child->parent = parent;
		rcu_assign_pointer(*aip_slot_of(t, node), child);
		kfree_rcu(node, rcu);
		wg_obj_freed(WG_OBJ_AIP_NODE);
		if (child)
			break;
		node = parent;
	}
}

int aip_remove(struct aip_table *t, int family, const void *addr, u8 cidr,
	       struct wgpeer *peer)
{
	unsigned int maxbits = aip_maxbits(family);
	struct aip_node *node;
	struct aip_key key;

	lockdep_assert_held(t->lock);
	if (cidr > maxbits)
		return -EINVAL;
	aip_make_key(&key, family, addr);
	aip_mask_key(&key, cidr);

	node = aip_deref(t, *aip_root(t, family));
	while (node && node->cidr <= cidr &&
	       aip_common_bits(&node->key, &key, node->cidr) == node->cidr) {
		if (node->cidr == cidr) {
			if (aip_deref(t, node->peer) == peer)
				aip_unlink(t, node);
			return 0;
		}
		node = aip_deref(t, node->child[aip_bit(&key, node->cidr)]);
	}
	return 0;
}

void aip_remove_peer(struct aip_table *t, struct wgpeer *peer)
{
	struct aip_node *node, *tmp;

	lockdep_assert_held(t->lock);
	list_for_each_entry_safe(node, tmp, &peer->allowedips, peer_entry)
		aip_unlink(t, node);
}

static void aip_free_tree(struct aip_table *t, struct aip_node __rcu **root)
{
	struct aip_node *node = aip_deref(t, *root), *next;

	RCU_INIT_POINTER(*root, NULL);
	/* Post-order walk using the parent pointers; nothing else sees it. */
	while (node) {
		next = aip_deref(t, node->child[0]);
		if (next) {
			RCU_INIT_POINTER(node->child[0], NULL);
			node = next;
			continue;
		}
		next = aip_deref(t, node->child[1]);
		if (next) {
			RCU_INIT_POINTER(node->child[1], NULL);
			node = next;
			continue;
		}
		next = node->parent;
		list_del(&node->peer_entry);
		kfree_rcu(node, rcu);
		wg_obj_freed(WG_OBJ_AIP_NODE);
		node = next;
	}
}

void aip_free(struct aip_table *t)
{
	lockdep_assert_held(t->lock);
	++t->seq;
	aip_free_tree(t, &t->root4);
	aip_free_tree(t, &t->root6);
}

struct wgpeer *aip_lookup(struct aip_table *t, int family, const void *addr)
{
	unsigned int maxbits = aip_maxbits(family);
	struct wgpeer *best = NULL, *p;
	struct aip_node *node;
	struct aip_key key;

	aip_make_key(&key, family, addr);
	node = rcu_dereference_bh(*aip_root(t, family));
	while (node) {
		if (aip_common_bits(&node->key, &key, node->cidr) < node->cidr)
			break;
		p = rcu_dereference_bh(node->peer);
		if (p)
			best = p;
		if (node->cidr >= maxbits)
			break;
		node = rcu_dereference_bh(node->child[aip_bit(&key,
							      node->cidr)]);
	}
	return best;
}

struct wgpeer *aip_lookup_dst(struct aip_table *t, struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return aip_lookup(t, AF_INET, &ip_hdr(skb)->daddr);
	if (skb->protocol == htons(ETH_P_IPV6))
		return aip_lookup(t, AF_INET6, &ipv6_hdr(skb)->daddr);
	return NULL;
}

struct wgpeer *aip_lookup_src(struct aip_table *t, struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return aip_lookup(t, AF_INET, &ip_hdr(skb)->saddr);
	if (skb->protocol == htons(ETH_P_IPV6))
		return aip_lookup(t, AF_INET6, &ipv6_hdr(skb)->saddr);
	return NULL;
}

int aip_node_addr(const struct aip_node *node, u8 *addr, u8 *cidr)
{
	*cidr = node->cidr;
	if (node->family == AF_INET) {
		put_unaligned_be32(node->key.hi >> 32, addr);
	} else {
		put_unaligned_be64(node->key.hi, addr);
		put_unaligned_be64(node->key.lo, addr + 8);
	}
	return node->family;
}
