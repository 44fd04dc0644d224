// SPDX-License-Identifier: GPL-2.0
/*
 * noise.c - Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s for WireGuard, plus the
 * transport keypairs and per-peer key slots (see noise.h for the API).
 *
 * Pattern:  <- s
 *           ...
 *           -> e, es, s, ss, {t}
 *           <- e, ee, se, psk, {}
 * Each step below is labelled with its token. C is the chaining key, H the
 * handshake hash, k a one-shot AEAD key (used once, with nonce 0).
 *
 * Locking (see noise.h for the order): wg_identity.lock (rwsem) then
 * wg_handshake.lock (rwsem), then wg_keyslots.lock (spinlock, BH off).
 * Internal helpers that touch handshake state assert the handshake lock.
 *
 * Secrets: every stack copy of a key, DH result, chaining key or hash is
 * wiped with memzero_explicit() before return; keypairs are freed with
 * kfree_sensitive().
 */
#include <linux/slab.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/lockdep.h>
#include "compat.h"
#include "noise.h"
#include "objcount.h"

static const u8 wg_construction[37] __nonstring =
	"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const u8 wg_identifier[34] __nonstring =
	"WireGuard v1 zx2c4 Jason@zx2c4.com";

#define WG_BLAKE2S_BLOCK	64

/* ---- Primitives built on BLAKE2s ---- */

/* A piece of input for wg_hash_parts(). */
struct wg_span {
	const u8 *data;
	size_t len;
};

/* @out = HASH(parts[0] || ... || parts[n - 1]); @out may alias a part. */
static void wg_hash_parts(u8 out[WG_HASH_LEN], const struct wg_span *parts,
			  unsigned int n)
{
	struct wgc_blake2s_state st;
	unsigned int i;

	wgc_blake2s_init(&st, WG_HASH_LEN);
	for (i = 0; i < n; i++)
		wgc_blake2s_update(&st, parts[i].data, parts[i].len);
	wgc_blake2s_final(&st, out);
	memzero_explicit(&st, sizeof(st));
}

/* H = HASH(H || data) */
static void wg_mix_hash(u8 hash[WG_HASH_LEN], const u8 *data, size_t len)
{
	const struct wg_span parts[] = {
		{ hash, WG_HASH_LEN },
		{ data, len },
	};

	wg_hash_parts(hash, parts, ARRAY_SIZE(parts));
}

/*
 * RFC 2104 HMAC with BLAKE2s-256 (64-byte block):
 * HASH((K ^ opad) || HASH((K ^ ipad) || in)).
 */
static void wg_hmac(u8 out[WG_HASH_LEN], const u8 *key, size_t key_len,
		    const u8 *in, size_t in_len)
{
	u8 block[WG_BLAKE2S_BLOCK] = {};
	u8 inner[WG_HASH_LEN];
	struct wg_span parts[] = {
		{ block, WG_BLAKE2S_BLOCK },
		{ in, in_len },
	};
	int i;

	if (key_len > WG_BLAKE2S_BLOCK)
		wgc_blake2s(block, WG_HASH_LEN, key, key_len, NULL, 0);
	else
		memcpy(block, key, key_len);

	for (i = 0; i < WG_BLAKE2S_BLOCK; i++)
		block[i] ^= 0x36;
	wg_hash_parts(inner, parts, ARRAY_SIZE(parts));

	/* Turn ipad into opad in place; the inner hash follows it. */
	for (i = 0; i < WG_BLAKE2S_BLOCK; i++)
		block[i] ^= 0x36 ^ 0x5c;
	parts[1].data = inner;
	parts[1].len = WG_HASH_LEN;
	wg_hash_parts(out, parts, ARRAY_SIZE(parts));

	memzero_explicit(block, sizeof(block));
	memzero_explicit(inner, sizeof(inner));
}

/*
 * HKDF with HMAC-BLAKE2s: prk = HMAC(ck, in); t1 = HMAC(prk, 0x1);
 * t(i) = HMAC(prk, t(i-1) || i). Writes up to three outputs; @t2 and @t3
 * may be NULL. Outputs may alias @ck or @in.
 */
