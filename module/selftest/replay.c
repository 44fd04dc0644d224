// SPDX-License-Identifier: GPL-2.0
/*
 * selftest/replay.c - self-test of the anti-replay window: in order, out of
 * order inside the window, too old, duplicates, big jumps that recycle the
 * ring, and the counters near WG_REJECT_AFTER_MESSAGES.
 * No locking beyond the window's own: runs single-threaded at module init.
 */
#include "../compat.h"
#include <linux/slab.h>
#include "../replay.h"
#include "selftest.h"

#define CHECK(cond) WG_CHECK("replay", fails, cond)

bool wg_selftest_replay(void)
{
	const u64 limit = WG_REJECT_AFTER_MESSAGES;
	struct wg_replay *r;
	unsigned int fails = 0;
	bool all;
	u64 i;

	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return wg_selftest_report("replay", false);

	/* In order, then duplicates. */
	wg_replay_init(r);
	all = true;
	for (i = 0; i < 3 * WG_REPLAY_BITS; i++)
		all &= wg_replay_accept(r, i);
	CHECK(all);
	CHECK(!wg_replay_accept(r, 3 * WG_REPLAY_BITS - 1));
	CHECK(!wg_replay_accept(r, 0));
	CHECK(!wg_replay_accept(r, 2 * WG_REPLAY_BITS + 5));

	/* Out of order inside the window, each once. */
	wg_replay_init(r);
	CHECK(wg_replay_accept(r, 100));
	CHECK(wg_replay_accept(r, 50));
	CHECK(!wg_replay_accept(r, 50));
	CHECK(wg_replay_accept(r, 0));
	CHECK(!wg_replay_accept(r, 100));
	CHECK(wg_replay_accept(r, 99));
	CHECK(wg_replay_accept(r, 101));

	/* The edge of the window: max - WINDOW is in, one less is out. */
	wg_replay_init(r);
	CHECK(wg_replay_accept(r, 10000));
	CHECK(!wg_replay_accept(r, 10000 - WG_REPLAY_WINDOW - 1));
	CHECK(wg_replay_accept(r, 10000 - WG_REPLAY_WINDOW));
	CHECK(!wg_replay_accept(r, 10000 - WG_REPLAY_WINDOW));
	CHECK(!wg_replay_accept(r, 0));
	/* A fresh window refuses nothing below its first counter... */
	wg_replay_init(r);
	CHECK(wg_replay_accept(r, WG_REPLAY_WINDOW));
	CHECK(wg_replay_accept(r, 0));
	/* ...unless it is out of reach. */
	wg_replay_init(r);
	CHECK(wg_replay_accept(r, WG_REPLAY_WINDOW + 1));
	CHECK(!wg_replay_accept(r, 0));

	/*
	 * Fill one lap of the ring, jump a lap ahead: every counter of the new
	 * window maps onto a bit set in the old lap and must be accepted once.
	 */
	wg_replay_init(r);
	for (i = 0; i < WG_REPLAY_BITS; i++)
		wg_replay_accept(r, i);
	CHECK(wg_replay_accept(r, 2 * WG_REPLAY_BITS - 1));
	all = true;
	for (i = 2 * WG_REPLAY_BITS - 1 - WG_REPLAY_WINDOW;
	     i < 2 * WG_REPLAY_BITS - 1; i++)
		all &= wg_replay_accept(r, i);
	CHECK(all);
	all = true;
	for (i = 2 * WG_REPLAY_BITS - 1 - WG_REPLAY_WINDOW;
	     i < 2 * WG_REPLAY_BITS; i++)
		all &= !wg_replay_accept(r, i);
	CHECK(all);
	/* A jump far past the ring forgets everything. */
	CHECK(wg_replay_accept(r, 1000000));
	CHECK(wg_replay_accept(r, 1000000 - 1));
	CHECK(wg_replay_accept(r, 1000000 - WG_REPLAY_BITS + 100));
	CHECK(!wg_replay_accept(r, 1000000 - WG_REPLAY_WINDOW - 1));

	/* Near the limit: the last usable counter, then nothing. */
	wg_replay_init(r);
	CHECK(wg_replay_accept(r, limit - 2));
	CHECK(wg_replay_accept(r, limit - 1));
	CHECK(!wg_replay_accept(r, limit - 1));
	CHECK(!wg_replay_accept(r, limit));
	CHECK(!wg_replay_accept(r, U64_MAX));
	CHECK(!wg_replay_accept(r, limit - 2));
	CHECK(wg_replay_accept(r, limit - 3));
	CHECK(wg_replay_accept(r, limit - 1 - WG_REPLAY_WINDOW));
	CHECK(!wg_replay_accept(r, limit - 2 - WG_REPLAY_WINDOW));
	/* A fresh window refuses the limit itself too. */
	wg_replay_init(r);
	CHECK(!wg_replay_accept(r, limit));
	CHECK(wg_replay_accept(r, 0));

	kfree(r);
	return wg_selftest_report("replay", !fails);
}
