// SPDX-License-Identifier: GPL-2.0
/*
 * Per-peer protocol timers (see timers.h). What each one does:
 *  - retransmit: an initiation got no response within REKEY_TIMEOUT plus
 *    jitter; send it again, or give up after WG_MAX_HANDSHAKE_ATTEMPTS
 *    retries, dropping staged packets.
 *  - keepalive: we received data and sent nothing for KEEPALIVE_TIMEOUT.
 *  - new_handshake: we sent data and got nothing authenticated back for
 *    KEEPALIVE_TIMEOUT + REKEY_TIMEOUT plus jitter.
 *  - zero_keys: no new session for 3 * REJECT_AFTER_TIME; wipe all keys.
 *  - persistent: nothing authenticated crossed for the configured interval.
 * Locking: none beyond the timer API; callbacks run in softirq and defer
 * anything that may sleep to work items.
 */

#include "compat.h"
#include <linux/module.h>
#include <linux/random.h>
#include "timers.h"
#include "peer.h"
#include "device.h"
#include "send.h"

#ifdef WG_DEBUG
static unsigned int time_divisor = 1;
module_param(time_divisor, uint, 0644);
MODULE_PARM_DESC(time_divisor,
		 "debug builds only: divide protocol timer durations by this");
#endif

unsigned long wgtimers_secs(unsigned int seconds)
{
	unsigned long j = (unsigned long)seconds * HZ;

#ifdef WG_DEBUG
	unsigned int div = READ_ONCE(time_divisor);

	if (div > 1)
		j = max(j / div, 1UL);
#endif
	return j;
}

u64 wgtimers_keypair_now(const struct wg_keypair *kp)
{
	u64 now = wg_clock_ns();

#ifdef WG_DEBUG
	unsigned int div = READ_ONCE(time_divisor);

	/* Age the keypair div times faster than real time. */
	if (div > 1 && now > kp->birth_ns)
		now = kp->birth_ns + (now - kp->birth_ns) * div;
#endif
	return now;
}

/* Up to a third of a (protocol) second of jitter. */
static unsigned long wgtimers_jitter(void)
{
	unsigned long range = HZ / 3;

#ifdef WG_DEBUG
	unsigned int div = READ_ONCE(time_divisor);

	if (div > 1)
		range = max(range / div, 1UL);
#endif
	return get_random_u32_below(range);
}

static bool wgtimers_usable(struct wgpeer *peer)
{
	return !READ_ONCE(peer->dead) && netif_running(peer->wg->dev);
}

static void wgtimers_arm(struct wgpeer *peer, struct timer_list *t,
			 unsigned long delay)
{
	if (wgtimers_usable(peer))
		mod_timer(t, jiffies + delay);
}

static void wgtimers_retransmit_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t, t_retransmit);

	if (peer->hs_attempts > WG_MAX_HANDSHAKE_ATTEMPTS) {
		net_dbg_ratelimited("%s: handshake for peer %llu did not complete after %u attempts, giving up\n",
				    peer->wg->dev->name, peer->serial,
				    WG_MAX_HANDSHAKE_ATTEMPTS + 2);
		timer_delete(&peer->t_new_handshake);
		skb_queue_purge(&peer->staged);
		if (!timer_pending(&peer->t_zero_keys))
			wgtimers_arm(peer, &peer->t_zero_keys,
				     wgtimers_secs(WG_WIPE_KEYS_AFTER));
		return;
	}
	++peer->hs_attempts;
	wgpeer_clear_src(peer);
	wgtx_initiation(peer, true);
}

static void wgtimers_keepalive_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t, t_keepalive);

	wgtx_keepalive(peer);
	if (peer->keepalive_again) {
		peer->keepalive_again = false;
		wgtimers_arm(peer, &peer->t_keepalive,
			     wgtimers_secs(WG_KEEPALIVE_TIMEOUT));
	}
}

static void wgtimers_new_handshake_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t, t_new_handshake);

	wgpeer_clear_src(peer);
	wgtx_initiation(peer, false);
}

