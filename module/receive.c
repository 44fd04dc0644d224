// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path (see receive.h for the locking rules): the UDP encap hook
 * classifies messages; handshakes go to the handshake engine (cookies under
 * load, rate limiting, noise.h), data to the decrypt engine; NAPI delivers
 * decrypted packets of one peer in order after the replay check, roaming,
 * key confirmation and the cryptokey-routing source check.
 */

#include "compat.h"
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/scatterlist.h>
#include <net/ip_tunnels.h>
#include <net/inet_ecn.h>
#include "receive.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"
#include "send.h"
#include "timers.h"
#include "ratelimiter.h"

#ifdef WG_DEBUG
#include <linux/delay.h>

static unsigned int response_delay_ms;
module_param(response_delay_ms, uint, 0644);
MODULE_PARM_DESC(response_delay_ms,
		 "debug builds only: delay handling each handshake response (ms)");
#endif

#define WGRX_MAX_SG	(MAX_SKB_FRAGS + 8)

static u8 wgrx_outer_ds(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return ip_hdr(skb)->tos;
	return ipv6_get_dsfield(ipv6_hdr(skb));
}

static void wgrx_data(struct wgdev *wg, struct sk_buff *skb)
{
	const struct wg_msg_data *msg = (const struct wg_msg_data *)skb->data;
	struct wg_index_entry *entry;
	struct wg_keypair *kp = NULL;
	struct wgpeer *peer;
	struct wgcb *cb = wgcb(skb);

	rcu_read_lock_bh();
	entry = wgm_index_find(wg, msg->receiver_index, WG_INDEX_KEYPAIR);
	if (entry)
		kp = wg_keypair_get_live(container_of(entry, struct wg_keypair,
						      index));
	rcu_read_unlock_bh();
	if (!kp)
		goto drop;
	if (!wg_keypair_rx_usable(kp, wgtimers_keypair_now(kp))) {
		wg_keypair_put(kp);
		goto drop;
	}
	peer = kp->index.owner;
	cb->kp = kp;
	cb->next_seg = NULL;
	cb->nonce = le64_to_cpu(msg->counter);
	cb->wire_len = skb->len;
	cb->ds = wgrx_outer_ds(skb);
	atomic_set(&cb->state, WGQ_PENDING);

	spin_lock_bh(&peer->rx_order.list.lock);
	/* A peer removed, or its delivery this far behind: drop. */
	if (unlikely(READ_ONCE(peer->dead) ||
		     skb_queue_len(&peer->rx_order.list) >=
		     WG_MAX_QUEUED_PACKETS))
		goto unlock_drop;
	__skb_queue_tail(&peer->rx_order.list, skb);
	if (unlikely(!wgq_engine_push(&wg->decrypt, skb))) {
		/* The engine is full: out of the order list again. */
		__skb_unlink(skb, &peer->rx_order.list);
		goto unlock_drop;
	}
	spin_unlock_bh(&peer->rx_order.list.lock);
	return;

unlock_drop:
	spin_unlock_bh(&peer->rx_order.list.lock);
	wg_keypair_put(kp);

drop:
	DEV_STATS_INC(wg->dev, rx_dropped);
	kfree_skb(skb);
}

static bool wgrx_under_load(struct wgdev *wg)
{
	u64 now = ktime_get_coarse_boottime_ns();

	if (atomic_read(&wg->handshakes.count) >= WG_UNDER_LOAD_QUEUE_LEN) {
		atomic64_set(&wg->under_load_until_ns,
			     now + WG_UNDER_LOAD_HOLD_NS);
		return true;
	}
	return now < (u64)atomic64_read(&wg->under_load_until_ns);
}

static void wgrx_queue_handshake(struct wgdev *wg, struct sk_buff *skb)
{
	/* Whoever frees it from the ring reads the control block. */
	memset(wgcb(skb), 0, sizeof(*wgcb(skb)));
	if (atomic_read(&wg->handshakes.count) >= WG_MAX_QUEUED_HANDSHAKES ||
	    !wgq_engine_push(&wg->handshakes, skb)) {
		net_dbg_ratelimited("%s: dropping handshake, queue full\n",
				    wg->dev->name);
		DEV_STATS_INC(wg->dev, rx_dropped);
		kfree_skb(skb);
		return;
	}
	wgrx_under_load(wg);
}

