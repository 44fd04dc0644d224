/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ratelimiter.h - per-source token bucket for incoming handshake messages.
 *
 * Owns: one module-wide table of buckets keyed by (network namespace,
 * source address), where an IPv4 source is its full address and an IPv6
 * source its /64 prefix. Each source may send WG_RL_PACKETS_PER_SECOND
 * handshakes per second with a burst of WG_RL_BURST. Buckets idle for more
 * than a second are collected by a work item that runs every second. The
 * table holds at most 8 entries per hash bucket on average; a new source is
 * refused while it is full.
 *
 * Lifetime: the table is shared by every device. Each device calls
 * wg_ratelimiter_init() when it is created and wg_ratelimiter_uninit() when
 * it is destroyed; the first init allocates, the last uninit frees (a
 * mutex-protected use count). When a network namespace dies, its devices
 * call wg_ratelimiter_forget_net() so no bucket keeps its address alive.
 *
 * Locking: lookups are RCU-protected and lockless; each bucket has its own
 * spinlock for the token update; insertion and removal take the table
 * spinlock. wg_ratelimiter_allow() may be called from any context (softirq
 * included). init/uninit may sleep.
 */
#ifndef WG_RATELIMITER_H
#define WG_RATELIMITER_H

#include <linux/types.h>
#include <linux/socket.h>

struct net;

#define WG_RL_PACKETS_PER_SECOND	20
#define WG_RL_BURST			5
/* Idle buckets older than this are collected; GC also runs this often. */
#define WG_RL_GC_INTERVAL_NS		NSEC_PER_SEC

/* Take a use of the shared table (allocating it on first use). -ENOMEM. */
int wg_ratelimiter_init(void);
/* Drop a use; the last one stops the GC, waits for RCU and frees all. */
void wg_ratelimiter_uninit(void);

/**
 * wg_ratelimiter_allow - may a handshake from @src be processed now?
 * @net: namespace of the receiving socket (compared by pointer only)
 * @src: the outer source address, a struct sockaddr_in or sockaddr_in6;
 *	 a v4-mapped IPv6 address counts as its IPv4 address
 *
 * Return: true to process the packet (a token was taken), false to drop it.
 * Unknown address families and a table that is not initialised are refused.
 */
bool wg_ratelimiter_allow(const struct net *net, const struct sockaddr *src);

/* Same, at the given monotonic time in ns (for the self-tests). */
bool wg_ratelimiter_allow_at(const struct net *net,
			     const struct sockaddr *src, u64 now_ns);

/* Run the idle-bucket collection now, as the GC does every second. May sleep. */
void wg_ratelimiter_collect(void);

/* Drop every bucket of @net (namespace exit). May sleep. */
void wg_ratelimiter_forget_net(const struct net *net);

#ifdef WG_DEBUG
/*
 * Self-test seam: how many new sources the table still accepts before it
 * refuses them (0 when it is not initialised). A snapshot; may sleep.
 */
unsigned int wg_ratelimiter_room(void);
/*
 * Self-test seam: limit the table to @room more sources than it holds now
 * (so a test can fill it quickly), or with @room == UINT_MAX restore the
 * limit it was sized with. Return: the room before the call. May sleep.
 */
unsigned int wg_ratelimiter_limit_room(unsigned int room);
#endif

#endif /* WG_RATELIMITER_H */
