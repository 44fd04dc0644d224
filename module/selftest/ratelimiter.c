// SPDX-License-Identifier: GPL-2.0
/*
 * selftest/ratelimiter.c - self-test of the handshake rate limiter: burst
 * then refusal, refill with time, the IPv6 /64 grouping, v4-mapped
 * addresses, separation by namespace, collection of idle buckets, and the
 * refusal of new sources while the table is full. Time is passed
 * explicitly (wg_ratelimiter_allow_at), so nothing waits. The buckets live
 * under three fake namespace keys that no device uses and are dropped at
 * the end.
 * Takes and drops its own use of the shared table; may sleep.
 */
#include "../compat.h"
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>
#include "../messages.h"
#include "../ratelimiter.h"
#include "selftest.h"

#define CHECK(cond) WG_CHECK("ratelimiter", fails, cond)

/* Never dereferenced: only their addresses serve as namespace keys. */
static const u8 wg_st_fake_net[3];
#define NET_A ((const struct net *)&wg_st_fake_net[0])
#define NET_B ((const struct net *)&wg_st_fake_net[1])
#define NET_FILL ((const struct net *)&wg_st_fake_net[2])

#define COST_NS (NSEC_PER_SEC / WG_RL_PACKETS_PER_SECOND)

static struct sockaddr_in wg_st_v4(u32 host_order_addr, u16 port)
{
	struct sockaddr_in s = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(host_order_addr),
	};
	return s;
}

static struct sockaddr_in6 wg_st_v6(u32 w0, u32 w1, u32 w2, u32 w3)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };

	s.sin6_port = htons(51820);
	s.sin6_addr.s6_addr32[0] = htonl(w0);
	s.sin6_addr.s6_addr32[1] = htonl(w1);
	s.sin6_addr.s6_addr32[2] = htonl(w2);
	s.sin6_addr.s6_addr32[3] = htonl(w3);
	return s;
}

/* How many of @n packets at time @t from @src on @net get through. */
static unsigned int wg_st_burst(const struct net *net, const void *src,
				u64 t, unsigned int n)
{
	unsigned int passed = 0;

	while (n--)
		passed += wg_ratelimiter_allow_at(net, src, t);
	return passed;
}

/*
 * The table as sized: 8 sources per hash bucket, 64 to 8192 buckets. Then,
 * limited to WG_ST_FILL more sources (filling the real size would take
 * seconds on a debug kernel), fill it with new IPv4 sources of NET_FILL at
 * @t (each one packet) and check that a further new source is refused
 * while known ones are still served, in any namespace, and that freeing
 * places lets new sources in again.
 */
#define WG_ST_FILL	256U

static unsigned int wg_st_table_full(u64 t)
{
	struct sockaddr_in first = wg_st_v4(0x0a000000, 1);	/* 10.0.0.0 */
	struct sockaddr_in src;
	unsigned int sized, room, fails = 0, passed = 0, i;

	sized = wg_ratelimiter_room();
	CHECK(sized >= 64 * 8 && sized <= 8192 * 8);
	CHECK(wg_ratelimiter_limit_room(WG_ST_FILL) == sized);
	room = wg_ratelimiter_room();
	CHECK(room == min(WG_ST_FILL, sized));

	for (i = 0; i < room; i++) {
		src = wg_st_v4(0x0a000000 + i, 1);
		passed += wg_st_burst(NET_FILL, &src, t, 1);
	}
	CHECK(passed == room);
	CHECK(wg_ratelimiter_room() == 0);

	/* Full: new sources are refused, in this namespace or another. */
	src = wg_st_v4(0x0a000000 + room, 1);
	CHECK(wg_st_burst(NET_FILL, &src, t, 1) == 0);
	CHECK(wg_st_burst(NET_A, &first, t, 1) == 0);
	/* A refused source got no bucket: it is refused again, not drained. */
	CHECK(wg_st_burst(NET_FILL, &src, t, 1) == 0);
	/* Known sources keep their buckets (four packets left of five). */
	CHECK(wg_st_burst(NET_FILL, &first, t, 8) == WG_RL_BURST - 1);

	/* Freeing the namespace's places lets new sources in again. */
	wg_ratelimiter_forget_net(NET_FILL);
	CHECK(wg_ratelimiter_room() == room);
	CHECK(wg_st_burst(NET_FILL, &src, t, 8) == WG_RL_BURST);
	wg_ratelimiter_forget_net(NET_FILL);

	wg_ratelimiter_limit_room(UINT_MAX);
	CHECK(wg_ratelimiter_room() == sized);
	return fails;
}