static void wg_kdf(u8 *t1, u8 *t2, u8 *t3, const u8 ck[WG_HASH_LEN],
		   const u8 *in, size_t in_len)
{
	u8 prk[WG_HASH_LEN];
	u8 t[3][WG_HASH_LEN];
	u8 buf[WG_HASH_LEN + 1];
	int n = t3 ? 3 : t2 ? 2 : 1;
	int i;

	wg_hmac(prk, ck, WG_HASH_LEN, in, in_len);
	buf[0] = 1;
	wg_hmac(t[0], prk, WG_HASH_LEN, buf, 1);
	for (i = 1; i < n; i++) {
		memcpy(buf, t[i - 1], WG_HASH_LEN);
		buf[WG_HASH_LEN] = i + 1;
		wg_hmac(t[i], prk, WG_HASH_LEN, buf, sizeof(buf));
	}

	memcpy(t1, t[0], WG_HASH_LEN);
	if (t2)
		memcpy(t2, t[1], WG_HASH_LEN);
	if (t3)
		memcpy(t3, t[2], WG_HASH_LEN);

	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(t, sizeof(t));
	memzero_explicit(buf, sizeof(buf));
}

/* (C, k) = KDF2(C, DH(priv, pub)); false if the DH result is all zero. */
static bool __must_check wg_mix_dh(u8 ck[WG_HASH_LEN], u8 *key,
				   const u8 priv[WG_KEY_LEN],
				   const u8 pub[WG_KEY_LEN])
{
	u8 shared[WG_KEY_LEN];
	bool ok;

	ok = wgc_curve25519(shared, priv, pub);
	if (ok)
		wg_kdf(ck, key, NULL, ck, shared, WG_KEY_LEN);
	memzero_explicit(shared, sizeof(shared));
	return ok;
}

/* (C, k) = KDF2(C, precomputed DH); the value was checked non-zero. */
static void wg_mix_precomputed(u8 ck[WG_HASH_LEN], u8 key[WG_KEY_LEN],
			       const u8 shared[WG_KEY_LEN])
{
	wg_kdf(ck, key, NULL, ck, shared, WG_KEY_LEN);
}

/* ct = AEAD(k, 0, pt, H); H = HASH(H || ct) */
static void wg_seal(u8 *ct, const u8 *pt, size_t pt_len,
		    const u8 key[WG_KEY_LEN], u8 hash[WG_HASH_LEN])
{
	wgc_chacha20poly1305_encrypt(ct, pt, pt_len, hash, WG_HASH_LEN, 0, key);
	wg_mix_hash(hash, ct, WG_SEALED_LEN(pt_len));
}

/* pt = AEAD-open(k, 0, ct, H); H = HASH(H || ct). False if forged. */
static bool __must_check wg_open(u8 *pt, const u8 *ct, size_t ct_len,
				 const u8 key[WG_KEY_LEN],
				 u8 hash[WG_HASH_LEN])
{
	if (!wgc_chacha20poly1305_decrypt(pt, ct, ct_len, hash, WG_HASH_LEN,
					  0, key))
		return false;
	wg_mix_hash(hash, ct, ct_len);
	return true;
}

/* C = HASH(CONSTRUCTION); H = HASH(HASH(C || IDENTIFIER) || S_responder) */
static void wg_handshake_start(u8 ck[WG_HASH_LEN], u8 hash[WG_HASH_LEN],
			       const u8 responder_static[WG_KEY_LEN])
{
	wgc_blake2s(ck, WG_HASH_LEN, wg_construction, sizeof(wg_construction),
		    NULL, 0);
	memcpy(hash, ck, WG_HASH_LEN);
	wg_mix_hash(hash, wg_identifier, sizeof(wg_identifier));
	wg_mix_hash(hash, responder_static, WG_KEY_LEN);
}

/* e: C = KDF1(C, E_pub); H = HASH(H || E_pub) */
static void wg_mix_ephemeral(u8 ck[WG_HASH_LEN], u8 hash[WG_HASH_LEN],
			     const u8 ephemeral_pub[WG_KEY_LEN])
{
	wg_kdf(ck, NULL, NULL, ck, ephemeral_pub, WG_KEY_LEN);
	wg_mix_hash(hash, ephemeral_pub, WG_KEY_LEN);
}

static bool wg_key_is_zero(const u8 key[WG_KEY_LEN])
{
	static const u8 zero[WG_KEY_LEN];

	return !crypto_memneq(key, zero, WG_KEY_LEN);
}

void wg_tai64n_now(u8 out[WG_TAI64N_LEN])
{
	/* Coarse enough not to reveal our clock beyond 50 initiations/s. */
	const u32 grain = rounddown_pow_of_two(NSEC_PER_SEC /
					       WG_INITIATIONS_PER_SECOND);
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	put_unaligned_be64(0x400000000000000aULL + (u64)now.tv_sec, out);
	put_unaligned_be32(now.tv_nsec - now.tv_nsec % grain, out + 8);
}

#ifdef WG_DEBUG
const u8 *wg_noise_test_ephemeral;
const u8 *wg_noise_test_timestamp;
#endif

