// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path (see send.h for the locking rules): cryptokey routing of
 * outgoing packets, GSO segmentation, staging, nonce assignment in order,
 * parallel encryption with padding, in-order sending, keepalives and
 * handshake initiations.
 */

#include "compat.h"
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/scatterlist.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/inet_ecn.h>
#include <net/dst_metadata.h>
#include "send.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "timers.h"

#define WGTX_MAX_SG	(MAX_SKB_FRAGS + 8)

static void wgtx_kick(struct wgpeer *peer)
{
	wgpeer_get(peer);
	if (!queue_work(peer->wg->tx_wq, &peer->tx_work))
		wgpeer_put(peer);
}

static void wgtx_trim_staged(struct wgpeer *peer)
{
	struct sk_buff *skb;

	lockdep_assert_held(&peer->staged.lock);
	while (skb_queue_len(&peer->staged) > WG_MAX_STAGED_PACKETS) {
		skb = __skb_dequeue(&peer->staged);
		DEV_STATS_INC(peer->wg->dev, tx_dropped);
		kfree_skb(skb);
	}
}

static bool wgtx_handshake_recently_sent(struct wgpeer *peer)
{
	unsigned long last = atomic_long_read(&peer->last_handshake_sent);

	return READ_ONCE(peer->handshake_sent) &&
	       time_before(jiffies, last + wgtimers_secs(WG_REKEY_TIMEOUT));
}

void wgtx_note_handshake_sent(struct wgpeer *peer)
{
	atomic_long_set(&peer->last_handshake_sent, jiffies);
	WRITE_ONCE(peer->handshake_sent, true);
}

void wgtx_reset_handshake_pacing(struct wgpeer *peer)
{
	might_sleep();
	if (cancel_work_sync(&peer->initiation_work))
		wgpeer_put(peer);	/* the queued work's reference */
	WRITE_ONCE(peer->handshake_sent, false);
}

void wgtx_initiation(struct wgpeer *peer, bool retry)
{
	if (!retry)
		peer->hs_attempts = 0;
	if (READ_ONCE(peer->dead))
		return;
	if (wgtx_handshake_recently_sent(peer))
		return;
	wgpeer_get(peer);
	if (!queue_work(peer->wg->hs_wq, &peer->initiation_work))
		wgpeer_put(peer);
}

void wgtx_initiation_work(struct work_struct *work)
{
	struct wgpeer *peer = container_of(work, struct wgpeer,
					   initiation_work);
	struct wg_msg_initiation msg;

	if (READ_ONCE(peer->dead) || !netif_running(peer->wg->dev))
		goto out;
	if (wgtx_handshake_recently_sent(peer))
		goto out;
	if (wg_noise_create_initiation(&peer->hs, &msg))
		goto out;
	wgtx_note_handshake_sent(peer);
	wgtimers_event(peer, WGT_EV_AUTH_TRAVERSAL);
	wgtimers_event(peer, WGT_EV_AUTH_SENT);
	/*
	 * Arm the retransmission before the initiation leaves: the response
	 * can be handled on another CPU before wgsock_send_buf() returns, and
	 * its "complete" event must find the timer there to cancel.
	 */
	wgtimers_event(peer, WGT_EV_INITIATED);
	wgsock_send_buf(peer, &msg, sizeof(msg), WG_HANDSHAKE_DSCP);
out:
	wgpeer_put(peer);
}

/*
 * Packets per transmit chain: a 64 KiB GSO super-packet cut at the smallest
 * IPv6 MTU is 52 segments.
 */
#define WGTX_CHAIN_MAX	64

/* Enqueues a chain of @n packets in order and for encryption. */
static void wgtx_queue_chain(struct wgpeer *peer, struct sk_buff *head,
			     unsigned int n)
{
	struct wgdev *wg = peer->wg;

	lockdep_assert_held(&peer->tx_order.list.lock);
	atomic_set(&wgcb(head)->state, WGQ_PENDING);
	__skb_queue_tail(&peer->tx_order.list, head);
	peer->tx_queued += n;
	if (unlikely(!wgq_engine_push(&wg->encrypt, head))) {
		/* The engine is full: out of the order list again. */
		__skb_unlink(head, &peer->tx_order.list);
		peer->tx_queued -= n;
		DEV_STATS_ADD(wg->dev, tx_dropped, n);
		wgq_free_skb(head);
	}
}

