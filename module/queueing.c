// SPDX-License-Identifier: GPL-2.0
/*
 * Device-wide crypto engines and per-peer order lists (see queueing.h for
 * the design and the locking rules).
 */

#include "compat.h"
#include <linux/cpumask.h>
#include "queueing.h"
#include "noise.h"

static void wgq_worker_fn(struct work_struct *work)
{
	struct wgq_worker *w = container_of(work, struct wgq_worker, work);
	struct wgq_engine *e = w->engine;
	struct sk_buff *skb;

	while ((skb = ptr_ring_consume_bh(&e->ring))) {
		if (e->counted)
			atomic_dec(&e->count);
		e->handler(e, skb);
		cond_resched();
	}
}

int wgq_engine_init(struct wgq_engine *e, struct workqueue_struct *wq,
		    unsigned int size, wgq_handler_t handler, void *owner,
		    bool counted)
{
	int cpu, ret;

	ret = ptr_ring_init(&e->ring, size, GFP_KERNEL);
	if (ret)
		return ret;
	e->workers = alloc_percpu(struct wgq_worker);
	if (!e->workers) {
		ptr_ring_cleanup(&e->ring, NULL);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct wgq_worker *w = per_cpu_ptr(e->workers, cpu);

		INIT_WORK(&w->work, wgq_worker_fn);
		w->engine = e;
	}
	e->wq = wq;
	e->handler = handler;
	e->owner = owner;
	e->counted = counted;
	atomic_set(&e->count, 0);
	e->next_cpu = -1;
	return 0;
}

/* Frees a packet, or a transmit chain whole, and its keypair reference. */
void wgq_free_skb(void *ptr)
{
	struct sk_buff *skb = ptr, *next;

	if (wgcb(skb)->kp)
		wg_keypair_put(wgcb(skb)->kp);
	for (; skb; skb = next) {
		next = wgcb(skb)->next_seg;
		kfree_skb(skb);
	}
}

void wgq_engine_drain(struct wgq_engine *e)
{
	struct sk_buff *skb;
	int cpu;

	while ((skb = ptr_ring_consume_bh(&e->ring))) {
		if (e->counted)
			atomic_dec(&e->count);
		wgq_free_skb(skb);
	}
	/* A worker may still be handling the one it took before. */
	for_each_possible_cpu(cpu)
		flush_work(&per_cpu_ptr(e->workers, cpu)->work);
}

void wgq_engine_free(struct wgq_engine *e)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cancel_work_sync(&per_cpu_ptr(e->workers, cpu)->work);
	free_percpu(e->workers);
	ptr_ring_cleanup(&e->ring, wgq_free_skb);
}

/* Round-robin over online CPUs so one peer's crypto uses all of them. */
static int wgq_pick_cpu(struct wgq_engine *e)
{
	int cpu = cpumask_next(READ_ONCE(e->next_cpu), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	WRITE_ONCE(e->next_cpu, cpu);
	return cpu;
}

bool wgq_engine_push(struct wgq_engine *e, struct sk_buff *skb)
{
	int cpu;

	if (ptr_ring_produce_bh(&e->ring, skb))
		return false;
	if (e->counted)
		atomic_inc(&e->count);
	cpu = wgq_pick_cpu(e);
	queue_work_on(cpu, e->wq, &per_cpu_ptr(e->workers, cpu)->work);
	return true;
}

void wgq_order_init(struct wgq_order *o)
{
	skb_queue_head_init(&o->list);
}

void wgq_mark(struct sk_buff *skb, enum wgq_state state)
{
	atomic_set_release(&wgcb(skb)->state, state);
}

struct sk_buff *wgq_order_pop(struct wgq_order *o, enum wgq_state *state)
{
	struct sk_buff *skb;
	int s;

	spin_lock_bh(&o->list.lock);
	skb = skb_peek(&o->list);
	if (skb) {
		s = atomic_read_acquire(&wgcb(skb)->state);
		if (s == WGQ_PENDING) {
			skb = NULL;
		} else {
			__skb_unlink(skb, &o->list);
			*state = s;
		}
	}
	spin_unlock_bh(&o->list.lock);
	return skb;
}

void wgq_order_purge(struct wgq_order *o)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&o->list)))
		wgq_free_skb(skb);
}