bool wg_selftest_ratelimiter(void)
{
	struct sockaddr_in a = wg_st_v4(0xc0000201, 1000);	/* 192.0.2.1 */
	struct sockaddr_in a_other_port = wg_st_v4(0xc0000201, 2000);
	struct sockaddr_in b = wg_st_v4(0xc0000202, 1000);	/* 192.0.2.2 */
	struct sockaddr_in6 x1 = wg_st_v6(0x20010db8, 0x00010002, 0, 1);
	struct sockaddr_in6 x2 = wg_st_v6(0x20010db8, 0x00010002, 0xffff, 2);
	struct sockaddr_in6 y = wg_st_v6(0x20010db8, 0x00010003, 0, 1);
	struct sockaddr_in6 mapped_a = wg_st_v6(0, 0, 0xffff, 0xc0000201);
	struct sockaddr unknown = { .sa_family = AF_UNIX };
	unsigned int fails = 0;
	u64 t0, t_idle;

	if (wg_ratelimiter_init())
		return wg_selftest_report("ratelimiter", false);
	/* Far ahead of the clock, so the GC never finds these buckets idle. */
	t0 = wg_clock_ns() + 3600 * NSEC_PER_SEC;

	/* First, while only this test's buckets can be in the table. */
	fails += wg_st_table_full(t0);

	/* A burst of 5 passes, the rest of the same instant is refused. */
	CHECK(wg_st_burst(NET_A, &a, t0, 8) == WG_RL_BURST);
	/* Same address, other port: the same bucket. */
	CHECK(wg_st_burst(NET_A, &a_other_port, t0, 1) == 0);
	/* v4-mapped IPv6 form of the same address: the same bucket. */
	CHECK(wg_st_burst(NET_A, &mapped_a, t0, 1) == 0);
	/* Another address, another namespace: their own buckets. */
	CHECK(wg_st_burst(NET_A, &b, t0, 8) == WG_RL_BURST);
	CHECK(wg_st_burst(NET_B, &a, t0, 8) == WG_RL_BURST);

	/* Refill: one packet's worth after 1/20 s, not before. */
	CHECK(wg_st_burst(NET_A, &a, t0 + COST_NS - 1, 1) == 0);
	CHECK(wg_st_burst(NET_A, &a, t0 + COST_NS, 3) == 1);
	/* A long pause refills only up to the burst. */
	CHECK(wg_st_burst(NET_A, &a, t0 + 10 * NSEC_PER_SEC, 10) ==
	      WG_RL_BURST);
	/* A steady 20/s is sustained. */
	CHECK(wg_st_burst(NET_A, &a, t0 + 10 * NSEC_PER_SEC + COST_NS, 1) == 1);
	CHECK(wg_st_burst(NET_A, &a, t0 + 10 * NSEC_PER_SEC + 2 * COST_NS, 1) ==
	      1);

	/* IPv6: one bucket per /64. */
	CHECK(wg_st_burst(NET_A, &x1, t0, 8) == WG_RL_BURST);
	CHECK(wg_st_burst(NET_A, &x2, t0, 1) == 0);
	CHECK(wg_st_burst(NET_A, &y, t0, 8) == WG_RL_BURST);

	/* Unknown families are refused. */
	CHECK(!wg_ratelimiter_allow_at(NET_A, &unknown, t0));

	/*
	 * The GC drops buckets idle for more than a second. One drained a
	 * second and a half ago (by the real clock) is gone afterwards, so
	 * the same instant gets a whole burst again; a drained one that is
	 * not idle yet (t0, in the future) stays drained.
	 */
	t_idle = wg_clock_ns() - 3 * NSEC_PER_SEC / 2;
	CHECK(wg_st_burst(NET_B, &b, t_idle, 8) == WG_RL_BURST);
	/* (The periodic GC may beat us to it; either way it must be gone.) */
	wg_ratelimiter_collect();
	CHECK(wg_st_burst(NET_B, &b, t_idle, 8) == WG_RL_BURST);
	CHECK(wg_st_burst(NET_A, &b, t0, 1) == 0);

	/* Forgetting a namespace empties its buckets only. */
	wg_ratelimiter_forget_net(NET_B);
	CHECK(wg_st_burst(NET_B, &a, t0, 8) == WG_RL_BURST);
	CHECK(wg_st_burst(NET_A, &b, t0, 1) == 0);

	wg_ratelimiter_forget_net(NET_A);
	wg_ratelimiter_forget_net(NET_B);
	wg_ratelimiter_uninit();
	return wg_selftest_report("ratelimiter", !fails);
}