/* A fresh ephemeral private key (fixed by the self-tests' seam). */
static void wg_new_ephemeral(u8 priv[WG_KEY_LEN])
{
#ifdef WG_DEBUG
	if (wg_noise_test_ephemeral) {
		memcpy(priv, wg_noise_test_ephemeral, WG_KEY_LEN);
		wgc_curve25519_clamp_secret(priv);
		return;
	}
#endif
	wgc_curve25519_generate_secret(priv);
}

/* The timestamp of a new initiation (fixed by the self-tests' seam). */
static void wg_initiation_timestamp(u8 out[WG_TAI64N_LEN])
{
#ifdef WG_DEBUG
	if (wg_noise_test_timestamp) {
		memcpy(out, wg_noise_test_timestamp, WG_TAI64N_LEN);
		return;
	}
#endif
	wg_tai64n_now(out);
}

/* ---- Identity ---- */

void wg_identity_init(struct wg_identity *id)
{
	memset(id, 0, sizeof(*id));
	init_rwsem(&id->lock);
	wg_cookie_checker_init(&id->checker);
}

bool wg_noise_public_from_private(u8 public_key[WG_KEY_LEN],
				  const u8 private_key[WG_KEY_LEN])
{
	u8 clamped[WG_KEY_LEN];
	bool ok = false;

	if (!wg_key_is_zero(private_key)) {
		memcpy(clamped, private_key, WG_KEY_LEN);
		wgc_curve25519_clamp_secret(clamped);
		ok = wgc_curve25519_generate_public(public_key, clamped);
	}
	if (!ok)
		memset(public_key, 0, WG_KEY_LEN);
	memzero_explicit(clamped, sizeof(clamped));
	return ok;
}

bool wg_identity_set_private_key(struct wg_identity *id,
				 const u8 *private_key)
{
	lockdep_assert_held_write(&id->lock);

	if (private_key && !wg_key_is_zero(private_key)) {
		memcpy(id->private_key, private_key, WG_KEY_LEN);
		wgc_curve25519_clamp_secret(id->private_key);
		id->has_key = wgc_curve25519_generate_public(id->public_key,
							     id->private_key);
	} else {
		id->has_key = false;
	}

	if (!id->has_key) {
		memzero_explicit(id->private_key, WG_KEY_LEN);
		memset(id->public_key, 0, WG_KEY_LEN);
	}
	wg_cookie_checker_set_key(&id->checker,
				  id->has_key ? id->public_key : NULL);
	return id->has_key;
}

void wg_identity_wipe(struct wg_identity *id)
{
	down_write(&id->lock);
	memzero_explicit(id->private_key, WG_KEY_LEN);
	memset(id->public_key, 0, WG_KEY_LEN);
	id->has_key = false;
	wg_cookie_checker_wipe(&id->checker);
	up_write(&id->lock);
}

/* ---- Handshake state ---- */

/* Drop the in-flight session state; keep identities, psk and guards. */
static void wg_handshake_reset(struct wg_handshake *hs)
{
	lockdep_assert_held_write(&hs->lock);
	memzero_explicit(hs->chaining_key, WG_HASH_LEN);
	memzero_explicit(hs->hash, WG_HASH_LEN);
	memzero_explicit(hs->local_ephemeral, WG_KEY_LEN);
	memset(hs->remote_ephemeral, 0, WG_KEY_LEN);
	hs->remote_index = 0;
	hs->state = WG_HS_ZEROED;
}

void wg_handshake_precompute(struct wg_handshake *hs)
{
	struct wg_identity *id = hs->local;

	lockdep_assert_held(&id->lock);
	hs->static_static_ok = id->has_key &&
		wgc_curve25519(hs->static_static, id->private_key,
			       hs->remote_static);
	if (!hs->static_static_ok)
		memzero_explicit(hs->static_static, WG_KEY_LEN);
}

void wg_handshake_init(struct wg_handshake *hs, struct wg_identity *id,
		       const u8 remote_static[WG_KEY_LEN], const u8 *psk,
		       const struct wg_index_ops *ops, void *table,
		       void *owner)
{
	memset(hs, 0, sizeof(*hs));
	init_rwsem(&hs->lock);
	hs->local = id;
	hs->index_ops = ops;
	hs->index_table = table;
	hs->index.kind = WG_INDEX_HANDSHAKE;
	hs->index.owner = owner;
	memcpy(hs->remote_static, remote_static, WG_KEY_LEN);
	if (psk)
		memcpy(hs->psk, psk, WG_KEY_LEN);
	wg_cookie_jar_init(&hs->jar, remote_static);

	down_read(&id->lock);
	wg_handshake_precompute(hs);
	up_read(&id->lock);
}

