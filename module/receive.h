/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive side: the UDP encap hook, handshake processing (in the handshake
 * engine: cookies under load, rate limiting, noise.h), decryption (in the
 * decrypt engine) and in-order delivery per peer through NAPI.
 *
 * Locking: the encap hook runs in softirq under RCU; engines in process
 * context; NAPI poll in softirq. Per-peer order is kept by rx_order (see
 * queueing.h). The endpoint is updated under the peer's ep_lock.
 */
#ifndef WGM_RECEIVE_H
#define WGM_RECEIVE_H

#include <linux/netdevice.h>
#include <net/sock.h>
#include "queueing.h"

int wgrx_encap_rcv(struct sock *sk, struct sk_buff *skb);
int wgrx_poll(struct napi_struct *napi, int budget);
void wgrx_decrypt_one(struct wgq_engine *engine, struct sk_buff *skb);
void wgrx_handshake_one(struct wgq_engine *engine, struct sk_buff *skb);

#endif /* WGM_RECEIVE_H */
