// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - the sliding anti-replay window (see replay.h).
 *
 * The ring holds WG_REPLAY_BITS bits; counter c lives at bit
 * c % WG_REPLAY_BITS. When the highest counter moves forward, the words it
 * skips into are cleared first, so a bit that is set always belongs to a
 * counter inside the current span. The span from the oldest acceptable
 * counter (highest - WG_REPLAY_WINDOW) to the highest covers at most
 * WG_REPLAY_BITS / BITS_PER_LONG words, so it never wraps onto itself.
 *
 * Locking: the caller's (see replay.h): one caller at a time per window.
 */
#include "compat.h"
#include <linux/bitops.h>
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include "replay.h"

#define WG_REPLAY_WORDS		(WG_REPLAY_BITS / BITS_PER_LONG)

static_assert(WG_REPLAY_BITS % BITS_PER_LONG == 0);
static_assert((WG_REPLAY_WORDS & (WG_REPLAY_WORDS - 1)) == 0);

void wg_replay_init(struct wg_replay *r)
{
	r->next = 0;
	bitmap_zero(r->ring, WG_REPLAY_BITS);
}

/* Clear the words that the window slides into when @top becomes highest. */
static void wg_replay_advance(struct wg_replay *r, u64 top)
{
	u64 old_word, new_word, steps, i;

	if (!r->next)
		return;	/* nothing was ever set */
	old_word = (r->next - 1) / BITS_PER_LONG;
	new_word = top / BITS_PER_LONG;
	steps = min_t(u64, new_word - old_word, WG_REPLAY_WORDS);
	for (i = 1; i <= steps; i++)
		r->ring[(old_word + i) % WG_REPLAY_WORDS] = 0;
}

bool wg_replay_accept(struct wg_replay *r, u64 counter)
{
	unsigned int bit = counter % WG_REPLAY_BITS;
	bool fresh;

	if (unlikely(counter >= WG_REJECT_AFTER_MESSAGES))
		return false;

	if (counter >= r->next) {
		/* Ahead of everything seen: slide the window up to it. */
		wg_replay_advance(r, counter);
		__set_bit(bit, r->ring);
		r->next = counter + 1;
		fresh = true;
	} else if (r->next - 1 - counter > WG_REPLAY_WINDOW) {
		/* Behind the window: cannot tell, so refuse. */
		fresh = false;
	} else {
		/* Inside the window: accept once. */
		fresh = !__test_and_set_bit(bit, r->ring);
	}
	return fresh;
}