void wg_handshake_set_psk(struct wg_handshake *hs, const u8 *psk)
{
	down_write(&hs->lock);
	if (psk)
		memcpy(hs->psk, psk, WG_KEY_LEN);
	else
		memzero_explicit(hs->psk, WG_KEY_LEN);
	up_write(&hs->lock);
}

void wg_handshake_get_psk(struct wg_handshake *hs, u8 out[WG_KEY_LEN])
{
	down_read(&hs->lock);
	memcpy(out, hs->psk, WG_KEY_LEN);
	up_read(&hs->lock);
}

void wg_handshake_clear(struct wg_handshake *hs)
{
	down_write(&hs->lock);
	hs->index_ops->remove(hs->index_table, &hs->index);
	wg_handshake_reset(hs);
	up_write(&hs->lock);
}

void wg_handshake_destroy(struct wg_handshake *hs)
{
	down_write(&hs->lock);
	hs->index_ops->remove(hs->index_table, &hs->index);
	wg_handshake_reset(hs);
	memzero_explicit(hs->static_static, WG_KEY_LEN);
	memzero_explicit(hs->psk, WG_KEY_LEN);
	hs->static_static_ok = false;
	up_write(&hs->lock);
	wg_cookie_jar_wipe(&hs->jar);
}

/* ---- Writing and reading the two handshake messages ---- */

/*
 * The running state of one handshake message while it is written or read:
 * chaining key, hash, the current one-shot AEAD key, our new ephemeral
 * private key (when we write), and the decrypted payloads (when we read).
 * It lives on the stack and one memzero_explicit() wipes it on every exit.
 */
struct wg_noise_run {
	u8 ck[WG_HASH_LEN];
	u8 hash[WG_HASH_LEN];
	u8 key[WG_KEY_LEN];
	u8 eph[WG_KEY_LEN];
	u8 peer_static[WG_KEY_LEN];
	u8 timestamp[WG_TAI64N_LEN];
};

static void wg_run_wipe(struct wg_noise_run *run)
{
	memzero_explicit(run, sizeof(*run));
}

/* Continue from the chaining key and hash that @hs kept. */
static void wg_run_resume(struct wg_noise_run *run,
			  const struct wg_handshake *hs)
{
	memcpy(run->ck, hs->chaining_key, WG_HASH_LEN);
	memcpy(run->hash, hs->hash, WG_HASH_LEN);
}

/* Our "e": a fresh ephemeral; its public half goes to @pub and is mixed. */
static bool __must_check wg_run_own_ephemeral(struct wg_noise_run *run,
					      u8 pub[WG_KEY_LEN])
{
	wg_new_ephemeral(run->eph);
	if (!wgc_curve25519_generate_public(pub, run->eph))
		return false;
	wg_mix_ephemeral(run->ck, run->hash, pub);
	return true;
}

/* Every handshake operation on @hs: identity (read), then @hs (write). */
static void wg_hs_lock(struct wg_handshake *hs)
{
	might_sleep();
	down_read(&hs->local->lock);
	down_write(&hs->lock);
}

static void wg_hs_unlock(struct wg_handshake *hs)
{
	up_write(&hs->lock);
	up_read(&hs->local->lock);
}

static_assert(offsetof(struct wg_msg_initiation, sender_index) ==
	      offsetof(struct wg_msg_response, sender_index));

/*
 * Writes the Noise body of one outgoing handshake message into @msg and
 * leaves the chaining state in @run. Called with the wg_hs_lock() locks.
 * Return: 0, or -ENOKEY / -EINVAL (nothing of @hs has changed then).
 */
typedef int (*wg_hs_writer_t)(struct wg_handshake *hs,
			      struct wg_noise_run *run, void *msg);

/*
 * One outgoing handshake message as a transaction: under the locks, the
 * writer fills @msg; if it succeeds, @hs keeps what the peer's answer
 * needs and moves to @next, gets a fresh published index (the message's
 * sender index) and the message gets its MACs. @len is 148 or 92; both
 * messages carry the sender index at offset 4.
 */
