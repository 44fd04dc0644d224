// SPDX-License-Identifier: GPL-2.0
/*
 * selftest/cookie.c - self-test of mac1/mac2 and cookie replies between a
 * sender's jar and a receiver's checker: mac1 round trip and tampering,
 * a known-answer mac1, cookie reply round trip, mac2 accepted only from the
 * source the cookie was made for, unsolicited and forged replies refused.
 * Runs single-threaded at module init; may sleep (allocation).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "compat.h"
#include "../cookie.h"
#include "selftest.h"

#define CHECK(cond) WG_CHECK("cookie", fails, cond)

struct wg_st_cookie {
	struct wg_cookie_checker checker;
	struct wg_cookie_jar jar;
	struct wg_cookie_jar jar2;
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct wg_msg_cookie_reply reply;
	u8 priv[WG_KEY_LEN];
	u8 pub[WG_KEY_LEN];
};

/*
 * mac1 of the initiation that is bytes 0..147 = i & 0xff (type byte then
 * patched to 1 and reserved to 0) sent to the public key 0x01 x 32,
 * computed with Python's hashlib.blake2s:
 *   k = blake2s(b"mac1----" + bytes([1] * 32)).digest()
 *   blake2s(msg[:116], digest_size=16, key=k).digest()
 */
static const u8 wg_st_mac1_kat[WG_MAC_LEN] = {
	0xad, 0xf2, 0xee, 0x2a, 0xe0, 0x8c, 0x4f, 0xa2,
	0x0f, 0xdd, 0xe6, 0x01, 0x92, 0x3d, 0xe4, 0x24,
};

static void wg_st_fill(u8 *buf, size_t len, u8 type)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = i & 0xff;
	buf[0] = type;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 0;
}