int wgrx_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct wgdev *wg = rcu_dereference_sk_user_data(sk);
	enum wg_msg_type type;

	if (unlikely(!wg))
		goto drop;
	if (!pskb_may_pull(skb, sizeof(struct udphdr) +
				sizeof(struct wg_msg_head)))
		goto drop;
	__skb_pull(skb, sizeof(struct udphdr));
	type = wg_msg_classify(skb->data, skb->len);
	if (type == WG_MSG_INVALID)
		goto drop;
	if (!pskb_may_pull(skb, wg_msg_header_len(type)))
		goto drop;
	if (type == WG_MSG_DATA)
		wgrx_data(wg, skb);
	else
		wgrx_queue_handshake(wg, skb);
	return 0;

drop:
	kfree_skb(skb);
	return 0;
}

/* ---- Handshakes (process context, may sleep) ---- */

struct wgrx_lookup {
	struct wgdev *wg;
	struct wgpeer *peer;
};

static struct wg_handshake *wgrx_lookup_peer(void *ctx,
					     const u8 remote_static[WG_KEY_LEN])
{
	struct wgrx_lookup *l = ctx;
	struct wgpeer *peer;

	rcu_read_lock_bh();
	peer = wgpeer_get_live(wgm_key_table_find(l->wg, remote_static));
	rcu_read_unlock_bh();
	if (!peer)
		return NULL;
	wgpeer_put(l->peer);
	l->peer = peer;
	return &peer->hs;
}

static struct wgpeer *wgrx_peer_by_index(struct wgdev *wg, __le32 index,
					 bool keypair_too)
{
	struct wg_index_entry *e;
	struct wgpeer *peer = NULL;

	rcu_read_lock_bh();
	e = wgm_index_find(wg, index, WG_INDEX_HANDSHAKE);
	if (!e && keypair_too)
		e = wgm_index_find(wg, index, WG_INDEX_KEYPAIR);
	if (e)
		peer = wgpeer_get_live(e->owner);
	rcu_read_unlock_bh();
	return peer;
}

static void wgrx_authenticated(struct wgpeer *peer, struct sk_buff *skb)
{
	struct wgendpoint ep;

	if (!wgsock_endpoint_from_skb(&ep, skb))
		wgpeer_set_endpoint(peer, &ep);
	/* A handshake worker is preemptible; the statistics want BH off. */
	local_bh_disable();
	wgpeer_count_rx(peer, skb->len);
	local_bh_enable();
	wgtimers_event(peer, WGT_EV_AUTH_RECEIVED);
	wgtimers_event(peer, WGT_EV_AUTH_TRAVERSAL);
}

static void wgrx_initiation(struct wgdev *wg, struct sk_buff *skb)
{
	struct wgrx_lookup l = { .wg = wg };
	struct wg_msg_response resp;
	struct wg_handshake *hs;
	struct wg_keypair *kp;
	struct wgpeer *peer;

	hs = wg_noise_consume_initiation(&wg->id, (void *)skb->data,
					 wgrx_lookup_peer, &l);
	peer = l.peer;
	if (!hs || !peer) {
		net_dbg_ratelimited("%s: invalid handshake initiation\n",
				    wg->dev->name);
		goto out;
	}
	wgrx_authenticated(peer, skb);
	if (wg_noise_create_response(&peer->hs, &resp))
		goto out;
	/*
	 * The response is only worth sending once its session exists: the
	 * initiator starts sending on it as soon as the response arrives.
	 */
	kp = wg_noise_derive_keypair(&peer->hs);
	if (!kp)
		goto out;
	wg_keyslots_install(&peer->slots, kp);
	wgtimers_event(peer, WGT_EV_SESSION);
	/*
	 * A response is handshake activity like an initiation: for
	 * REKEY_TIMEOUT our own packets to this peer wait for the initiator's
	 * first data message (it confirms the new session) instead of
	 * starting a second, crossing handshake.
	 */
	wgtx_note_handshake_sent(peer);
	wgtimers_event(peer, WGT_EV_AUTH_TRAVERSAL);
	wgtimers_event(peer, WGT_EV_AUTH_SENT);
	wgsock_send_buf(peer, &resp, sizeof(resp), WG_HANDSHAKE_DSCP);
out:
	wgpeer_put(peer);
}