static int wg_hs_write(struct wg_handshake *hs, wg_hs_writer_t writer,
		       void *msg, size_t len, enum wg_handshake_state next)
{
	struct wg_noise_run run;
	__le32 index;
	int ret;

	wg_hs_lock(hs);
	ret = writer(hs, &run, msg);
	if (!ret) {
		memcpy(hs->chaining_key, run.ck, WG_HASH_LEN);
		memcpy(hs->hash, run.hash, WG_HASH_LEN);
		memcpy(hs->local_ephemeral, run.eph, WG_KEY_LEN);
		hs->state = next;
		hs->index_ops->assign(hs->index_table, &hs->index);
		index = hs->index.index;
		memcpy((u8 *)msg +
		       offsetof(struct wg_msg_initiation, sender_index),
		       &index, sizeof(index));
		wg_cookie_jar_stamp(&hs->jar, msg, len);
	}
	wg_hs_unlock(hs);
	wg_run_wipe(&run);
	return ret;
}

/*
 * We read a message of the handshake and it authenticated: keep the
 * peer's ephemeral and index and move to @state. Our own ephemeral, if
 * any, has done its work and goes.
 */
static void wg_hs_keep_received(struct wg_handshake *hs,
				const struct wg_noise_run *run,
				const u8 remote_ephemeral[WG_KEY_LEN],
				__le32 remote_index,
				enum wg_handshake_state state)
{
	lockdep_assert_held_write(&hs->lock);
	memcpy(hs->chaining_key, run->ck, WG_HASH_LEN);
	memcpy(hs->hash, run->hash, WG_HASH_LEN);
	memcpy(hs->remote_ephemeral, remote_ephemeral, WG_KEY_LEN);
	memzero_explicit(hs->local_ephemeral, WG_KEY_LEN);
	hs->remote_index = remote_index;
	hs->state = state;
}

/*
 * The precondition of answering or finishing a handshake: @hs is in
 * @state (else -EINVAL) and our identity has a private key (else -ENOKEY).
 */
static int wg_hs_expect(const struct wg_handshake *hs,
			enum wg_handshake_state state)
{
	lockdep_assert_held(&hs->lock);
	if (hs->state != state)
		return -EINVAL;
	return hs->local->has_key ? 0 : -ENOKEY;
}

/* ---- Message 1: initiation ---- */

static int wg_write_initiation(struct wg_handshake *hs,
			       struct wg_noise_run *run, void *out)
{
	struct wg_msg_initiation *msg = out;
	struct wg_noise_init_body *body = &msg->noise;

	if (!hs->local->has_key || !hs->static_static_ok)
		return -ENOKEY;

	memset(msg, 0, sizeof(*msg));
	msg->head.type = cpu_to_le32(WG_MSG_INITIATION);
	wg_handshake_start(run->ck, run->hash, hs->remote_static);

	if (!wg_run_own_ephemeral(run, body->ephemeral) ||		/* e */
	    !wg_mix_dh(run->ck, run->key, run->eph, hs->remote_static))	/* es */
		return -EINVAL;
	/* s */
	wg_seal(body->sealed_static, hs->local->public_key, WG_KEY_LEN,
		run->key, run->hash);
	/* ss */
	wg_mix_precomputed(run->ck, run->key, hs->static_static);
	/* {t} */
	wg_initiation_timestamp(run->timestamp);
	wg_seal(body->sealed_timestamp, run->timestamp, WG_TAI64N_LEN,
		run->key, run->hash);

	/* A response to an earlier initiation no longer matches. */
	memset(hs->remote_ephemeral, 0, WG_KEY_LEN);
	hs->remote_index = 0;
	return 0;
}

int wg_noise_create_initiation(struct wg_handshake *hs,
			       struct wg_msg_initiation *msg)
{
	return wg_hs_write(hs, wg_write_initiation, msg, sizeof(*msg),
			   WG_HS_CREATED_INITIATION);
}

/*
 * The replay and flood guards of @hs for an initiation carrying
 * @timestamp at @now: the timestamp must be newer than every one accepted
 * before, and the last accepted one at least WG_INITIATION_MIN_INTERVAL_NS
 * old.
 */
static bool wg_hs_initiation_is_new(const struct wg_handshake *hs,
				    const u8 timestamp[WG_TAI64N_LEN],
				    u64 now)
{
	if (memcmp(timestamp, hs->latest_timestamp, WG_TAI64N_LEN) <= 0)
		return false;
	return !hs->last_initiation_consumed_ns ||
	       (s64)(now - hs->last_initiation_consumed_ns) >=
	       (s64)WG_INITIATION_MIN_INTERVAL_NS;
}