bool wg_selftest_cookie(void)
{
	struct sockaddr_in src4 = {
		.sin_family = AF_INET,
		.sin_port = htons(51820),
		.sin_addr.s_addr = htonl(0xc0000201),
	};
	struct sockaddr_in src4_moved = src4;
	struct sockaddr_in6 src6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(51820),
	};
	const struct sockaddr *s4 = (const struct sockaddr *)&src4;
	const struct sockaddr *s6 = (const struct sockaddr *)&src6;
	struct wg_st_cookie *t;
	unsigned int fails = 0;
	u8 kat_pub[WG_KEY_LEN];

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return wg_selftest_report("cookie", false);
	src4_moved.sin_port = htons(51821);
	src6.sin6_addr.s6_addr[0] = 0x20;
	src6.sin6_addr.s6_addr[15] = 1;

	/* Known answer: mac1 as the jar stamps it. */
	memset(kat_pub, 1, sizeof(kat_pub));
	wg_cookie_jar_init(&t->jar, kat_pub);
	wg_st_fill((u8 *)&t->init, sizeof(t->init), WG_MSG_INITIATION);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(!memcmp(t->init.macs.mac1, wg_st_mac1_kat, WG_MAC_LEN));
	CHECK(!memchr_inv(t->init.macs.mac2, 0, WG_MAC_LEN));
	wg_cookie_jar_wipe(&t->jar);

	/* The receiver has key pair (priv, pub); the sender knows pub. */
	wgc_curve25519_generate_secret(t->priv);
	CHECK(wgc_curve25519_generate_public(t->pub, t->priv));
	wg_cookie_checker_init(&t->checker);
	wg_cookie_jar_init(&t->jar, t->pub);
	wg_cookie_jar_init(&t->jar2, t->pub);

	/* No key on the receiver: nothing validates. */
	wg_st_fill((u8 *)&t->init, sizeof(t->init), WG_MSG_INITIATION);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_BAD);
	wg_cookie_checker_set_key(&t->checker, t->pub);

	/* mac1 round trip, for both handshake message sizes. */
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_MAC1_ONLY);
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 true) == WG_MACS_MAC1_ONLY);
	wg_st_fill((u8 *)&t->resp, sizeof(t->resp), WG_MSG_RESPONSE);
	wg_cookie_jar_stamp(&t->jar2, &t->resp, sizeof(t->resp));
	CHECK(wg_cookie_validate(&t->checker, &t->resp, sizeof(t->resp), s6,
				 false) == WG_MACS_MAC1_ONLY);
	/* Wrong length, tampered body, tampered mac1: refused. */
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->resp), s4,
				 false) == WG_MACS_BAD);
	t->init.noise.ephemeral[3] ^= 0x40;
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_BAD);
	t->init.noise.ephemeral[3] ^= 0x40;
	t->init.macs.mac1[15] ^= 1;
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_BAD);
	t->init.macs.mac1[15] ^= 1;

	/* A reply to a jar that has sent nothing since it was set up. */
	wg_cookie_jar_init(&t->jar2, t->pub);
	CHECK(!wg_cookie_reply_create(&t->checker, &t->reply, &t->init,
				      sizeof(t->init), s4));
	CHECK(wg_msg_classify(&t->reply, sizeof(t->reply)) ==
	      WG_MSG_COOKIE_REPLY);
	CHECK(t->reply.receiver_index == t->init.sender_index);
	CHECK(wg_cookie_jar_consume(&t->jar2, &t->reply) == -EINVAL);

	/* A forged reply is refused and leaves the jar waiting. */
	t->reply.sealed_cookie[0] ^= 1;
	CHECK(wg_cookie_jar_consume(&t->jar, &t->reply) == -EINVAL);
	t->reply.sealed_cookie[0] ^= 1;
	/* The real one is taken, once. */
	CHECK(wg_cookie_jar_consume(&t->jar, &t->reply) == 0);
	CHECK(wg_cookie_jar_consume(&t->jar, &t->reply) == -EINVAL);

	/* Now the sender adds mac2, valid only from the same source. */
	t->init.sender_index ^= cpu_to_le32(0x01010101);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(memchr_inv(t->init.macs.mac2, 0, WG_MAC_LEN));
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 true) == WG_MACS_MAC2_OK);
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init),
				 (const struct sockaddr *)&src4_moved,
				 true) == WG_MACS_MAC1_ONLY);
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s6,
				 true) == WG_MACS_MAC1_ONLY);
	/* When not under load mac2 is not looked at. */
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_MAC1_ONLY);
	t->init.macs.mac2[0] ^= 1;
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 true) == WG_MACS_MAC1_ONLY);
	t->init.macs.mac2[0] ^= 1;

	/* A reply for an IPv6 source round-trips too. */
	CHECK(!wg_cookie_reply_create(&t->checker, &t->reply, &t->init,
				      sizeof(t->init), s6));
	CHECK(wg_cookie_jar_consume(&t->jar, &t->reply) == 0);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s6,
				 true) == WG_MACS_MAC2_OK);

	/* A cookie older than 115 s is no longer used for mac2. */
	spin_lock_bh(&t->jar.lock);
	t->jar.cookie_birth_ns = wg_clock_ns() -
				 (WG_COOKIE_USABLE_AGE + 1) * NSEC_PER_SEC;
	spin_unlock_bh(&t->jar.lock);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(!memchr_inv(t->init.macs.mac2, 0, WG_MAC_LEN));
	/* ...but one just younger than that still is. */
	spin_lock_bh(&t->jar.lock);
	t->jar.cookie_birth_ns = wg_clock_ns() -
				 (WG_COOKIE_USABLE_AGE - 1) * NSEC_PER_SEC;
	spin_unlock_bh(&t->jar.lock);
	wg_cookie_jar_stamp(&t->jar, &t->init, sizeof(t->init));
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s6,
				 true) == WG_MACS_MAC2_OK);

	/*
	 * Once the receiver's secret is older than 120 s it is replaced, so
	 * cookies made from the old one stop giving a valid mac2.
	 */
	write_lock_bh(&t->checker.lock);
	t->checker.secret_birth_ns = wg_clock_ns() -
				     (WG_COOKIE_SECRET_MAX_AGE + 1) *
				     NSEC_PER_SEC;
	write_unlock_bh(&t->checker.lock);
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s6,
				 true) == WG_MACS_MAC1_ONLY);
	CHECK(!wg_older_than(t->checker.secret_birth_ns, wg_clock_ns(),
			     WG_COOKIE_SECRET_MAX_AGE));

	/* A different receiver key: mac1 no longer matches. */
	wg_cookie_checker_set_key(&t->checker, t->priv);
	CHECK(wg_cookie_validate(&t->checker, &t->init, sizeof(t->init), s4,
				 false) == WG_MACS_BAD);

	wg_cookie_checker_wipe(&t->checker);
	wg_cookie_jar_wipe(&t->jar);
	wg_cookie_jar_wipe(&t->jar2);
	kfree_sensitive(t);
	return wg_selftest_report("cookie", !fails);
}
