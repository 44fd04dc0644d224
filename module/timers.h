/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol's per-peer timers (whitepaper §6): handshake retransmission,
 * passive keepalive, new handshake after unanswered data, key zeroing, and
 * persistent keepalive; plus the event hooks that arm and cancel them.
 *
 * Locking: timers are self-synchronised by the timer API. Hooks may be
 * called from any context. A dead peer (peer->dead) never re-arms a timer;
 * wgtimers_shutdown() waits for running callbacks.
 */
#ifndef WGM_TIMERS_H
#define WGM_TIMERS_H

#include <linux/types.h>

struct wgpeer;

void wgtimers_init(struct wgpeer *peer);
/* Interface down: stop all timers; they may be armed again later. */
void wgtimers_cancel(struct wgpeer *peer);
/* Peer removal: stop all timers for good. */
void wgtimers_shutdown(struct wgpeer *peer);

/* Protocol seconds as jiffies (scaled down in WG_DEBUG builds). */
unsigned long wgtimers_secs(unsigned int seconds);
struct wg_keypair;
/*
 * The "now" to pass to noise.h's keypair age checks: wg_clock_ns(), or in
 * WG_DEBUG builds a clock that runs time_divisor times faster from the
 * keypair's birth, so rekey and expiry scale with the timers.
 */
u64 wgtimers_keypair_now(const struct wg_keypair *kp);

void wgtimers_data_sent(struct wgpeer *peer);
void wgtimers_data_received(struct wgpeer *peer);
void wgtimers_auth_sent(struct wgpeer *peer);
void wgtimers_auth_received(struct wgpeer *peer);
void wgtimers_auth_traversal(struct wgpeer *peer);
void wgtimers_handshake_initiated(struct wgpeer *peer);
void wgtimers_handshake_complete(struct wgpeer *peer);
void wgtimers_session_derived(struct wgpeer *peer);
/* A persistent keepalive interval was set. */
void wgtimers_persistent_changed(struct wgpeer *peer);

#endif /* WGM_TIMERS_H */