struct wg_handshake *wg_noise_consume_initiation(struct wg_identity *id,
				const struct wg_msg_initiation *msg,
				wg_noise_peer_lookup_t lookup, void *ctx)
{
	const struct wg_noise_init_body *body = &msg->noise;
	struct wg_handshake *peer_hs, *accepted = NULL;
	struct wg_noise_run run;
	u64 now;

	might_sleep();
	down_read(&id->lock);
	if (!id->has_key)
		goto out;

	wg_handshake_start(run.ck, run.hash, id->public_key);
	/* e */
	wg_mix_ephemeral(run.ck, run.hash, body->ephemeral);
	/* es, then s */
	if (!wg_mix_dh(run.ck, run.key, id->private_key, body->ephemeral) ||
	    !wg_open(run.peer_static, body->sealed_static,
		     sizeof(body->sealed_static), run.key, run.hash))
		goto out;

	peer_hs = lookup(ctx, run.peer_static);
	if (!peer_hs)
		goto out;

	down_write(&peer_hs->lock);
	if (peer_hs->local != id || !peer_hs->static_static_ok ||
	    crypto_memneq(peer_hs->remote_static, run.peer_static,
			  WG_KEY_LEN))
		goto out_peer;
	/* ss */
	wg_mix_precomputed(run.ck, run.key, peer_hs->static_static);
	/* {t} */
	if (!wg_open(run.timestamp, body->sealed_timestamp,
		     sizeof(body->sealed_timestamp), run.key, run.hash))
		goto out_peer;

	now = wg_clock_ns();
	if (!wg_hs_initiation_is_new(peer_hs, run.timestamp, now))
		goto out_peer;

	/* Accepted; a handshake of ours still in flight is abandoned. */
	memcpy(peer_hs->latest_timestamp, run.timestamp, WG_TAI64N_LEN);
	peer_hs->last_initiation_consumed_ns = now ?: 1;
	wg_hs_keep_received(peer_hs, &run, body->ephemeral, msg->sender_index,
			    WG_HS_CONSUMED_INITIATION);
	accepted = peer_hs;
out_peer:
	up_write(&peer_hs->lock);
out:
	up_read(&id->lock);
	wg_run_wipe(&run);
	return accepted;
}

/* ---- Message 2: response ---- */

/* psk: (C, tau, k) = KDF3(C, psk); H = HASH(H || tau) */
static void wg_mix_psk(struct wg_noise_run *run, const u8 psk[WG_KEY_LEN])
{
	u8 tau[WG_HASH_LEN];

	wg_kdf(run->ck, tau, run->key, run->ck, psk, WG_KEY_LEN);
	wg_mix_hash(run->hash, tau, WG_HASH_LEN);
	memzero_explicit(tau, sizeof(tau));
}

static int wg_write_response(struct wg_handshake *hs,
			     struct wg_noise_run *run, void *out)
{
	struct wg_msg_response *msg = out;
	struct wg_noise_resp_body *body = &msg->noise;
	int ret;

	ret = wg_hs_expect(hs, WG_HS_CONSUMED_INITIATION);
	if (ret)
		return ret;

	memset(msg, 0, sizeof(*msg));
	msg->head.type = cpu_to_le32(WG_MSG_RESPONSE);
	msg->receiver_index = hs->remote_index;
	wg_run_resume(run, hs);

	if (!wg_run_own_ephemeral(run, body->ephemeral) ||		/* e */
	    !wg_mix_dh(run->ck, NULL, run->eph, hs->remote_ephemeral) ||	/* ee */
	    !wg_mix_dh(run->ck, NULL, run->eph, hs->remote_static))	/* se */
		return -EINVAL;
	/* psk */
	wg_mix_psk(run, hs->psk);
	/* {} */
	wg_seal(body->sealed_empty, NULL, 0, run->key, run->hash);
	return 0;
}

int wg_noise_create_response(struct wg_handshake *hs,
			     struct wg_msg_response *msg)
{
	return wg_hs_write(hs, wg_write_response, msg, sizeof(*msg),
			   WG_HS_CREATED_RESPONSE);
}

int wg_noise_consume_response(struct wg_handshake *hs,
			      const struct wg_msg_response *msg)
{
	const struct wg_noise_resp_body *body = &msg->noise;
	struct wg_noise_run run;
	int ret;

	wg_hs_lock(hs);
	ret = wg_hs_expect(hs, WG_HS_CREATED_INITIATION);
	if (!ret && msg->receiver_index != hs->index.index)
		ret = -EINVAL;
	if (ret)
		goto out;

	wg_run_resume(&run, hs);
	/* e */
	wg_mix_ephemeral(run.ck, run.hash, body->ephemeral);

	ret = -EINVAL;
	if (!wg_mix_dh(run.ck, NULL, hs->local_ephemeral,
		       body->ephemeral) ||				/* ee */
	    !wg_mix_dh(run.ck, NULL, hs->local->private_key,
		       body->ephemeral))				/* se */
		goto out;
	/* psk */
	wg_mix_psk(&run, hs->psk);
	/* {} */
	if (!wg_open(NULL, body->sealed_empty, sizeof(body->sealed_empty),
		     run.key, run.hash))
		goto out;

	wg_hs_keep_received(hs, &run, body->ephemeral, msg->sender_index,
			    WG_HS_CONSUMED_RESPONSE);
	ret = 0;
out:
	wg_hs_unlock(hs);
	wg_run_wipe(&run);
	return ret;
}

