// SPDX-License-Identifier: GPL-2.0
/*
 * selftest/handshake.c - self-test of the Noise_IKpsk2 handshake between two
 * in-module peers, against a known-answer transcript computed by an
 * independent implementation (handshake_vector.h):
 *  - the initiation and response are byte-identical to the transcript when
 *    ephemerals, timestamp and indices are fixed, and the transport keys
 *    match it crosswise;
 *  - tampered, replayed and flooding initiations and a tampered response are
 *    refused without disturbing the state;
 *  - a data AEAD round trip works with the derived keys, and a second
 *    handshake with random ephemerals in the other direction rotates the
 *    key slots as the protocol requires;
 *  - a peer with a low-order (all-zero) public key cannot handshake.
 * Runs single-threaded at module init, before any device exists (it sets the
 * noise.c test seam). May sleep.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include "compat.h"
#include "../noise.h"
#include "../objcount.h"
#include "selftest.h"
#include "handshake_vector.h"

#define CHECK(cond) WG_CHECK("handshake", fails, cond)

/* A minimal index table: fixed slots, indices handed out from @planned. */
struct wg_st_table {
	spinlock_t lock;
	u32 planned;
	struct wg_index_entry *slot[8];
};

static int wg_st_find(struct wg_st_table *t, struct wg_index_entry *e)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(t->slot); i++)
		if (t->slot[i] == e)
			return i;
	return -1;
}

static void wg_st_assign(void *table, struct wg_index_entry *e)
{
	struct wg_st_table *t = table;
	int i;

	spin_lock_bh(&t->lock);
	i = wg_st_find(t, e);
	if (i < 0)
		i = wg_st_find(t, NULL);
	if (!WARN_ON(i < 0)) {
		e->index = cpu_to_le32(t->planned++);
		t->slot[i] = e;
	}
	spin_unlock_bh(&t->lock);
}

static void wg_st_replace(void *table, struct wg_index_entry *old,
			  struct wg_index_entry *new)
{
	struct wg_st_table *t = table;
	int i;

	spin_lock_bh(&t->lock);
	i = wg_st_find(t, old);
	if (i >= 0) {
		new->index = old->index;
		t->slot[i] = new;
	} else {
		new->index = 0;
	}
	spin_unlock_bh(&t->lock);
}

static void wg_st_remove(void *table, struct wg_index_entry *e)
{
	struct wg_st_table *t = table;
	int i;

	spin_lock_bh(&t->lock);
	i = wg_st_find(t, e);
	if (i >= 0)
		t->slot[i] = NULL;
	spin_unlock_bh(&t->lock);
}

static const struct wg_index_ops wg_st_index_ops = {
	.assign = wg_st_assign,
	.replace = wg_st_replace,
	.remove = wg_st_remove,
};

struct wg_st_peers {
	struct wg_handshake *known[2];
};

static struct wg_handshake *wg_st_lookup(void *ctx,
					 const u8 remote_static[WG_KEY_LEN])
{
	struct wg_st_peers *peers = ctx;
	int i;

	for (i = 0; i < ARRAY_SIZE(peers->known); i++)
		if (peers->known[i] &&
		    !memcmp(peers->known[i]->remote_static, remote_static,
			    WG_KEY_LEN))
			return peers->known[i];
	return NULL;
}

struct wg_st_hs {
	struct wg_identity id_i, id_r;
	struct wg_handshake hs_i;	/* initiator's view of the responder */
	struct wg_handshake hs_r;	/* responder's view of the initiator */
	struct wg_handshake hs_bad;	/* responder's view of a low-order key */
	struct wg_keyslots slots_i, slots_r;
	struct wg_st_table table_i, table_r;
	struct wg_st_peers peers_i, peers_r;
	struct wg_msg_initiation init, forged_init;
	struct wg_msg_response resp, forged_resp;
	u8 timestamp[WG_TAI64N_LEN];
	u8 plain[64], sealed[64 + WG_AEAD_TAG_LEN], opened[64];
};

static bool wg_st_set_key(struct wg_identity *id, const u8 *key)
{
	bool ok;

	down_write(&id->lock);
	ok = wg_identity_set_private_key(id, key);
	up_write(&id->lock);
	return ok;
}

