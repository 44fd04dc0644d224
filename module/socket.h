/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's UDP sockets (IPv4 and IPv6 on one port, in the namespace the
 * device was created in) and sending to a peer's endpoint with a cached
 * route and sticky source address.
 *
 * Locking: opening, closing and rebinding run under wg->sock_lock (and the
 * update_lock of the caller); senders read the socket pointers under
 * RCU-bh. A peer's endpoint is read under its ep_lock. The nesting depth is
 * per CPU and only touched with BH disabled.
 */
#ifndef WGM_SOCKET_H
#define WGM_SOCKET_H

#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

/* The outer headers the UDP tunnel code pushes: IPv6 (the larger) and UDP. */
#define WGSOCK_OUTER_LEN	(sizeof(struct ipv6hdr) + sizeof(struct udphdr))
/*
 * Headroom a message needs in front of its first byte when it is handed to
 * wgsock_send_skb(): the tunnel code pushes the outer headers without
 * checking, and the underlay's link layer follows.
 */
#define WGSOCK_HEADROOM		(LL_MAX_HEADER + WGSOCK_OUTER_LEN)

/*
 * How deep tunnels may nest: a message of ours routed into a WireGuard
 * device again (onion routing through the same device, or wg1 carried by
 * wg0) is one level deeper. Past this depth the route is taken to be a
 * loop and the packet is dropped.
 */
#define WGSOCK_MAX_NESTING	4

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
/*
 * The nesting depth of what this CPU is sending right now: 0 outside a
 * send, else one more than the depth of the message being sent. A packet
 * that reaches a WireGuard device's xmit from inside a send is that deep.
 * Called with BH disabled (xmit).
 */
u8 wgsock_nesting(void);
/* Outer source of a received packet and the local address it came to. */
int wgsock_endpoint_from_skb(struct wgendpoint *ep, const struct sk_buff *skb);

#endif /* WGM_SOCKET_H */