/* ---- Transport keypairs ---- */

struct wg_keypair *wg_noise_derive_keypair(struct wg_handshake *hs)
{
	struct wg_keypair *kp;
	u8 first[WG_KEY_LEN], second[WG_KEY_LEN];
	bool initiator;

	might_sleep();
	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		return NULL;
	wg_obj_made(WG_OBJ_KEYPAIR);

	/*
	 * The identity lock too: a private key change clears every
	 * handshake while it holds it for writing, so a handshake made with
	 * the old key is found ZEROED here and yields no keypair.
	 */
	wg_hs_lock(hs);
	if (hs->state == WG_HS_CONSUMED_RESPONSE)
		initiator = true;
	else if (hs->state == WG_HS_CREATED_RESPONSE)
		initiator = false;
	else
		goto fail;

	/* (T_i->r, T_r->i) = KDF2(C, empty) */
	wg_kdf(first, second, NULL, hs->chaining_key, NULL, 0);
	memcpy(kp->send_key, initiator ? first : second, WG_KEY_LEN);
	memcpy(kp->recv_key, initiator ? second : first, WG_KEY_LEN);
	kp->initiator = initiator;
	kp->remote_index = hs->remote_index;
	kp->birth_ns = wg_clock_ns();
	kp->can_send = true;
	atomic64_set(&kp->send_counter, 0);
	wg_replay_init(&kp->replay);
	kref_init(&kp->refcount);
	kp->index.kind = WG_INDEX_KEYPAIR;
	kp->index.owner = hs->index.owner;
	kp->index_ops = hs->index_ops;
	kp->index_table = hs->index_table;

	/* The handshake's index now names the keypair. */
	hs->index_ops->replace(hs->index_table, &hs->index, &kp->index);
	wg_handshake_reset(hs);
	wg_hs_unlock(hs);

	memzero_explicit(first, sizeof(first));
	memzero_explicit(second, sizeof(second));
	return kp;

fail:
	wg_hs_unlock(hs);
	kfree(kp);
	wg_obj_freed(WG_OBJ_KEYPAIR);
	return NULL;
}

struct wg_keypair *wg_keypair_get_live(struct wg_keypair *kp)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_bh_held() && !rcu_read_lock_held(),
			 "keypair lookup outside an RCU read section");
	if (!kp || !kref_get_unless_zero(&kp->refcount))
		return NULL;
	return kp;
}

static void wg_keypair_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct wg_keypair, rcu));
	wg_obj_freed(WG_OBJ_KEYPAIR);
}

static void wg_keypair_release(struct kref *kref)
{
	struct wg_keypair *kp = container_of(kref, struct wg_keypair, refcount);

	kp->index_ops->remove(kp->index_table, &kp->index);
	call_rcu(&kp->rcu, wg_keypair_free_rcu);
}

void wg_keypair_put(struct wg_keypair *kp)
{
	if (kp)
		kref_put(&kp->refcount, wg_keypair_release);
}

bool wg_keypair_take_nonce(struct wg_keypair *kp, u64 now_ns, u64 *nonce)
{
	u64 n;

	if (!READ_ONCE(kp->can_send) ||
	    wg_older_than(kp->birth_ns, now_ns, WG_REJECT_AFTER_TIME))
		return false;
	n = atomic64_inc_return(&kp->send_counter) - 1;
	if (n >= WG_REJECT_AFTER_MESSAGES)
		return false;
	*nonce = n;
	return true;
}

bool wg_keypair_rx_usable(const struct wg_keypair *kp, u64 now_ns)
{
	return !wg_older_than(kp->birth_ns, now_ns, WG_REJECT_AFTER_TIME);
}

bool wg_keypair_should_rekey_tx(struct wg_keypair *kp, u64 now_ns)
{
	return (u64)atomic64_read(&kp->send_counter) > WG_REKEY_AFTER_MESSAGES ||
	       (kp->initiator &&
		wg_older_than(kp->birth_ns, now_ns, WG_REKEY_AFTER_TIME));
}