/* A data message's AEAD with the keypairs' keys, both directions. */
static bool wg_st_data_roundtrip(struct wg_st_hs *t, struct wg_keypair *tx,
				 struct wg_keypair *rx, u64 *nonce_out)
{
	u64 nonce;
	bool ok;

	if (!wg_keypair_take_nonce(tx, wg_clock_ns(), &nonce))
		return false;
	memset(t->plain, 0, sizeof(t->plain));
	memcpy(t->plain, "ping over the tunnel", 20);
	wgc_chacha20poly1305_encrypt(t->sealed, t->plain, sizeof(t->plain),
				     NULL, 0, nonce, tx->send_key);
	ok = wgc_chacha20poly1305_decrypt(t->opened, t->sealed,
					  sizeof(t->sealed), NULL, 0, nonce,
					  rx->recv_key) &&
	     !memcmp(t->opened, t->plain, sizeof(t->plain)) &&
	     wg_replay_accept(&rx->replay, nonce);
	/* The same packet again is a replay; a forged one does not open. */
	ok &= !wg_replay_accept(&rx->replay, nonce);
	t->sealed[5] ^= 0x20;
	ok &= !wgc_chacha20poly1305_decrypt(t->opened, t->sealed,
					    sizeof(t->sealed), NULL, 0, nonce,
					    rx->recv_key);
	*nonce_out = nonce;
	return ok;
}

static struct wg_keypair *wg_st_current(struct wg_keyslots *s)
{
	return rcu_access_pointer(s->current_kp);
}

static struct wg_keypair *wg_st_previous(struct wg_keyslots *s)
{
	return rcu_access_pointer(s->previous);
}

static struct wg_keypair *wg_st_next(struct wg_keyslots *s)
{
	return rcu_access_pointer(s->next);
}

/* A keypair that only the slot logic looks at (no index, no keys). */
static struct wg_keypair *wg_st_fake_keypair(struct wg_st_table *table,
					     bool initiator)
{
	struct wg_keypair *kp = kzalloc(sizeof(*kp), GFP_KERNEL);

	if (!kp)
		return NULL;
	wg_obj_made(WG_OBJ_KEYPAIR);	/* freed like any keypair */
	kref_init(&kp->refcount);
	kp->initiator = initiator;
	kp->index.kind = WG_INDEX_KEYPAIR;
	kp->index_ops = &wg_st_index_ops;
	kp->index_table = table;
	wg_st_assign(table, &kp->index);
	return kp;
}

/*
 * Rotation of previous/current/next with synthetic keypairs, checking which
 * references the slots keep. Each fake keypair holds one test reference, so
 * a refcount of 1 means the slots let go of it.
 */
static unsigned int wg_st_rotation(struct wg_st_table *table)
{
	struct wg_keypair *kp[5] = {};
	struct wg_keyslots slots;
	unsigned int fails = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(kp); i++) {
		kp[i] = wg_st_fake_keypair(table, i == 2 || i == 4);
		if (!kp[i]) {
			fails++;
			goto out;
		}
	}
	wg_keyslots_init(&slots);

	/* Responder session 1 waits in next. */
	wg_keyslots_install(&slots, wg_keypair_get(kp[1]));
	CHECK(!wg_st_previous(&slots) && !wg_st_current(&slots) &&
	      wg_st_next(&slots) == kp[1]);
	/* We initiate 2 while 1 is unconfirmed: 1 becomes previous. */
	wg_keyslots_install(&slots, wg_keypair_get(kp[2]));
	CHECK(wg_st_previous(&slots) == kp[1] && wg_st_current(&slots) ==
	      kp[2] && !wg_st_next(&slots));
	/* Responder session 3: previous (1) is dropped, 2 stays current. */
	wg_keyslots_install(&slots, wg_keypair_get(kp[3]));
	CHECK(!wg_st_previous(&slots) && wg_st_current(&slots) == kp[2] &&
	      wg_st_next(&slots) == kp[3]);
	CHECK(kref_read(&kp[1]->refcount) == 1);
	/* Retired: no longer findable by index although still referenced. */
	CHECK(wg_st_find(table, &kp[1]->index) < 0);
	CHECK(wg_st_find(table, &kp[2]->index) >= 0);
	/* Confirming something that is not next changes nothing. */
	CHECK(!wg_keyslots_confirm(&slots, kp[2]));
	CHECK(wg_keyslots_confirm(&slots, kp[3]));
	CHECK(wg_st_previous(&slots) == kp[2] && wg_st_current(&slots) ==
	      kp[3] && !wg_st_next(&slots));
	/* We initiate 4: 3 becomes previous, 2 is dropped. */
	wg_keyslots_install(&slots, wg_keypair_get(kp[4]));
	CHECK(wg_st_previous(&slots) == kp[3] && wg_st_current(&slots) ==
	      kp[4] && !wg_st_next(&slots));
	CHECK(kref_read(&kp[2]->refcount) == 1);
	CHECK(kref_read(&kp[4]->refcount) == 2);
	wg_keyslots_clear(&slots);
	CHECK(!wg_st_previous(&slots) && !wg_st_current(&slots) &&
	      !wg_st_next(&slots));
	for (i = 0; i < ARRAY_SIZE(kp); i++)
		CHECK(kref_read(&kp[i]->refcount) == 1);
	for (i = 1; i < ARRAY_SIZE(kp); i++)
		CHECK(wg_st_find(table, &kp[i]->index) < 0);
