/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftest.h - self-tests of the protocol core (messages, replay window,
 * rate limiter, cookies, handshake), compiled in only with WG_DEBUG=1.
 *
 * Each test prints exactly one line, "wireguard: selftest <name>: pass" or
 * "wireguard: selftest <name>: FAIL", and returns true on pass. Module
 * init calls them in process context (they may sleep); they need no other
 * set-up (the rate limiter test takes and drops its own use of the shared
 * table). A false return must make the module load fail.
 *
 * Kbuild (device side), when WG_DEBUG=1:
 *   wireguard-y += selftest/replay.o selftest/ratelimiter.o \
 *                  selftest/cookie.o selftest/handshake.o
 * They use only the public headers of the files they test.
 *
 * VM-level checks of the same code against a live peer are in the vmtests
 * suite (either implementation, --implementation ours|reference):
 *   vmtests/wireguard/test_vectors.py - the known-answer handshake of
 *       handshake_vector.h played by vmtests/lib/initiator.py, and a ping.
 *   vmtests/wireguard/test_hostile.py - a flood of mac1-valid initiations
 *       (vmtests/lib/cookie_flood.py): cookie replies checked against the
 *       protocol, and the real peer still connects.
 */
#ifndef WG_SELFTEST_H
#define WG_SELFTEST_H

#include <linux/types.h>
#include <linux/printk.h>

bool wg_selftest_messages(void);	/* wg_msg_classify, wg_padded_len */
bool wg_selftest_replay(void);
bool wg_selftest_ratelimiter(void);
bool wg_selftest_cookie(void);
bool wg_selftest_handshake(void);	/* also HMAC/KDF/TAI64N checks */

/* Print the one-line verdict of test @name and return @ok. */
static inline bool wg_selftest_report(const char *name, bool ok)
{
	if (ok)
		pr_info("wireguard: selftest %s: pass\n", name);
	else
		pr_err("wireguard: selftest %s: FAIL\n", name);
	return ok;
}

/*
 * Count a failed check of test @name in @failures and log it as
 * "wireguard: selftest <name>: check failed: <cond> (file:line)".
 */
#define WG_CHECK(name, failures, cond) do {				\
	if (!(cond)) {							\
		(failures)++;						\
		pr_err("wireguard: selftest %s: check failed: %s (%s:%d)\n", \
		       name, #cond, __FILE__, __LINE__);		\
	}								\
} while (0)

#endif /* WG_SELFTEST_H */
