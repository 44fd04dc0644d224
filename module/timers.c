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

#ifdef WG_DEBUG
#include <linux/delay.h>

static unsigned int arm_delay_ms;
module_param(arm_delay_ms, uint, 0644);
MODULE_PARM_DESC(arm_delay_ms,
		 "debug builds only: busy-wait between a timer's liveness check and its arming (ms, at most 5000)");

/*
 * Widens the window between wgtimers_usable() and mod_timer(), so that a
 * test can remove the peer inside it (vmtests test_timer_teardown.py).
 */
static void wgtimers_hold_arm(struct wgpeer *peer, enum wgtimer_id id)
{
	unsigned int ms = min(READ_ONCE(arm_delay_ms), 5000U);

	if (!ms)
		return;
	pr_info("%s: arm_delay_ms: holding timer %d of peer %llu for %u ms\n",
		peer->wg->dev->name, id, peer->serial, ms);
	mdelay(ms);
}
#else
static inline void wgtimers_hold_arm(struct wgpeer *peer, enum wgtimer_id id)
{
}
#endif

/*
 * (Re)starts a timer to expire @delay jiffies from now. The check and the
 * arming form one RCU-bh read section: teardown marks the peer dead, waits
 * a grace period (synchronize_net()), then shuts its timers down, so every
 * arm that saw it alive is done before the shutdown and none comes after,
 * also where timer_shutdown_sync() is only timer_delete_sync().
 */
static void wgtimers_arm(struct wgpeer *peer, enum wgtimer_id id,
			 unsigned long delay)
{
	rcu_read_lock_bh();
	if (wgtimers_usable(peer)) {
		wgtimers_hold_arm(peer, id);
		mod_timer(&peer->timers[id], jiffies + delay);
	}
	rcu_read_unlock_bh();
}

/*
 * Starts a timer only if it is not pending already (an earlier deadline
 * stands); returns false in that case.
 */
static bool wgtimers_arm_idle(struct wgpeer *peer, enum wgtimer_id id,
			      unsigned long delay)
{
	if (timer_pending(&peer->timers[id]))
		return false;
	wgtimers_arm(peer, id, delay);
	return true;
}

/*
 * The last retransmission went unanswered as well: drop what waits for a
 * key and let the keys be wiped in due course. New data starts over.
 */
static void wgtimers_give_up(struct wgpeer *peer)
{
	net_dbg_ratelimited("%s: handshake for peer %llu did not complete after %u attempts, giving up\n",
			    peer->wg->dev->name, peer->serial,
			    WG_MAX_HANDSHAKE_ATTEMPTS + 2);
	timer_delete(&peer->timers[WGT_NEW_HANDSHAKE]);
	skb_queue_purge(&peer->staged);
	wgtimers_arm_idle(peer, WGT_ZERO_KEYS,
			  wgtimers_secs(WG_WIPE_KEYS_AFTER));
}

static void wgtimers_retransmit_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t,
						 timers[WGT_RETRANSMIT]);

	if (peer->hs_attempts <= WG_MAX_HANDSHAKE_ATTEMPTS) {
		++peer->hs_attempts;
		wgpeer_clear_src(peer);
		wgtx_initiation(peer, true);
	} else {
		wgtimers_give_up(peer);
	}
}

static void wgtimers_keepalive_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t,
						 timers[WGT_KEEPALIVE]);

	wgtx_keepalive(peer);
	if (peer->keepalive_again) {
		peer->keepalive_again = false;
		wgtimers_arm(peer, WGT_KEEPALIVE,
			     wgtimers_secs(WG_KEEPALIVE_TIMEOUT));
	}
}

static void wgtimers_new_handshake_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t,
						 timers[WGT_NEW_HANDSHAKE]);

	wgpeer_clear_src(peer);
	wgtx_initiation(peer, false);
}

