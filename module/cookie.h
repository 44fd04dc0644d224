/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cookie.h - mac1, mac2 and cookie replies (the DoS-mitigation layer).
 *
 * Owns two objects:
 *
 * struct wg_cookie_checker - the receiving side, one per device. It holds
 *   the mac1 and cookie-encryption keys derived from the device's own public
 *   key, and the random secret from which cookies for source addresses are
 *   made. The secret is regenerated when it is used and older than
 *   WG_COOKIE_SECRET_MAX_AGE. It checks mac1/mac2 of received handshake
 *   messages and writes cookie replies.
 *
 * struct wg_cookie_jar - the sending side, one per peer. It holds the keys
 *   derived from the peer's public key, the last mac1 we sent to that peer
 *   (the AD a cookie reply must be sealed with) and the cookie the peer gave
 *   us with its birth time. It stamps mac1 and mac2 on outgoing handshake
 *   messages and consumes cookie replies.
 *
 * Locking: the checker has an rwlock_t (readers: validation and reply
 * creation; writers: key change and secret rotation). The jar has a
 * spinlock_t. Both are taken with BH disabled, so every function here may be
 * called from process or softirq context; none sleeps. They nest inside the
 * noise.h locks (identity, handshake) and take no other lock.
 *
 * Receive path order (device side): wg_msg_classify(), then
 * wg_cookie_validate() with check_mac2 = "device is under load". On
 * WG_MACS_BAD drop silently. Under load, WG_MACS_MAC1_ONLY means answer with
 * wg_cookie_reply_create() and drop; WG_MACS_MAC2_OK means go on to the
 * rate limiter and then noise.h. When not under load WG_MACS_MAC1_ONLY is
 * enough to go on.
 */
#ifndef WG_COOKIE_H
#define WG_COOKIE_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/socket.h>
#include "messages.h"

/* The two keys derived from one public key. */
struct wg_mac_keys {
	u8 mac1_key[WG_KEY_LEN];	/* HASH("mac1----" || public) */
	u8 seal_key[WG_KEY_LEN];	/* HASH("cookie--" || public) */
};

/* Fill @keys from @public_key. */
void wg_mac_keys_derive(struct wg_mac_keys *keys,
			const u8 public_key[WG_KEY_LEN]);

struct wg_cookie_checker {
	rwlock_t lock;
	bool has_keys;
	struct wg_mac_keys keys;
	u8 secret[WG_KEY_LEN];
	u64 secret_birth_ns;	/* 0: no secret yet */
};

enum wg_macs_verdict {
	WG_MACS_BAD,		/* mac1 wrong (or no local key): drop */
	WG_MACS_MAC1_ONLY,	/* mac1 right; mac2 wrong, absent or unchecked */
	WG_MACS_MAC2_OK,	/* mac1 and mac2 right for this source */
};

void wg_cookie_checker_init(struct wg_cookie_checker *checker);
/*
 * Derive the keys from the device's public key, or forget them (@public_key
 * NULL: every message is then WG_MACS_BAD). Called by noise.h when the
 * private key changes.
 */
void wg_cookie_checker_set_key(struct wg_cookie_checker *checker,
			       const u8 *public_key);
/* Wipe all secrets; the checker may be reused after init. */
void wg_cookie_checker_wipe(struct wg_cookie_checker *checker);

/**
 * wg_cookie_validate - check mac1 (always) and mac2 (if @check_mac2)
 * @checker: the device's checker
 * @msg: a whole initiation or response message, already classified
 * @len: its length, sizeof(struct wg_msg_initiation) or
 *	 sizeof(struct wg_msg_response); any other length gives WG_MACS_BAD
 * @src: outer source, struct sockaddr_in or sockaddr_in6 (only read when
 *	 @check_mac2)
 * @check_mac2: the device is under load
 *
 * Comparisons are constant-time.
 */
enum wg_macs_verdict wg_cookie_validate(struct wg_cookie_checker *checker,
					const void *msg, size_t len,
					const struct sockaddr *src,
					bool check_mac2);

/**
 * wg_cookie_reply_create - answer a handshake message with a cookie
 * @checker: the device's checker
 * @reply: the 64-byte message to fill (sent back to @src by the caller)
 * @msg: the initiation or response that is answered (its mac1 is the AD)
 * @len: its length
 * @src: its outer source address and port
 *
 * The receiver index of the reply is the sender index of @msg.
 * Return: 0, or -EINVAL for a bad length or address family, -ENOKEY when
 * the device has no key.
 */
int wg_cookie_reply_create(struct wg_cookie_checker *checker,
			   struct wg_msg_cookie_reply *reply,
			   const void *msg, size_t len,
			   const struct sockaddr *src);

struct wg_cookie_jar {
	spinlock_t lock;
	struct wg_mac_keys keys;
	u8 cookie[WG_COOKIE_LEN];
	u64 cookie_birth_ns;	/* valid only while have_cookie */
	bool have_cookie;
	u8 last_mac1[WG_MAC_LEN];
	bool have_sent_mac1;
};

/* Start a jar for the peer whose static public key is @peer_public. */
void wg_cookie_jar_init(struct wg_cookie_jar *jar,
			const u8 peer_public[WG_KEY_LEN]);
/* Wipe keys, cookie and remembered mac1. */
void wg_cookie_jar_wipe(struct wg_cookie_jar *jar);

/**
 * wg_cookie_jar_stamp - write mac1 and mac2 into an outgoing message
 * @jar: the jar of the peer the message goes to
 * @msg: a whole initiation or response whose other fields are final
 * @len: its length (148 or 92)
 *
 * mac2 is zero unless the jar holds a cookie younger than
 * WG_COOKIE_USABLE_AGE seconds. Remembers mac1 for a cookie reply.
 * noise.h calls this; the device does not need to.
 */
void wg_cookie_jar_stamp(struct wg_cookie_jar *jar, void *msg, size_t len);

/**
 * wg_cookie_jar_consume - take the cookie from a reply
 * @jar: the jar of the peer the reply's receiver index belongs to
 * @reply: the classified 64-byte message
 *
 * Return: 0 when the cookie was stored; -EINVAL when we never sent a mac1
 * to this peer since the last reply (unsolicited) or the reply does not
 * decrypt. Either way the caller drops the packet; it never updates the
 * endpoint and does not resend a handshake at once.
 */
int wg_cookie_jar_consume(struct wg_cookie_jar *jar,
			  const struct wg_msg_cookie_reply *reply);

#endif /* WG_COOKIE_H */
