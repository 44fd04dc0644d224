/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replay.h - the anti-replay window of one receiving key.
 *
 * Owns: the record of which message counters have been accepted on one
 * keypair, as a ring of WG_REPLAY_BITS bits (RFC 6479 style) that slides
 * with the highest counter seen. A counter is accepted once if it is above
 * every counter seen so far, or if it is at most WG_REPLAY_WINDOW below the
 * highest one and was not seen before. Counters at or past
 * WG_REJECT_AFTER_MESSAGES are never accepted.
 *
 * Locking: none inside. The caller serialises the calls on one window: the
 * receive path calls wg_replay_accept() only from the owning peer's NAPI
 * poll, which runs on one CPU at a time, so decrypting CPUs share no lock.
 *
 * Use it only after the AEAD tag of the message verified: an unauthenticated
 * counter must not move the window.
 */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

#include <linux/types.h>
#include "messages.h"

struct wg_replay {
	/* One past the highest accepted counter; 0 while none was accepted. */
	u64 next;
	unsigned long ring[WG_REPLAY_BITS / BITS_PER_LONG];
};

/* Start an empty window: every counter below the limit is acceptable. */
void wg_replay_init(struct wg_replay *r);

/**
 * wg_replay_accept - record @counter if it is new and inside the window
 * @r: the receive window of the keypair that authenticated the message
 * @counter: the message counter (host order)
 *
 * Return: true if the message is fresh and must be delivered; false if it is
 * a duplicate, too old, or past WG_REJECT_AFTER_MESSAGES (drop it).
 */
bool wg_replay_accept(struct wg_replay *r, u64 counter);

#endif /* WG_REPLAY_H */