static void wgtimers_zero_keys_fn(struct timer_list *t)
{
	struct wgpeer *peer = timer_container_of(peer, t,
						 timers[WGT_ZERO_KEYS]);

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
	struct wgpeer *peer = timer_container_of(peer, t,
						 timers[WGT_PERSISTENT]);

	if (READ_ONCE(peer->keepalive_interval))
		wgtx_keepalive(peer);
}

static void (*const wgtimers_expiry[WGT_NTIMERS])(struct timer_list *t) = {
	[WGT_RETRANSMIT] = wgtimers_retransmit_fn,
	[WGT_KEEPALIVE] = wgtimers_keepalive_fn,
	[WGT_NEW_HANDSHAKE] = wgtimers_new_handshake_fn,
	[WGT_ZERO_KEYS] = wgtimers_zero_keys_fn,
	[WGT_PERSISTENT] = wgtimers_persistent_fn,
};

void wgtimers_init(struct wgpeer *peer)
{
	enum wgtimer_id id;

	for (id = 0; id < WGT_NTIMERS; ++id)
		timer_setup(&peer->timers[id], wgtimers_expiry[id], 0);
	INIT_WORK(&peer->clear_work, wgtimers_clear_work);
}

void wgtimers_stop(struct wgpeer *peer, bool for_good)
{
	enum wgtimer_id id;

	for (id = 0; id < WGT_NTIMERS; ++id) {
		if (for_good)
			timer_shutdown_sync(&peer->timers[id]);
		else
			timer_delete_sync(&peer->timers[id]);
	}
}

/* A handshake is done: no more retries, and its time is recorded. */
static void wgtimers_handshake_done(struct wgpeer *peer)
{
	struct timespec64 now;

	timer_delete(&peer->timers[WGT_RETRANSMIT]);
	peer->hs_attempts = 0;
	peer->lastminute_sent = false;
	ktime_get_real_ts64(&now);
	write_seqlock_bh(&peer->hs_time_lock);
	peer->last_handshake = now;
	write_sequnlock_bh(&peer->hs_time_lock);
}

void wgtimers_event(struct wgpeer *peer, enum wgtimers_event ev)
{
	unsigned int interval;

	switch (ev) {
	case WGT_EV_DATA_SENT:
		/* Expect something authenticated back before this. */
		wgtimers_arm_idle(peer, WGT_NEW_HANDSHAKE,
				  wgtimers_secs(WG_KEEPALIVE_TIMEOUT +
						WG_REKEY_TIMEOUT) +
				  wgtimers_jitter());
		break;
	case WGT_EV_DATA_RECEIVED:
		/* Answer with a keepalive unless we send first. */
		if (!wgtimers_arm_idle(peer, WGT_KEEPALIVE,
				       wgtimers_secs(WG_KEEPALIVE_TIMEOUT)))
			peer->keepalive_again = true;
		break;
	case WGT_EV_AUTH_SENT:
		timer_delete(&peer->timers[WGT_KEEPALIVE]);
		break;
	case WGT_EV_AUTH_RECEIVED:
		timer_delete(&peer->timers[WGT_NEW_HANDSHAKE]);
		break;
	case WGT_EV_AUTH_TRAVERSAL:
		interval = READ_ONCE(peer->keepalive_interval);
		if (interval)
			wgtimers_arm(peer, WGT_PERSISTENT,
				     wgtimers_secs(interval));
		break;
	case WGT_EV_INITIATED:
		wgtimers_arm(peer, WGT_RETRANSMIT,
			     wgtimers_secs(WG_REKEY_TIMEOUT) +
			     wgtimers_jitter());
		break;
	case WGT_EV_COMPLETE:
		wgtimers_handshake_done(peer);
		break;
	case WGT_EV_SESSION:
		wgtimers_arm(peer, WGT_ZERO_KEYS,
			     wgtimers_secs(WG_WIPE_KEYS_AFTER));
		break;
	case WGT_EV_PERSISTENT:
		if (!READ_ONCE(peer->keepalive_interval))
			timer_delete(&peer->timers[WGT_PERSISTENT]);
		break;
	}
}