void wgtx_flush_staged(struct wgpeer *peer)
{
	struct wgdev *wg = peer->wg;
	struct sk_buff *skb, *head = NULL, *last = NULL;
	struct sk_buff_head batch;
	struct wg_keypair *kp;
	bool rekey = false;
	unsigned int n = 0;
	u64 now, nonce;

	if (skb_queue_empty_lockless(&peer->staged))
		return;
	kp = wg_keyslots_get_current(&peer->slots);
	if (!kp) {
		wgtx_initiation(peer, false);
		return;
	}
	now = wgtimers_keypair_now(kp);

	__skb_queue_head_init(&batch);
	spin_lock_bh(&peer->staged.lock);
	skb_queue_splice_init(&peer->staged, &batch);
	spin_unlock_bh(&peer->staged.lock);

	spin_lock_bh(&peer->tx_order.list.lock);
	if (unlikely(READ_ONCE(peer->dead))) {
		spin_unlock_bh(&peer->tx_order.list.lock);
		__skb_queue_purge(&batch);
		wg_keypair_put(kp);
		return;
	}
	/* What was staged goes in chains of one keypair and a nonce each. */
	while ((skb = __skb_dequeue(&batch))) {
		struct wgcb *cb = wgcb(skb);

		/* The peer's sender is that far behind: drop, and count it. */
		if (unlikely(peer->tx_queued + n >= WG_MAX_QUEUED_PACKETS)) {
			DEV_STATS_INC(wg->dev, tx_dropped);
			kfree_skb(skb);
			continue;
		}
		if (!wg_keypair_take_nonce(kp, now, &nonce)) {
			__skb_queue_head(&batch, skb);
			rekey = true;
			break;
		}
		cb->nonce = nonce;
		cb->next_seg = NULL;
		cb->sealed = 0;
		if (!head) {
			cb->kp = wg_keypair_get(kp);
			head = skb;
		} else {
			cb->kp = NULL;
			wgcb(last)->next_seg = skb;
		}
		last = skb;
		if (++n == WGTX_CHAIN_MAX) {
			wgtx_queue_chain(peer, head, n);
			head = NULL;
			n = 0;
		}
	}
	if (head)
		wgtx_queue_chain(peer, head, n);
	spin_unlock_bh(&peer->tx_order.list.lock);

	if (!skb_queue_empty(&batch)) {
		/* No usable key: the packets wait, in order, in front. */
		spin_lock_bh(&peer->staged.lock);
		skb_queue_splice(&batch, &peer->staged);
		wgtx_trim_staged(peer);
		spin_unlock_bh(&peer->staged.lock);
	}
	if (rekey || wg_keypair_should_rekey_tx(kp, now))
		wgtx_initiation(peer, false);
	wg_keypair_put(kp);
}

void wgtx_keepalive(struct wgpeer *peer)
{
	struct net_device *dev = peer->wg->dev;
	struct sk_buff *skb;

	if (skb_queue_empty_lockless(&peer->staged)) {
		skb = alloc_skb(dev->needed_headroom + dev->needed_tailroom +
				NET_SKB_PAD, GFP_ATOMIC);
		if (!skb)
			return;
		skb_reserve(skb, dev->needed_headroom + NET_SKB_PAD);
		skb->dev = dev;
		wgcb(skb)->mtu = dev->mtu;
		wgcb(skb)->ds = 0;
		wgcb(skb)->nesting = 0;
		skb_queue_tail(&peer->staged, skb);
	}
	wgtx_flush_staged(peer);
}

static void wgtx_unreachable(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else if (skb->protocol == htons(ETH_P_IPV6))
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH,
				0);
}

/*
 * Moves what @skb carries onto @out as the packets to encrypt: one per GSO
 * segment, each remembering the route's @mtu, the inner ECN bits and how
 * deep inside tunnels of ours it already is, none holding a route any more.
 * Consumes @skb, or returns false and leaves it.
 */