static void wgtimers_zero_keys_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t, t_zero_keys);

	/* The handshake lock sleeps: wipe it from a work item. */
	wg_keyslots_clear(&peer->slots);
	if (!READ_ONCE(peer->dead)) {
		wgpeer_get(peer);
		if (!queue_work(peer->wg->hs_wq, &peer->clear_work))
			wgpeer_put(peer);
	}
}

static void wgtimers_clear_work(struct work_struct *work)
{
	struct wgpeer *peer = container_of(work, struct wgpeer, clear_work);

	wg_handshake_clear(&peer->hs);
	wgpeer_put(peer);
}

static void wgtimers_persistent_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t, t_persistent);

	if (READ_ONCE(peer->keepalive_interval))
		wgtx_keepalive(peer);
}

void wgtimers_init(struct wgpeer *peer)
{
	timer_setup(&peer->t_retransmit, wgtimers_retransmit_fn, 0);
	timer_setup(&peer->t_keepalive, wgtimers_keepalive_fn, 0);
	timer_setup(&peer->t_new_handshake, wgtimers_new_handshake_fn, 0);
	timer_setup(&peer->t_zero_keys, wgtimers_zero_keys_fn, 0);
	timer_setup(&peer->t_persistent, wgtimers_persistent_fn, 0);
	INIT_WORK(&peer->clear_work, wgtimers_clear_work);
}

void wgtimers_cancel(struct wgpeer *peer)
{
	timer_delete_sync(&peer->t_retransmit);
	timer_delete_sync(&peer->t_keepalive);
	timer_delete_sync(&peer->t_new_handshake);
	timer_delete_sync(&peer->t_zero_keys);
	timer_delete_sync(&peer->t_persistent);
}

void wgtimers_shutdown(struct wgpeer *peer)
{
	timer_shutdown_sync(&peer->t_retransmit);
	timer_shutdown_sync(&peer->t_keepalive);
	timer_shutdown_sync(&peer->t_new_handshake);
	timer_shutdown_sync(&peer->t_zero_keys);
	timer_shutdown_sync(&peer->t_persistent);
}

void wgtimers_data_sent(struct wgpeer *peer)
{
	if (!timer_pending(&peer->t_new_handshake))
		wgtimers_arm(peer, &peer->t_new_handshake,
			     wgtimers_secs(WG_KEEPALIVE_TIMEOUT +
					   WG_REKEY_TIMEOUT) +
			     wgtimers_jitter());
}

void wgtimers_data_received(struct wgpeer *peer)
{
	if (!timer_pending(&peer->t_keepalive))
		wgtimers_arm(peer, &peer->t_keepalive,
			     wgtimers_secs(WG_KEEPALIVE_TIMEOUT));
	else
		peer->keepalive_again = true;
}

void wgtimers_auth_sent(struct wgpeer *peer)
{
	timer_delete(&peer->t_keepalive);
}

void wgtimers_auth_received(struct wgpeer *peer)
{
	timer_delete(&peer->t_new_handshake);
}

void wgtimers_auth_traversal(struct wgpeer *peer)
{
	unsigned int interval = READ_ONCE(peer->keepalive_interval);

	if (interval)
		wgtimers_arm(peer, &peer->t_persistent,
			     wgtimers_secs(interval));
}

void wgtimers_handshake_initiated(struct wgpeer *peer)
{
	wgtimers_arm(peer, &peer->t_retransmit,
		     wgtimers_secs(WG_REKEY_TIMEOUT) + wgtimers_jitter());
}

void wgtimers_handshake_complete(struct wgpeer *peer)
{
	struct timespec64 now;

	timer_delete(&peer->t_retransmit);
	peer->hs_attempts = 0;
	peer->lastminute_sent = false;
	ktime_get_real_ts64(&now);
	write_seqlock_bh(&peer->hs_time_lock);
	peer->last_handshake = now;
	write_sequnlock_bh(&peer->hs_time_lock);
}

void wgtimers_session_derived(struct wgpeer *peer)
{
	wgtimers_arm(peer, &peer->t_zero_keys,
		     wgtimers_secs(WG_WIPE_KEYS_AFTER));
}

void wgtimers_persistent_changed(struct wgpeer *peer)
{
	if (!READ_ONCE(peer->keepalive_interval))
		timer_delete(&peer->t_persistent);
}