static void wgrx_response(struct wgdev *wg, struct sk_buff *skb)
{
	const struct wg_msg_response *msg = (const void *)skb->data;
	struct wg_keypair *kp;
	struct wgpeer *peer;

	peer = wgrx_peer_by_index(wg, msg->receiver_index, false);
	if (!peer)
		return;
	if (wg_noise_consume_response(&peer->hs, msg)) {
		net_dbg_ratelimited("%s: invalid handshake response\n",
				    wg->dev->name);
		goto out;
	}
	wgrx_authenticated(peer, skb);
	wgtimers_event(peer, WGT_EV_COMPLETE);
	kp = wg_noise_derive_keypair(&peer->hs);
	if (kp) {
		wg_keyslots_install(&peer->slots, kp);
		wgtimers_event(peer, WGT_EV_SESSION);
		/* Confirms the key: staged packets, or an empty one. */
		wgtx_keepalive(peer);
	}
out:
	wgpeer_put(peer);
}

void wgrx_handshake_one(struct wgq_engine *engine, struct sk_buff *skb)
{
	struct wgdev *wg = engine->owner;
	enum wg_msg_type type = wg_msg_classify(skb->data, skb->len);
	struct wg_msg_cookie_reply reply;
	enum wg_macs_verdict verdict;
	struct wgendpoint src;
	struct wgpeer *peer;
	struct net *sock_net;
	bool under_load;

#ifdef WG_DEBUG
	if (type == WG_MSG_RESPONSE && READ_ONCE(response_delay_ms))
		msleep(READ_ONCE(response_delay_ms));
#endif
	/* Queued before `ip link set down`: the stop drains what is left. */
	if (unlikely(!netif_running(wg->dev)))
		goto out;
	if (wgsock_endpoint_from_skb(&src, skb))
		goto out;
	if (type == WG_MSG_COOKIE_REPLY) {
		const struct wg_msg_cookie_reply *msg = (const void *)skb->data;

		peer = wgrx_peer_by_index(wg, msg->receiver_index, true);
		if (peer) {
			wg_cookie_jar_consume(&peer->hs.jar, msg);
			wgpeer_put(peer);
		}
		goto out;
	}
	if (type != WG_MSG_INITIATION && type != WG_MSG_RESPONSE)
		goto out;

	under_load = wgrx_under_load(wg);
	verdict = wg_cookie_validate(&wg->id.checker, skb->data, skb->len,
				     &src.addr, under_load);
	if (verdict == WG_MACS_BAD)
		goto out;
	if (under_load) {
		if (verdict != WG_MACS_MAC2_OK) {
			if (!wg_cookie_reply_create(&wg->id.checker, &reply,
						    skb->data, skb->len,
						    &src.addr))
				wgsock_reply_buf(wg, skb, &reply,
						 sizeof(reply));
			goto out;
		}
		sock_net = READ_ONCE(wg->sock_net);
		if (!sock_net || !wg_ratelimiter_allow(sock_net, &src.addr))
			goto out;
	}
	if (type == WG_MSG_INITIATION)
		wgrx_initiation(wg, skb);
	else
		wgrx_response(wg, skb);
out:
	kfree_skb(skb);
}

/* ---- Data (decrypt engine, then NAPI) ---- */

void wgrx_decrypt_one(struct wgq_engine *engine, struct sk_buff *skb)
{
	struct scatterlist sg[WGRX_MAX_SG];
	struct wgcb *cb = wgcb(skb);
	struct wg_keypair *kp = cb->kp;
	struct wgpeer *peer = kp->index.owner;
	enum wgq_state state = WGQ_DROP;
	struct sk_buff *trailer;
	unsigned int sealed = skb->len - sizeof(struct wg_msg_data);
	int nsg;

	nsg = skb_cow_data(skb, 0, &trailer);
	if (nsg < 0 || nsg > WGRX_MAX_SG)
		goto out;
	sg_init_table(sg, nsg);
	nsg = skb_to_sgvec(skb, sg, sizeof(struct wg_msg_data), sealed);
	if (nsg < 0)
		goto out;
	if (!wgc_chacha20poly1305_decrypt_sg_inplace(sg, sealed, NULL, 0,
						     cb->nonce, kp->recv_key))
		goto out;
	/* The replay window is checked in order, in wgrx_poll(). */
	__skb_pull(skb, sizeof(struct wg_msg_data));
	if (pskb_trim(skb, skb->len - WG_AEAD_TAG_LEN))
		goto out;
	state = WGQ_DONE;
out:
	wgq_mark(skb, state);
	local_bh_disable();
	napi_schedule(&peer->napi);
	local_bh_enable();
}

/*
 * Checks the inner packet and hands it to the stack; consumes @skb. Only a
 * delivered packet counts as received from the peer (@wire_len bytes).
 */
