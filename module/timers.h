/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol's per-peer timers (whitepaper §6): handshake retransmission,
 * passive keepalive, new handshake after unanswered data, key zeroing, and
 * persistent keepalive; plus the event hooks that arm and cancel them.
 *
 * Locking: timers are self-synchronised by the timer API. Hooks may be
 * called from process and softirq context, not hard irq. A dead peer
 * (peer->dead) never re-arms a timer: the check and the arming are one
 * RCU-bh read section, and teardown waits a grace period after marking the
 * peer dead before wgtimers_shutdown(), which waits for running callbacks.
 */
#ifndef WGM_TIMERS_H
#define WGM_TIMERS_H

#include <linux/types.h>

struct wgpeer;
struct wg_keypair;

/* Protocol seconds as jiffies (scaled down in WG_DEBUG builds). */
unsigned long wgtimers_secs(unsigned int seconds);
/*
 * The "now" to pass to noise.h's keypair age checks: wg_clock_ns(), or in
 * WG_DEBUG builds a clock that runs time_divisor times faster from the
 * keypair's birth, so rekey and expiry scale with the timers.
 */
u64 wgtimers_keypair_now(const struct wg_keypair *kp);

void wgtimers_init(struct wgpeer *peer);
/*
 * Interface down: stop all timers; they may be armed again later. Peer
 * removal (@for_good): stop them so that they never run again.
 */
void wgtimers_stop(struct wgpeer *peer, bool for_good);

static inline void wgtimers_cancel(struct wgpeer *peer)
{
	wgtimers_stop(peer, false);
}

static inline void wgtimers_shutdown(struct wgpeer *peer)
{
	wgtimers_stop(peer, true);
}

/* What happened to a peer, as far as its timers are concerned. */
enum wgtimers_event {
	WGT_EV_DATA_SENT,	/* an encrypted data packet (not keepalive) */
	WGT_EV_DATA_RECEIVED,	/* a decrypted data packet (not keepalive) */
	WGT_EV_AUTH_SENT,	/* any authenticated packet, handshake too */
	WGT_EV_AUTH_RECEIVED,	/* any authenticated packet, handshake too */
	WGT_EV_AUTH_TRAVERSAL,	/* either of the two above */
	WGT_EV_INITIATED,	/* an initiation was sent */
	WGT_EV_COMPLETE,	/* a handshake completed */
	WGT_EV_SESSION,		/* new session keys were derived */
	WGT_EV_PERSISTENT,	/* the persistent keepalive interval was set */
};

void wgtimers_event(struct wgpeer *peer, enum wgtimers_event ev);

#endif /* WGM_TIMERS_H */
