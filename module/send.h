/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transmit side: the device's xmit entry, staging packets until a key
 * exists, encryption (in the encrypt engine) and in-order sending per peer,
 * keepalives and handshake initiations.
 *
 * Locking: xmit runs under RCU-bh (core). Staged packets use the staged
 * queue lock; nonces are taken and packets appended to tx_order under the
 * tx_order lock, which also orders them against peer removal (peer->dead).
 * Initiations are built in a work item because noise.h may sleep.
 */
#ifndef WGM_SEND_H
#define WGM_SEND_H

#include <linux/netdevice.h>
#include "queueing.h"

struct wgpeer;

netdev_tx_t wgtx_xmit(struct sk_buff *skb, struct net_device *dev);
/* Encrypts and sends staged packets, or starts a handshake if no key. */
void wgtx_flush_staged(struct wgpeer *peer);
/* Sends an empty data message (if nothing is staged to carry instead). */
void wgtx_keepalive(struct wgpeer *peer);
/*
 * Queues an initiation unless a handshake message (an initiation, or a
 * response to the peer's) was sent less than REKEY_TIMEOUT ago.
 */
void wgtx_initiation(struct wgpeer *peer, bool retry);
/*
 * The REKEY_TIMEOUT pacing of handshake messages. Sending an initiation or
 * a response notes the time. Interface down and a new private key reset
 * it, so that the next packet may start a handshake at once: the reset
 * first waits for (or cancels) an initiation being built, which would
 * otherwise note itself after it. The reset may sleep.
 */
void wgtx_note_handshake_sent(struct wgpeer *peer);
void wgtx_reset_handshake_pacing(struct wgpeer *peer);

void wgtx_work(struct work_struct *work);
void wgtx_initiation_work(struct work_struct *work);
void wgtx_encrypt_one(struct wgq_engine *engine, struct sk_buff *skb);

#endif /* WGM_SEND_H */