static bool wgtx_split(struct sk_buff *skb, unsigned int mtu, u8 nesting,
		       struct sk_buff_head *out)
{
	struct sk_buff *next;

	if (skb_is_gso(skb)) {
		struct sk_buff *segs = skb_gso_segment(skb, 0);

		if (IS_ERR_OR_NULL(segs))
			return false;
		consume_skb(skb);
		skb = segs;
	}
	while (skb) {
		next = skb->next;
		skb_mark_not_on_list(skb);
		skb_dst_drop(skb);
		wgcb(skb)->kp = NULL;
		wgcb(skb)->mtu = mtu;
		wgcb(skb)->ds = ip_tunnel_ecn_encap(0, ip_hdr(skb), skb);
		wgcb(skb)->nesting = nesting;
		__skb_queue_tail(out, skb);
		skb = next;
	}
	return true;
}

/* Appends @packets to what waits on @peer, then lets the sender run. */
static void wgtx_stage(struct wgpeer *peer, struct sk_buff_head *packets)
{
	spin_lock_bh(&peer->staged.lock);
	skb_queue_splice_tail(packets, &peer->staged);
	wgtx_trim_staged(peer);
	spin_unlock_bh(&peer->staged.lock);
	wgtx_flush_staged(peer);
}

/*
 * ndo_start_xmit: find the peer by destination, split and stage the
 * packets on it, and let its sender encrypt them once a keypair exists.
 * Packets nobody can take answer with ICMP unreachable.
 */
netdev_tx_t wgtx_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wgdev *wg = wgdev_of(dev);
	u8 nesting = wgsock_nesting();
	struct sk_buff_head staged;
	struct wgpeer *peer;
	unsigned int mtu;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		DEV_STATS_INC(dev, tx_dropped);
		return NETDEV_TX_OK;
	}
	if (unlikely(nesting >= WGSOCK_MAX_NESTING)) {
		/* -ELOOP: an endpoint routed through its own tunnel. */
		net_dbg_ratelimited("%s: routing loop, %u tunnels deep\n",
				    dev->name, nesting);
		goto err;
	}
	/*
	 * The whole IP header in the linear part before anything reads it
	 * (the protocol, then the destination for cryptokey routing).
	 */
	if (unlikely(!pskb_network_may_pull(skb, sizeof(struct iphdr))))
		goto err;
	if (ip_hdr(skb)->version == 6 &&
	    unlikely(!pskb_network_may_pull(skb, sizeof(struct ipv6hdr))))
		goto err;
	skb->protocol = ip_tunnel_parse_protocol(skb);
	if (unlikely(skb->protocol != htons(ETH_P_IP) &&
		     skb->protocol != htons(ETH_P_IPV6)))
		goto err;
	peer = wgpeer_get_live(aip_lookup_dst(&wg->aips, skb));
	if (unlikely(!peer)) {
		/* -ENOKEY */
		net_dbg_ratelimited("%s: no peer for this destination\n",
				    dev->name);
		goto err_icmp;
	}
	if (unlikely(!wgpeer_has_endpoint(peer))) {
		/* -EDESTADDRREQ */
		net_dbg_ratelimited("%s: peer %llu has no endpoint\n",
				    dev->name, peer->serial);
		wgpeer_put(peer);
		goto err_icmp;
	}

	mtu = skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : dev->mtu;
	__skb_queue_head_init(&staged);
	if (unlikely(!wgtx_split(skb, mtu, nesting, &staged))) {
		wgpeer_put(peer);
		goto err;
	}
	wgtx_stage(peer, &staged);
	wgpeer_put(peer);
	return NETDEV_TX_OK;

err_icmp:
	wgtx_unreachable(skb);
err:
	DEV_STATS_INC(dev, tx_errors);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

