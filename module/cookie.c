// SPDX-License-Identifier: GPL-2.0
/*
 * cookie.c - mac1/mac2 stamping and checking, cookie replies (see cookie.h).
 *
 * MAC(key, x) is keyed BLAKE2s with a 16-byte output; the key is a 32-byte
 * derived key for mac1 and the 16-byte cookie for mac2. A cookie for a
 * source is MAC(secret, address || port) with the 32-byte random secret.
 *
 * Locking: checker->lock (rwlock, BH off) guards keys and secret; the
 * secret is renewed under the write side. jar->lock (spinlock, BH off)
 * guards everything in a jar. No other lock is taken inside them.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/random.h>
#include <linux/string.h>
#include "compat.h"
#include "cookie.h"

static const u8 wg_label_mac1[8] __nonstring = "mac1----";
static const u8 wg_label_cookie[8] __nonstring = "cookie--";

/* Offset of mac1 / mac2 in a handshake message of @len bytes. */
static size_t wg_mac1_offset(size_t len)
{
	return len - sizeof(struct wg_msg_macs);
}

static size_t wg_mac2_offset(size_t len)
{
	return len - WG_MAC_LEN;
}

/* Both handshake messages carry their sender index at offset 4. */
static_assert(offsetof(struct wg_msg_initiation, sender_index) == 4);
static_assert(offsetof(struct wg_msg_response, sender_index) == 4);

static bool wg_is_handshake_len(size_t len)
{
	return len == sizeof(struct wg_msg_initiation) ||
	       len == sizeof(struct wg_msg_response);
}

static void wg_mac(u8 out[WG_MAC_LEN], const u8 *key, size_t key_len,
		   const u8 *data, size_t len)
{
	wgc_blake2s(out, WG_MAC_LEN, data, len, key, key_len);
}

static void wg_label_hash(u8 out[WG_KEY_LEN], const u8 label[8],
			  const u8 public_key[WG_KEY_LEN])
{
	struct wgc_blake2s_state st;

	wgc_blake2s_init(&st, WG_HASH_LEN);
	wgc_blake2s_update(&st, label, 8);
	wgc_blake2s_update(&st, public_key, WG_KEY_LEN);
	wgc_blake2s_final(&st, out);
	memzero_explicit(&st, sizeof(st));
}

void wg_mac_keys_derive(struct wg_mac_keys *keys,
			const u8 public_key[WG_KEY_LEN])
{
	wg_label_hash(keys->mac1_key, wg_label_mac1, public_key);
	wg_label_hash(keys->seal_key, wg_label_cookie, public_key);
}

/*
 * Serialise the address and port of @src as the cookie input.
 * Return: its length (6 or 18), or 0 for an unsupported family.
 */
static size_t wg_source_bytes(u8 out[18], const struct sockaddr *src)
{
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;

		memcpy(out, &s4->sin_addr.s_addr, 4);
		memcpy(out + 4, &s4->sin_port, 2);
		return 6;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;

		memcpy(out, s6->sin6_addr.s6_addr, 16);
		memcpy(out + 16, &s6->sin6_port, 2);
		return 18;
	}
	return 0;
}

void wg_cookie_checker_init(struct wg_cookie_checker *checker)
{
	memset(checker, 0, sizeof(*checker));
	rwlock_init(&checker->lock);
}

void wg_cookie_checker_set_key(struct wg_cookie_checker *checker,
			       const u8 *public_key)
{
	struct wg_mac_keys keys = {};

	if (public_key)
		wg_mac_keys_derive(&keys, public_key);
	write_lock_bh(&checker->lock);
	memcpy(&checker->keys, &keys, sizeof(keys));
	checker->has_keys = !!public_key;
	write_unlock_bh(&checker->lock);
	memzero_explicit(&keys, sizeof(keys));
}

void wg_cookie_checker_wipe(struct wg_cookie_checker *checker)
{
	write_lock_bh(&checker->lock);
	memzero_explicit(&checker->keys, sizeof(checker->keys));
	memzero_explicit(checker->secret, sizeof(checker->secret));
	checker->has_keys = false;
	checker->secret_birth_ns = 0;
	write_unlock_bh(&checker->lock);
}

static bool wg_secret_fresh(const struct wg_cookie_checker *checker, u64 now)
{
	return checker->secret_birth_ns &&
	       !wg_older_than(checker->secret_birth_ns, now,
			      WG_COOKIE_SECRET_MAX_AGE);
}

/*
 * The cookie we expect from @src: MAC(secret, src bytes). A secret that is
 * missing or older than WG_COOKIE_SECRET_MAX_AGE is renewed first.
 * Return: false for an unsupported address family.
 */
static bool wg_checker_cookie(struct wg_cookie_checker *checker,
			      const struct sockaddr *src,
			      u8 cookie[WG_COOKIE_LEN])
{
	u8 input[18];
	size_t input_len = wg_source_bytes(input, src);
	u64 now = wg_clock_ns();

	if (!input_len)
		return false;

	read_lock_bh(&checker->lock);
	if (likely(wg_secret_fresh(checker, now))) {
		wg_mac(cookie, checker->secret, WG_KEY_LEN, input, input_len);
		read_unlock_bh(&checker->lock);
		return true;
	}
	read_unlock_bh(&checker->lock);

	write_lock_bh(&checker->lock);
	if (!wg_secret_fresh(checker, now)) {
		get_random_bytes(checker->secret, WG_KEY_LEN);
		/* A birth of 0 means "none"; the boot clock is past 0 here. */
		checker->secret_birth_ns = now ?: 1;
	}
	wg_mac(cookie, checker->secret, WG_KEY_LEN, input, input_len);
	write_unlock_bh(&checker->lock);
	return true;
}