bool wg_keypair_should_rekey_rx(const struct wg_keypair *kp, u64 now_ns)
{
	return kp->initiator &&
	       wg_older_than(kp->birth_ns, now_ns, WG_REKEY_ON_RECEIVE_AGE);
}

/* ---- Key slots ---- */

void wg_keyslots_init(struct wg_keyslots *slots)
{
	spin_lock_init(&slots->lock);
	RCU_INIT_POINTER(slots->previous, NULL);
	RCU_INIT_POINTER(slots->current_kp, NULL);
	RCU_INIT_POINTER(slots->next, NULL);
}

enum wg_slots_op {
	WG_SLOTS_INSTALL,
	WG_SLOTS_CONFIRM,
	WG_SLOTS_CLEAR,
	WG_SLOTS_STOP_SENDING,	/* no slot changes; current and next go mute */
};

/*
 * Apply @op to the three slots in one critical section, then unpublish the
 * index of every keypair that left the slots and drop its slot reference.
 * A newly installed keypair brings the caller's reference.
 * Return: false if no slot changed (CONFIRM of a keypair that is not next,
 * or STOP_SENDING, which only marks the keypairs it finds).
 */
static bool wg_keyslots_update(struct wg_keyslots *slots, enum wg_slots_op op,
			       struct wg_keypair *kp)
{
	struct wg_keypair *old[3], *now[3];
	bool changed = true;
	int i, j;

	spin_lock_bh(&slots->lock);
	old[0] = rcu_dereference_protected(slots->previous,
					   lockdep_is_held(&slots->lock));
	old[1] = rcu_dereference_protected(slots->current_kp,
					   lockdep_is_held(&slots->lock));
	old[2] = rcu_dereference_protected(slots->next,
					   lockdep_is_held(&slots->lock));
	switch (op) {
	case WG_SLOTS_INSTALL:
		if (kp->initiator) {
			/* Usable at once; a pending next is the newest old. */
			now[0] = old[2] ?: old[1];
			now[1] = kp;
			now[2] = NULL;
		} else {
			/* Held back until the initiator proves it has it. */
			now[0] = NULL;
			now[1] = old[1];
			now[2] = kp;
		}
		break;
	case WG_SLOTS_CONFIRM:
		changed = kp && old[2] == kp;
		now[0] = old[1];
		now[1] = kp;
		now[2] = NULL;
		break;
	case WG_SLOTS_STOP_SENDING:
		changed = false;
		for (i = 1; i < 3; i++)
			if (old[i])
				WRITE_ONCE(old[i]->can_send, false);
		break;
	case WG_SLOTS_CLEAR:
	default:
		now[0] = NULL;
		now[1] = NULL;
		now[2] = NULL;
		break;
	}
	if (changed) {
		rcu_assign_pointer(slots->previous, now[0]);
		rcu_assign_pointer(slots->current_kp, now[1]);
		rcu_assign_pointer(slots->next, now[2]);
	}
	spin_unlock_bh(&slots->lock);

	if (!changed)
		return false;
	for (i = 0; i < 3; i++) {
		bool kept = false;

		for (j = 0; j < 3; j++)
			kept |= old[i] == now[j];
		if (old[i] && !kept) {
			/*
			 * Out of the slots means out of service: unpublish the
			 * index now, so no lookup finds it while in-flight
			 * packets still hold references.
			 */
			old[i]->index_ops->remove(old[i]->index_table,
						  &old[i]->index);
			wg_keypair_put(old[i]);
		}
	}
	return true;
}

void wg_keyslots_install(struct wg_keyslots *slots, struct wg_keypair *kp)
{
	wg_keyslots_update(slots, WG_SLOTS_INSTALL, kp);
}

bool wg_keyslots_confirm(struct wg_keyslots *slots, struct wg_keypair *kp)
{
	/* Fast path: almost every packet arrives on the current key. */
	if (rcu_access_pointer(slots->next) != kp)
		return false;
	return wg_keyslots_update(slots, WG_SLOTS_CONFIRM, kp);
}

void wg_keyslots_clear(struct wg_keyslots *slots)
{
	wg_keyslots_update(slots, WG_SLOTS_CLEAR, NULL);
}

struct wg_keypair *wg_keyslots_get_current(struct wg_keyslots *slots)
{
	struct wg_keypair *kp;

	rcu_read_lock_bh();
	kp = wg_keypair_get_live(rcu_dereference_bh(slots->current_kp));
	rcu_read_unlock_bh();
	return kp;
}

void wg_keyslots_expire_current(struct wg_keyslots *slots)
{
	wg_keyslots_update(slots, WG_SLOTS_STOP_SENDING, NULL);
}