static void wgrx_deliver(struct wgpeer *peer, struct sk_buff *skb, u8 outer,
			 unsigned int wire_len)
{
	struct net_device *dev = peer->wg->dev;
	unsigned int len;
	u8 inner, version;

	/* Nothing of the header is read before it is all in the linear part. */
	skb_reset_network_header(skb);
	if (!pskb_network_may_pull(skb, 1))
		goto frame_error;
	version = ip_hdr(skb)->version;
	if (version == 4 && pskb_network_may_pull(skb, sizeof(struct iphdr))) {
		len = ntohs(ip_hdr(skb)->tot_len);
		if (len < sizeof(struct iphdr))
			goto length_error;
		skb->protocol = htons(ETH_P_IP);
		inner = ip_hdr(skb)->tos;
	} else if (version == 6 &&
		   pskb_network_may_pull(skb, sizeof(struct ipv6hdr))) {
		len = ntohs(ipv6_hdr(skb)->payload_len) +
		      sizeof(struct ipv6hdr);
		skb->protocol = htons(ETH_P_IPV6);
		inner = ipv6_get_dsfield(ipv6_hdr(skb));
	} else {
		goto frame_error;
	}
	if (len > skb->len)
		goto length_error;
	if (pskb_trim(skb, len))
		goto length_error;

	/* Cryptokey routing: the source must route back to this peer. */
	if (aip_lookup_src(&peer->wg->aips, skb) != peer) {
		net_dbg_ratelimited("%s: packet from peer %llu has a source it may not use\n",
				    dev->name, peer->serial);
		goto frame_error;
	}
	if (INET_ECN_decapsulate(skb, outer, inner) > 1) {
		DEV_STATS_INC(dev, rx_dropped);
		goto drop;
	}

	wgpeer_count_rx(peer, wire_len);
	skb_scrub_packet(skb, true);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	skb_reset_mac_header(skb);
	skb_reset_transport_header(skb);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;
	napi_gro_receive(&peer->napi, skb);
	return;

frame_error:
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_INC(dev, rx_frame_errors);
	goto drop;
length_error:
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_INC(dev, rx_length_errors);
drop:
	kfree_skb(skb);
}

/*
 * Rekey on receive: what counts is the session we send on, the current
 * keypair, not the one this packet came on (a late packet on the previous
 * keypair says nothing about the age of the current one).
 */
static bool wgrx_current_is_old(struct wgpeer *peer)
{
	struct wg_keypair *kp;
	bool old;

	rcu_read_lock_bh();
	kp = rcu_dereference_bh(peer->slots.current_kp);
	old = kp && wg_keypair_should_rekey_rx(kp, wgtimers_keypair_now(kp));
	rcu_read_unlock_bh();
	return old;
}

int wgrx_poll(struct napi_struct *napi, int budget)
{
	struct wgpeer *peer = container_of(napi, struct wgpeer, napi);
	enum wgq_state state;
	struct wgendpoint ep;
	struct wg_keypair *kp;
	struct sk_buff *skb;
	unsigned int wire_len;
	int done = 0;
	u8 outer;

	while (done < budget &&
	       (skb = wgq_order_pop(&peer->rx_order, &state))) {
		kp = wgcb(skb)->kp;
		++done;
		/*
		 * Only an authentic counter may move the window, and one
		 * peer's packets arrive here one at a time (its NAPI), which
		 * is all the serialisation the window needs.
		 */
		if (state == WGQ_DONE &&
		    !wg_replay_accept(&kp->replay, wgcb(skb)->nonce))
			state = WGQ_DROP;
		if (state != WGQ_DONE) {
			kfree_skb(skb);
			wg_keypair_put(kp);
			continue;
		}
		if (wg_keyslots_confirm(&peer->slots, kp)) {
			wgtimers_event(peer, WGT_EV_COMPLETE);
			wgtx_flush_staged(peer);
		}
		if (!wgsock_endpoint_from_skb(&ep, skb))
			wgpeer_set_endpoint(peer, &ep);
		wgtimers_event(peer, WGT_EV_AUTH_RECEIVED);
		wgtimers_event(peer, WGT_EV_AUTH_TRAVERSAL);
		if (!peer->lastminute_sent && wgrx_current_is_old(peer)) {
			peer->lastminute_sent = true;
			wgtx_initiation(peer, false);
		}
		outer = wgcb(skb)->ds;
		wire_len = wgcb(skb)->wire_len;
		wg_keypair_put(kp);
		if (!skb->len) {
			wgpeer_count_rx(peer, wire_len);
			consume_skb(skb);	/* keepalive */
			continue;
		}
		wgtimers_event(peer, WGT_EV_DATA_RECEIVED);
		wgrx_deliver(peer, skb, outer, wire_len);
	}
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}