enum wg_macs_verdict wg_cookie_validate(struct wg_cookie_checker *checker,
					const void *msg, size_t len,
					const struct sockaddr *src,
					bool check_mac2)
{
	const u8 *bytes = msg;
	u8 expected[WG_MAC_LEN];
	u8 cookie[WG_COOKIE_LEN];
	enum wg_macs_verdict verdict = WG_MACS_BAD;
	bool have_keys;

	if (!wg_is_handshake_len(len))
		return WG_MACS_BAD;

	read_lock_bh(&checker->lock);
	have_keys = checker->has_keys;
	if (have_keys)
		wg_mac(expected, checker->keys.mac1_key, WG_KEY_LEN, bytes,
		       wg_mac1_offset(len));
	read_unlock_bh(&checker->lock);
	if (!have_keys)
		goto out;
	if (crypto_memneq(expected, bytes + wg_mac1_offset(len), WG_MAC_LEN))
		goto out;

	verdict = WG_MACS_MAC1_ONLY;
	if (!check_mac2 || !wg_checker_cookie(checker, src, cookie))
		goto out;
	wg_mac(expected, cookie, WG_COOKIE_LEN, bytes, wg_mac2_offset(len));
	if (!crypto_memneq(expected, bytes + wg_mac2_offset(len), WG_MAC_LEN))
		verdict = WG_MACS_MAC2_OK;
out:
	memzero_explicit(cookie, sizeof(cookie));
	memzero_explicit(expected, sizeof(expected));
	return verdict;
}

int wg_cookie_reply_create(struct wg_cookie_checker *checker,
			   struct wg_msg_cookie_reply *reply,
			   const void *msg, size_t len,
			   const struct sockaddr *src)
{
	const u8 *bytes = msg;
	u8 cookie[WG_COOKIE_LEN];
	int ret = 0;

	if (!wg_is_handshake_len(len))
		return -EINVAL;
	if (!wg_checker_cookie(checker, src, cookie))
		return -EINVAL;

	reply->head.type = cpu_to_le32(WG_MSG_COOKIE_REPLY);
	memcpy(&reply->receiver_index, bytes + 4, sizeof(reply->receiver_index));
	get_random_bytes(reply->nonce, sizeof(reply->nonce));

	read_lock_bh(&checker->lock);
	if (checker->has_keys)
		wgc_xchacha20poly1305_encrypt(reply->sealed_cookie, cookie,
					      WG_COOKIE_LEN,
					      bytes + wg_mac1_offset(len),
					      WG_MAC_LEN, reply->nonce,
					      checker->keys.seal_key);
	else
		ret = -ENOKEY;
	read_unlock_bh(&checker->lock);

	memzero_explicit(cookie, sizeof(cookie));
	return ret;
}

void wg_cookie_jar_init(struct wg_cookie_jar *jar,
			const u8 peer_public[WG_KEY_LEN])
{
	memset(jar, 0, sizeof(*jar));
	spin_lock_init(&jar->lock);
	wg_mac_keys_derive(&jar->keys, peer_public);
}

void wg_cookie_jar_wipe(struct wg_cookie_jar *jar)
{
	spin_lock_bh(&jar->lock);
	memzero_explicit(&jar->keys, sizeof(jar->keys));
	memzero_explicit(jar->cookie, sizeof(jar->cookie));
	memzero_explicit(jar->last_mac1, sizeof(jar->last_mac1));
	jar->have_cookie = false;
	jar->have_sent_mac1 = false;
	spin_unlock_bh(&jar->lock);
}

void wg_cookie_jar_stamp(struct wg_cookie_jar *jar, void *msg, size_t len)
{
	u8 *bytes = msg;
	u8 *mac1 = bytes + wg_mac1_offset(len);
	u8 *mac2 = bytes + wg_mac2_offset(len);

	if (WARN_ON_ONCE(!wg_is_handshake_len(len)))
		return;

	spin_lock_bh(&jar->lock);
	wg_mac(mac1, jar->keys.mac1_key, WG_KEY_LEN, bytes, wg_mac1_offset(len));
	memcpy(jar->last_mac1, mac1, WG_MAC_LEN);
	jar->have_sent_mac1 = true;

	if (jar->have_cookie &&
	    !wg_older_than(jar->cookie_birth_ns, wg_clock_ns(),
			   WG_COOKIE_USABLE_AGE))
		wg_mac(mac2, jar->cookie, WG_COOKIE_LEN, bytes,
		       wg_mac2_offset(len));
	else
		memset(mac2, 0, WG_MAC_LEN);
	spin_unlock_bh(&jar->lock);
}

int wg_cookie_jar_consume(struct wg_cookie_jar *jar,
			  const struct wg_msg_cookie_reply *reply)
{
	u8 cookie[WG_COOKIE_LEN];
	int ret = -EINVAL;

	spin_lock_bh(&jar->lock);
	if (!jar->have_sent_mac1)
		goto out;
	if (!wgc_xchacha20poly1305_decrypt(cookie, reply->sealed_cookie,
					   sizeof(reply->sealed_cookie),
					   jar->last_mac1, WG_MAC_LEN,
					   reply->nonce, jar->keys.seal_key))
		goto out;
	memcpy(jar->cookie, cookie, WG_COOKIE_LEN);
	jar->cookie_birth_ns = wg_clock_ns();
	jar->have_cookie = true;
	/* One reply per mac1 sent. */
	jar->have_sent_mac1 = false;
	ret = 0;
out:
	spin_unlock_bh(&jar->lock);
	memzero_explicit(cookie, sizeof(cookie));
	return ret;
}
