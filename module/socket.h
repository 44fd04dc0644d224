/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's UDP sockets (IPv4 and IPv6 on one port, in the namespace the
 * device was created in) and sending to a peer's endpoint with a cached
 * route and sticky source address.
 *
 * Locking: opening, closing and rebinding run under wg->sock_lock (and the
 * update_lock of the caller); senders read the socket pointers under
 * RCU-bh. A peer's endpoint is read under its ep_lock.
 */
#ifndef WGM_SOCKET_H
#define WGM_SOCKET_H

#include <linux/skbuff.h>

struct wgdev;
struct wgpeer;
struct wgendpoint;

int wgsock_open(struct wgdev *wg, u16 port);
void wgsock_close(struct wgdev *wg);
/* Moves a running device to a new port; on failure the old one stays. */
int wgsock_rebind(struct wgdev *wg, u16 port);

/* Sends an encrypted data message (consumes @skb). */
int wgsock_send_skb(struct wgpeer *peer, struct sk_buff *skb, u8 ds);
/* Sends a handshake message or keepalive from a buffer. */
int wgsock_send_buf(struct wgpeer *peer, const void *buf, size_t len, u8 ds);
/* Answers the sender of @in_skb (cookie replies). */
int wgsock_reply_buf(struct wgdev *wg, struct sk_buff *in_skb,
		     const void *buf, size_t len);
/* Outer source of a received packet and the local address it came to. */
int wgsock_endpoint_from_skb(struct wgendpoint *ep, const struct sk_buff *skb);

#endif /* WGM_SOCKET_H */