out:
	for (i = 0; i < ARRAY_SIZE(kp); i++)
		wg_keypair_put(kp[i]);
	return fails;
}

bool wg_selftest_handshake(void)
{
	static const u8 zero_key[WG_KEY_LEN];
	struct wg_keypair *kp_i = NULL, *kp_r = NULL;
	struct wg_keypair *kp2_i = NULL, *kp2_r = NULL;
	struct wg_st_hs *t;
	struct timespec64 before, after;
	unsigned int fails = 0;
	u64 nonce, tai;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return wg_selftest_report("handshake", false);

	/*
	 * TAI64N: 2^62 + 10 + seconds, then ns rounded to 2^24. Bracketed by
	 * the clock it reads: ktime_get_real_seconds() lags it by up to a
	 * tick, and would fail this just after a second begins.
	 */
	ktime_get_real_ts64(&before);
	wg_tai64n_now(t->timestamp);
	ktime_get_real_ts64(&after);
	tai = get_unaligned_be64(t->timestamp) - 0x400000000000000aULL;
	CHECK(tai >= (u64)before.tv_sec && tai <= (u64)after.tv_sec);
	CHECK(get_unaligned_be32(t->timestamp + 8) % (1U << 24) == 0);
	CHECK(get_unaligned_be32(t->timestamp + 8) < NSEC_PER_SEC);

	spin_lock_init(&t->table_i.lock);
	spin_lock_init(&t->table_r.lock);
	wg_identity_init(&t->id_i);
	wg_identity_init(&t->id_r);
	CHECK(wg_st_set_key(&t->id_i, hv_initiator_static));
	CHECK(wg_st_set_key(&t->id_r, hv_responder_static));
	CHECK(!memcmp(t->id_i.public_key, hv_initiator_public, WG_KEY_LEN));
	CHECK(!memcmp(t->id_r.public_key, hv_responder_public, WG_KEY_LEN));

	wg_handshake_init(&t->hs_i, &t->id_i, hv_responder_public, hv_psk,
			  &wg_st_index_ops, &t->table_i, &t->peers_i);
	wg_handshake_init(&t->hs_r, &t->id_r, hv_initiator_public, hv_psk,
			  &wg_st_index_ops, &t->table_r, &t->peers_r);
	wg_handshake_init(&t->hs_bad, &t->id_r, zero_key, NULL,
			  &wg_st_index_ops, &t->table_r, &t->peers_r);
	t->peers_i.known[0] = &t->hs_i;
	t->peers_r.known[0] = &t->hs_r;
	t->peers_r.known[1] = &t->hs_bad;
	wg_keyslots_init(&t->slots_i);
	wg_keyslots_init(&t->slots_r);

	/* -> initiation, byte for byte. */
	wg_noise_test_ephemeral = hv_initiator_ephemeral;
	wg_noise_test_timestamp = hv_timestamp;
	t->table_i.planned = HV_INITIATOR_INDEX;
	CHECK(!wg_noise_create_initiation(&t->hs_i, &t->init));
	CHECK(!memcmp(&t->init, hv_initiation, sizeof(t->init)));
	CHECK(t->hs_i.state == WG_HS_CREATED_INITIATION);

	/* Tampered initiations: refused, and they change nothing. */
	t->forged_init = t->init;
	t->forged_init.noise.sealed_timestamp[0] ^= 1;
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->forged_init,
					   wg_st_lookup, &t->peers_r));
	t->forged_init = t->init;
	t->forged_init.noise.sealed_static[40] ^= 1;
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->forged_init,
					   wg_st_lookup, &t->peers_r));
	t->forged_init = t->init;
	t->forged_init.noise.ephemeral[0] ^= 1;
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->forged_init,
					   wg_st_lookup, &t->peers_r));
	CHECK(t->hs_r.state == WG_HS_ZEROED);
	/* Unknown initiator: the lookup finds nobody. */
	t->peers_r.known[0] = NULL;
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					   &t->peers_r));
	t->peers_r.known[0] = &t->hs_r;

	/* <- the genuine one. */
	CHECK(wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					  &t->peers_r) == &t->hs_r);
	CHECK(t->hs_r.state == WG_HS_CONSUMED_INITIATION);
	CHECK(t->hs_r.remote_index == cpu_to_le32(HV_INITIATOR_INDEX));
	/* The same initiation again: replayed timestamp. */
	down_write(&t->hs_r.lock);
	t->hs_r.last_initiation_consumed_ns = 0;
	up_write(&t->hs_r.lock);
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					   &t->peers_r));

	/* <- response, byte for byte. */
	wg_noise_test_ephemeral = hv_responder_ephemeral;
	t->table_r.planned = HV_RESPONDER_INDEX;
	CHECK(!wg_noise_create_response(&t->hs_r, &t->resp));
	CHECK(!memcmp(&t->resp, hv_response, sizeof(t->resp)));
	CHECK(t->hs_r.state == WG_HS_CREATED_RESPONSE);
	/* A second response from the same state is refused. */
	CHECK(wg_noise_create_response(&t->hs_r, &t->forged_resp) == -EINVAL);

	/* Tampered responses and a wrong receiver index are refused. */
	t->forged_resp = t->resp;
	t->forged_resp.noise.sealed_empty[3] ^= 1;
	CHECK(wg_noise_consume_response(&t->hs_i, &t->forged_resp));
	t->forged_resp = t->resp;
	t->forged_resp.noise.ephemeral[31] ^= 1;
	CHECK(wg_noise_consume_response(&t->hs_i, &t->forged_resp));
	t->forged_resp = t->resp;
	t->forged_resp.receiver_index ^= cpu_to_le32(1);
	CHECK(wg_noise_consume_response(&t->hs_i, &t->forged_resp));
	CHECK(t->hs_i.state == WG_HS_CREATED_INITIATION);

	/* -> the genuine response. */
	CHECK(!wg_noise_consume_response(&t->hs_i, &t->resp));
	CHECK(t->hs_i.state == WG_HS_CONSUMED_RESPONSE);
	CHECK(wg_noise_consume_response(&t->hs_i, &t->resp));

	wg_noise_test_ephemeral = NULL;
	wg_noise_test_timestamp = NULL;

	/* Transport keys: as in the transcript, crosswise equal. */
	kp_i = wg_noise_derive_keypair(&t->hs_i);
	kp_r = wg_noise_derive_keypair(&t->hs_r);
	CHECK(kp_i && kp_r);
	if (!kp_i || !kp_r)
		goto out;
	CHECK(!wg_noise_derive_keypair(&t->hs_i));
	CHECK(kp_i->initiator && !kp_r->initiator);
	CHECK(!memcmp(kp_i->send_key, hv_initiator_send, WG_KEY_LEN));
	CHECK(!memcmp(kp_i->recv_key, hv_initiator_recv, WG_KEY_LEN));
	CHECK(!memcmp(kp_r->send_key, kp_i->recv_key, WG_KEY_LEN));
	CHECK(!memcmp(kp_r->recv_key, kp_i->send_key, WG_KEY_LEN));
	CHECK(kp_i->index.index == cpu_to_le32(HV_INITIATOR_INDEX));
	CHECK(kp_r->index.index == cpu_to_le32(HV_RESPONDER_INDEX));
	CHECK(kp_i->remote_index == kp_r->index.index);
	CHECK(kp_r->remote_index == kp_i->index.index);
	CHECK(kp_i->index.owner == &t->peers_i);
	CHECK(t->hs_i.state == WG_HS_ZEROED && t->hs_r.state == WG_HS_ZEROED);
	CHECK(!memchr_inv(t->hs_i.chaining_key, 0, WG_HASH_LEN));
	CHECK(!memchr_inv(t->hs_r.local_ephemeral, 0, WG_KEY_LEN));

	/* Slots: initiator uses it at once; responder waits for data. */
	wg_keyslots_install(&t->slots_i, wg_keypair_get(kp_i));
	wg_keyslots_install(&t->slots_r, wg_keypair_get(kp_r));
	CHECK(wg_st_current(&t->slots_i) == kp_i);
	CHECK(!wg_st_current(&t->slots_r) && wg_st_next(&t->slots_r) == kp_r);
	CHECK(!wg_keyslots_get_current(&t->slots_r));

	/* Data both ways; the first packet on next confirms it. */
	CHECK(wg_st_data_roundtrip(t, kp_i, kp_r, &nonce));
	CHECK(nonce == 0);
	CHECK(wg_keyslots_confirm(&t->slots_r, kp_r));
	CHECK(!wg_keyslots_confirm(&t->slots_r, kp_r));
	CHECK(wg_st_current(&t->slots_r) == kp_r && !wg_st_next(&t->slots_r));
	CHECK(wg_st_data_roundtrip(t, kp_r, kp_i, &nonce));
	CHECK(wg_st_data_roundtrip(t, kp_i, kp_r, &nonce));
	CHECK(nonce == 1);

	/* Flood guard: an initiation right after the last one is refused. */
	CHECK(!wg_noise_create_initiation(&t->hs_i, &t->init));
	down_write(&t->hs_r.lock);
	t->hs_r.last_initiation_consumed_ns = wg_clock_ns() + NSEC_PER_SEC;
	up_write(&t->hs_r.lock);
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					   &t->peers_r));
	down_write(&t->hs_r.lock);
	t->hs_r.last_initiation_consumed_ns = wg_clock_ns() - NSEC_PER_SEC;
	up_write(&t->hs_r.lock);
	CHECK(wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					  &t->peers_r) == &t->hs_r);
	wg_handshake_clear(&t->hs_r);
	wg_handshake_clear(&t->hs_i);

	/* Second session, random ephemerals, the responder initiates. */
	CHECK(!wg_noise_create_initiation(&t->hs_r, &t->init));
	CHECK(wg_noise_consume_initiation(&t->id_i, &t->init, wg_st_lookup,
					  &t->peers_i) == &t->hs_i);
	CHECK(!wg_noise_create_response(&t->hs_i, &t->resp));
	CHECK(!wg_noise_consume_response(&t->hs_r, &t->resp));
	kp2_r = wg_noise_derive_keypair(&t->hs_r);
	kp2_i = wg_noise_derive_keypair(&t->hs_i);
	CHECK(kp2_r && kp2_i);
	if (!kp2_r || !kp2_i)
		goto out;
	CHECK(kp2_r->initiator && !kp2_i->initiator);
	CHECK(!memcmp(kp2_r->send_key, kp2_i->recv_key, WG_KEY_LEN));
	CHECK(!memcmp(kp2_r->recv_key, kp2_i->send_key, WG_KEY_LEN));
	CHECK(memcmp(kp2_r->send_key, kp_r->send_key, WG_KEY_LEN));
	wg_keyslots_install(&t->slots_r, wg_keypair_get(kp2_r));
	wg_keyslots_install(&t->slots_i, wg_keypair_get(kp2_i));
	CHECK(wg_st_current(&t->slots_r) == kp2_r &&
	      wg_st_previous(&t->slots_r) == kp_r);
	CHECK(wg_st_current(&t->slots_i) == kp_i &&
	      wg_st_next(&t->slots_i) == kp2_i && !wg_st_previous(&t->slots_i));
	CHECK(wg_st_data_roundtrip(t, kp2_r, kp2_i, &nonce));
	CHECK(wg_keyslots_confirm(&t->slots_i, kp2_i));
	CHECK(wg_st_current(&t->slots_i) == kp2_i &&
	      wg_st_previous(&t->slots_i) == kp_i);

	/* Expiry: the current key stops sending, receiving goes on. */
	wg_keyslots_expire_current(&t->slots_i);
	CHECK(!wg_keypair_take_nonce(kp2_i, wg_clock_ns(), &nonce));
	CHECK(wg_keypair_rx_usable(kp2_i, wg_clock_ns()));
	/* Age limits, by the clock passed in. */
	CHECK(!wg_keypair_take_nonce(kp2_r, kp2_r->birth_ns +
				     (WG_REJECT_AFTER_TIME + 1) * NSEC_PER_SEC,
				     &nonce));
	CHECK(!wg_keypair_rx_usable(kp2_r, kp2_r->birth_ns +
				    (WG_REJECT_AFTER_TIME + 1) * NSEC_PER_SEC));
	CHECK(!wg_keypair_should_rekey_tx(kp2_r, kp2_r->birth_ns));
	CHECK(wg_keypair_should_rekey_tx(kp2_r, kp2_r->birth_ns +
					 (WG_REKEY_AFTER_TIME + 1) *
					 NSEC_PER_SEC));
	CHECK(!wg_keypair_should_rekey_tx(kp2_i, kp2_i->birth_ns +
					  (WG_REKEY_AFTER_TIME + 1) *
					  NSEC_PER_SEC));
	CHECK(wg_keypair_should_rekey_rx(kp2_r, kp2_r->birth_ns +
					 (WG_REKEY_ON_RECEIVE_AGE + 1) *
					 NSEC_PER_SEC));
	CHECK(!wg_keypair_should_rekey_rx(kp2_i, kp2_i->birth_ns +
					  (WG_REKEY_ON_RECEIVE_AGE + 1) *
					  NSEC_PER_SEC));
	/* Count limit. */
	atomic64_set(&kp2_r->send_counter, WG_REJECT_AFTER_MESSAGES - 1);
	CHECK(wg_keypair_take_nonce(kp2_r, wg_clock_ns(), &nonce) &&
	      nonce == WG_REJECT_AFTER_MESSAGES - 1);
	CHECK(!wg_keypair_take_nonce(kp2_r, wg_clock_ns(), &nonce));
	CHECK(wg_keypair_should_rekey_tx(kp2_r, kp2_r->birth_ns));

	fails += wg_st_rotation(&t->table_i);

	/* A peer with a low-order public key never gets a handshake. */
	CHECK(wg_noise_create_initiation(&t->hs_bad, &t->init) == -ENOKEY);

	/* No private key: nothing can be created or consumed. */
	CHECK(!wg_noise_create_initiation(&t->hs_i, &t->init));
	CHECK(!wg_st_set_key(&t->id_r, NULL));
	down_write(&t->id_r.lock);
	wg_handshake_precompute(&t->hs_r);
	up_write(&t->id_r.lock);
	CHECK(!wg_noise_consume_initiation(&t->id_r, &t->init, wg_st_lookup,
					   &t->peers_r));
	CHECK(wg_noise_create_initiation(&t->hs_r, &t->init) == -ENOKEY);

out:
	wg_noise_test_ephemeral = NULL;
	wg_noise_test_timestamp = NULL;
	wg_keyslots_clear(&t->slots_i);
	wg_keyslots_clear(&t->slots_r);
	wg_keypair_put(kp_i);
	wg_keypair_put(kp_r);
	wg_keypair_put(kp2_i);
	wg_keypair_put(kp2_r);
	wg_handshake_destroy(&t->hs_i);
	wg_handshake_destroy(&t->hs_r);
	wg_handshake_destroy(&t->hs_bad);
	/* Every index must be gone from both tables. */
	CHECK(!memchr_inv(t->table_i.slot, 0, sizeof(t->table_i.slot)));
	CHECK(!memchr_inv(t->table_r.slot, 0, sizeof(t->table_r.slot)));
	wg_identity_wipe(&t->id_i);
	wg_identity_wipe(&t->id_r);
	kfree_sensitive(t);
	return wg_selftest_report("handshake", !fails);
}