/* Pads and encrypts one packet in place. Return: false to drop it. */
static bool wgtx_seal(struct sk_buff *skb, const struct wg_keypair *kp)
{
	struct scatterlist sg[WGTX_MAX_SG];
	struct wgcb *cb = wgcb(skb);
	unsigned int plain, padded, pad;
	struct wg_msg_data *hdr;
	struct sk_buff *trailer;
	int nsg;
	u8 *tail;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return false;
	plain = skb->len;
	padded = wg_padded_len(plain, cb->mtu);
	pad = padded - plain;
	/*
	 * Room for our header and everything the socket puts in front of it:
	 * a packet redirected here by tc, or built for another device, may
	 * come with less than the device's needed_headroom.
	 */
	if (skb_cow_head(skb, sizeof(*hdr) + WGSOCK_HEADROOM))
		return false;
	nsg = skb_cow_data(skb, pad + WG_AEAD_TAG_LEN, &trailer);
	if (nsg < 0 || nsg > WGTX_MAX_SG - 1)
		return false;
	tail = pskb_put(skb, trailer, pad + WG_AEAD_TAG_LEN);
	memset(tail, 0, pad);

	hdr = skb_push(skb, sizeof(*hdr));
	hdr->head.type = cpu_to_le32(WG_MSG_DATA);
	hdr->receiver_index = kp->remote_index;
	hdr->counter = cpu_to_le64(cb->nonce);

	sg_init_table(sg, nsg + 1);
	nsg = skb_to_sgvec(skb, sg, sizeof(*hdr), padded + WG_AEAD_TAG_LEN);
	if (nsg < 0)
		return false;
	if (!wgc_chacha20poly1305_encrypt_sg_inplace(sg, padded, NULL, 0,
						     cb->nonce, kp->send_key))
		return false;
	skb->ip_summed = CHECKSUM_NONE;
	skb_set_inner_network_header(skb, sizeof(*hdr));
	return true;
}

/* The encrypt engine's handler: one chain (see queueing.h). */
void wgtx_encrypt_one(struct wgq_engine *engine, struct sk_buff *head)
{
	struct wg_keypair *kp = wgcb(head)->kp;
	struct wgpeer *peer = kp->index.owner;
	struct sk_buff *skb;

	for (skb = head; skb; skb = wgcb(skb)->next_seg) {
		wgcb(skb)->sealed = wgtx_seal(skb, kp);
		cond_resched();
	}
	/* The sender may free the chain as soon as it sees the state. */
	wgq_mark(head, WGQ_DONE);
	wgtx_kick(peer);
}

void wgtx_work(struct work_struct *work)
{
	struct wgpeer *peer = container_of(work, struct wgpeer, tx_work);
	bool sent_any = false, sent_data = false;
	struct sk_buff *head, *skb, *next;
	enum wgq_state state;
	struct wg_keypair *kp;
	unsigned int n;
	bool keepalive;

	while ((head = wgq_order_pop(&peer->tx_order, &state))) {
		kp = wgcb(head)->kp;
		n = 0;
		for (skb = head; skb; skb = next) {
			next = wgcb(skb)->next_seg;
			++n;
			if (state != WGQ_DONE || !wgcb(skb)->sealed) {
				DEV_STATS_INC(peer->wg->dev, tx_errors);
				kfree_skb(skb);
				continue;
			}
			keepalive = skb->len == WG_DATA_MIN_LEN;
			/*
			 * Timer events go before the first packet leaves, for
			 * the reason given in wgtx_initiation_work(): an answer
			 * handled meanwhile must find the "expect an answer"
			 * timer armed, or it re-arms after being cancelled.
			 */
			if (!sent_any) {
				wgtimers_event(peer, WGT_EV_AUTH_TRAVERSAL);
				wgtimers_event(peer, WGT_EV_AUTH_SENT);
				sent_any = true;
			}
			if (!keepalive && !sent_data) {
				wgtimers_event(peer, WGT_EV_DATA_SENT);
				sent_data = true;
			}
			local_bh_disable();
			wgsock_send_skb(peer, skb, wgcb(skb)->ds);
			local_bh_enable();
		}
		spin_lock_bh(&peer->tx_order.list.lock);
		peer->tx_queued -= n;
		spin_unlock_bh(&peer->tx_order.list.lock);
		wg_keypair_put(kp);
		cond_resched();
	}
	wgpeer_put(peer);
}
