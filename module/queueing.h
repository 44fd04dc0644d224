/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Moving packets between the contexts of the data path.
 *
 * A wgq_engine is a device-wide ring of skbs plus one work item per CPU:
 * producers put an skb in the ring and kick the next CPU's work item, and
 * every worker drains the ring. Encryption, decryption and received
 * handshakes each have one engine, so the crypto of one peer spreads over
 * all CPUs.
 *
 * Order is kept per peer by a wgq_order list: a packet is appended in wire
 * order before it enters an engine, the engine marks it done (or dropped)
 * in its control block, and the peer's sender (tx) or NAPI poll (rx) takes
 * packets off the head only while the head is finished.
 *
 * On transmit the unit is a chain, not a packet: the packets one flush of
 * the staged queue gives a keypair (a GSO super-packet's segments, say) go
 * as one ring slot, one work item and one keypair reference, linked by
 * wgcb->next_seg from the head, which alone sits in the order list and the
 * ring. Each packet of the chain says in wgcb->sealed whether it was
 * encrypted; the head's state says the whole chain was handled.
 *
 * Locking: the ring has the ptr_ring locks; the order list has the
 * sk_buff_head lock, taken with BH disabled. The state field is written
 * with release and read with acquire semantics, so the finished payload is
 * visible to whoever sees the state.
 */
#ifndef WGM_QUEUEING_H
#define WGM_QUEUEING_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <linux/ptr_ring.h>
#include <linux/percpu.h>

struct wg_keypair;
struct wgpeer;

enum wgq_state {
	WGQ_PENDING = 0,
	WGQ_DONE,
	WGQ_DROP,
};

/* skb->cb while a packet is inside the module. */
struct wgcb {
	struct wg_keypair *kp;	/* one reference while in flight (tx: head) */
	struct sk_buff *next_seg; /* tx: the next packet of this chain */
	u64 nonce;
	atomic_t state;
	u32 mtu;		/* tx: device MTU for padding */
	u32 wire_len;		/* rx: WireGuard message length */
	u8 ds;			/* tx: inner DS field, for outer ECN */
	u8 nesting;		/* tx: tunnels around it so far (socket.h) */
	u8 sealed;		/* tx: encrypted, ready to send */
};

static inline struct wgcb *wgcb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct wgcb) > sizeof(skb->cb));
	return (struct wgcb *)skb->cb;
}

struct wgq_engine;

struct wgq_worker {
	struct work_struct work;
	struct wgq_engine *engine;
};

typedef void (*wgq_handler_t)(struct wgq_engine *engine, struct sk_buff *skb);

struct wgq_engine {
	struct ptr_ring ring;
	struct wgq_worker __percpu *workers;
	struct workqueue_struct *wq;
	wgq_handler_t handler;
	void *owner;		/* the device */
	/*
	 * Packets in the ring, kept only where someone reads it (the
	 * handshake engine's under-load check): the data engines touch no
	 * shared counter per packet.
	 */
	bool counted;
	atomic_t count;
	int next_cpu;		/* round-robin start, racy by design */
};

int wgq_engine_init(struct wgq_engine *e, struct workqueue_struct *wq,
		    unsigned int size, wgq_handler_t handler, void *owner,
		    bool counted);
/* Stops accepting work; frees the skbs left in the ring. */
void wgq_engine_free(struct wgq_engine *e);
/*
 * Free what is queued and wait for the workers to finish the packets they
 * hold; the handler must drop what arrives meanwhile. Process context.
 */
void wgq_engine_drain(struct wgq_engine *e);
/* Queues @skb; false when the ring is full (the caller still owns it). */
bool wgq_engine_push(struct wgq_engine *e, struct sk_buff *skb);

/* Per-peer in-order list. */
struct wgq_order {
	struct sk_buff_head list;
};

void wgq_order_init(struct wgq_order *o);
/* Frees a packet, or a transmit chain whole, and its keypair reference. */
void wgq_free_skb(void *ptr);
/* Marks the packet finished; pairs with wgq_order_pop(). */
void wgq_mark(struct sk_buff *skb, enum wgq_state state);
/*
 * Takes the head if it is finished; returns NULL when empty or when the
 * head is still pending. *state gets the head's final state.
 */
struct sk_buff *wgq_order_pop(struct wgq_order *o, enum wgq_state *state);
/* Drops every queued packet, releasing its keypair (peer removal). */
void wgq_order_purge(struct wgq_order *o);

#endif /* WGM_QUEUEING_H */
