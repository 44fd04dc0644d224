// SPDX-License-Identifier: GPL-2.0
/*
 * UDP sockets of a device and transmission to endpoints (see socket.h for
 * the locking rules). The sockets live in wg->sock_net, the namespace the
 * device was created in, whatever namespace the device is moved to.
 */

#include "compat.h"
#include <linux/inetdevice.h>
#include <net/udp_tunnel.h>
#include <net/ipv6.h>
#include <net/addrconf.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/inet_ecn.h>
#include "socket.h"
#include "device.h"
#include "peer.h"
#include "receive.h"

/* Room for the outer headers in front of a handshake or keepalive. */
#define WGSOCK_HEADROOM	(LL_MAX_HEADER + sizeof(struct ipv6hdr) + \
			 sizeof(struct udphdr) + NET_SKB_PAD)

/*
 * One send in progress: the endpoint it goes to, the socket it leaves from
 * and the flow for the endpoint's family (fl.u.ip4 or fl.u.ip6). Only the
 * route lookup and the hand-over to the UDP tunnel code differ between the
 * two families; wgsock_send() does the rest once.
 */
struct wgsock_tx {
	struct wgdev *wg;
	struct wgendpoint *ep;
	struct dst_cache *cache;	/* NULL when answering a stranger */
	struct sock *sk;
	struct flowi fl;
};

static void wgsock_uncache(struct wgsock_tx *tx)
{
	if (tx->cache)
		dst_cache_reset(tx->cache);
}

/*
 * Judges a route that was just looked up: refuses a failed lookup, and a
 * route that leads back into the device itself, with a debug message.
 */
static struct dst_entry *wgsock_vet(struct wgsock_tx *tx,
				    struct dst_entry *dst)
{
	const char *name = tx->wg->dev->name;

	if (IS_ERR(dst)) {
		net_dbg_ratelimited("%s: no route to %pISpfsc: %ld\n",
				    name, &tx->ep->addr, PTR_ERR(dst));
	} else if (unlikely(dst->dev == tx->wg->dev)) {
		net_dbg_ratelimited("%s: routing loop to %pISpfsc\n",
				    name, &tx->ep->addr);
		dst_release(dst);
		dst = ERR_PTR(-ELOOP);
	}
	return dst;
}

static struct dst_entry *wgsock_route4(struct wgsock_tx *tx, u32 mark)
{
	struct flowi4 *fl = &tx->fl.u.ip4;
	struct net *net = sock_net(tx->sk);
	struct dst_entry *dst;
	struct rtable *rt;

	*fl = (struct flowi4){
		.saddr = tx->ep->src4,
		.daddr = tx->ep->addr4.sin_addr.s_addr,
		.fl4_sport = inet_sk(tx->sk)->inet_sport,
		.fl4_dport = tx->ep->addr4.sin_port,
		.flowi4_mark = mark,
		.flowi4_proto = IPPROTO_UDP,
	};
	rt = tx->cache ? dst_cache_get_ip4(tx->cache, &fl->saddr) : NULL;
	if (rt)
		return &rt->dst;

	/* A sticky source that is no longer ours is forgotten. */
	if (fl->saddr &&
	    !inet_confirm_addr(net, NULL, 0, fl->saddr, RT_SCOPE_HOST)) {
		fl->saddr = 0;
		wgsock_uncache(tx);
	}
	rt = ip_route_output_flow(net, fl, tx->sk);
	/* Routing refused the sticky source: let it choose one. */
	if (unlikely(rt == ERR_PTR(-EINVAL)) && fl->saddr) {
		fl->saddr = 0;
		rt = ip_route_output_flow(net, fl, tx->sk);
	}
	dst = wgsock_vet(tx, IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst);
	if (!IS_ERR(dst) && tx->cache)
		dst_cache_set_ip4(tx->cache, dst, fl->saddr);
	return dst;
}

static struct dst_entry *wgsock_route6(struct wgsock_tx *tx, u32 mark)
{
	struct flowi6 *fl = &tx->fl.u.ip6;
	struct net *net = sock_net(tx->sk);
	struct dst_entry *dst = NULL;

	*fl = (struct flowi6){
		.saddr = tx->ep->src6,
		.daddr = tx->ep->addr6.sin6_addr,
		.fl6_sport = inet_sk(tx->sk)->inet_sport,
		.fl6_dport = tx->ep->addr6.sin6_port,
		.flowi6_mark = mark,
		.flowi6_oif = tx->ep->addr6.sin6_scope_id,
		.flowi6_proto = IPPROTO_UDP,
	};
	if (tx->cache)
		dst = dst_cache_get_ip6(tx->cache, &fl->saddr);
	if (dst)
		return dst;

	if (!ipv6_addr_any(&fl->saddr) &&
	    !ipv6_chk_addr(net, &fl->saddr, NULL, 0)) {
		fl->saddr = in6addr_any;
		wgsock_uncache(tx);
	}
	dst = wgsock_vet(tx, wgc_ip6_dst_lookup_flow(net, tx->sk, fl, NULL));
	if (!IS_ERR(dst) && tx->cache)
		dst_cache_set_ip6(tx->cache, dst, &fl->saddr);
	return dst;
}

static void wgsock_xmit4(struct wgsock_tx *tx, struct dst_entry *dst,
			 struct sk_buff *skb, u8 ds)
{
	const struct flowi4 *fl = &tx->fl.u.ip4;

	tx->ep->src4 = fl->saddr;
	wgc_udp_tunnel_xmit_skb(container_of(dst, struct rtable, dst), tx->sk,
				skb, fl->saddr, fl->daddr, ds,
				ip4_dst_hoplimit(dst), 0, fl->fl4_sport,
				fl->fl4_dport, false, false, 0);
}

static void wgsock_xmit6(struct wgsock_tx *tx, struct dst_entry *dst,
			 struct sk_buff *skb, u8 ds)
{
	const struct flowi6 *fl = &tx->fl.u.ip6;

	tx->ep->src6 = fl->saddr;
	wgc_udp_tunnel6_xmit_skb(dst, tx->sk, skb, NULL, &fl->saddr,
				 &fl->daddr, ds, ip6_dst_hoplimit(dst), 0,
				 fl->fl6_sport, fl->fl6_dport, false, 0);
}

/*
 * Sends @skb (consumed in every case) to @ep, an AF_INET or AF_INET6
 * endpoint, and stores the source address the route chose in @ep. @cache
 * is the peer's route cache, or NULL.
 */
static int wgsock_send(struct wgdev *wg, struct sk_buff *skb,
		       struct wgendpoint *ep, struct dst_cache *cache, u8 ds)
{
	struct wgsock_tx tx = { .wg = wg, .ep = ep, .cache = cache };
	bool v4 = ep->addr.sa_family == AF_INET;
	u32 mark = READ_ONCE(wg->fwmark);
	struct dst_entry *dst;

	rcu_read_lock_bh();
	tx.sk = v4 ? rcu_dereference_bh(wg->sk4) : rcu_dereference_bh(wg->sk6);
	if (unlikely(!tx.sk))
		dst = ERR_PTR(-ENONET);
	else if (v4)
		dst = wgsock_route4(&tx, mark);
	else
		dst = wgsock_route6(&tx, mark);
	if (IS_ERR(dst)) {
		rcu_read_unlock_bh();
		kfree_skb(skb);
		return PTR_ERR(dst);
	}

	skb->ignore_df = 1;
	skb->mark = mark;
	/* The tunnel code would count it again on the device: we count. */
	skb->dev = NULL;
	if (v4)
		wgsock_xmit4(&tx, dst, skb, ds);
	else
		wgsock_xmit6(&tx, dst, skb, ds);
	rcu_read_unlock_bh();
	return 0;
}

int wgsock_send_skb(struct wgpeer *peer, struct sk_buff *skb, u8 ds)
{
	unsigned int len = skb->len;
	struct wgendpoint ep;
	int ret;

	read_lock_bh(&peer->ep_lock);
	ep = peer->ep;
	read_unlock_bh(&peer->ep_lock);

	if (ep.addr.sa_family != AF_INET && ep.addr.sa_family != AF_INET6) {
		kfree_skb(skb);
		return -EDESTADDRREQ;
	}
	ret = wgsock_send(peer->wg, skb, &ep, &peer->dst_cache, ds);
	if (ret)
		return ret;
	wgpeer_count_tx(peer, len);

	/* Remember the source the route chose, if the endpoint is the same. */
	if (memcmp(&ep.src6, &peer->ep.src6, sizeof(ep.src6))) {
		write_lock_bh(&peer->ep_lock);
		if (!memcmp(&ep.addr6, &peer->ep.addr6, sizeof(ep.addr6)))
			peer->ep.src6 = ep.src6;
		write_unlock_bh(&peer->ep_lock);
	}
	return 0;
}

static struct sk_buff *wgsock_skb_from_buf(const void *buf, size_t len)
{
	struct sk_buff *skb = alloc_skb(WGSOCK_HEADROOM + len, GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, WGSOCK_HEADROOM);
	skb_set_inner_network_header(skb, 0);
	skb_put_data(skb, buf, len);
	return skb;
}

int wgsock_send_buf(struct wgpeer *peer, const void *buf, size_t len, u8 ds)
{
	struct sk_buff *skb = wgsock_skb_from_buf(buf, len);

	if (!skb)
		return -ENOMEM;
	return wgsock_send_skb(peer, skb, ds);
}

int wgsock_reply_buf(struct wgdev *wg, struct sk_buff *in_skb,
		     const void *buf, size_t len)
{
	struct wgendpoint ep;
	struct sk_buff *skb;

	if (wgsock_endpoint_from_skb(&ep, in_skb))
		return -EINVAL;
	skb = wgsock_skb_from_buf(buf, len);
	if (!skb)
		return -ENOMEM;
	return wgsock_send(wg, skb, &ep, NULL, 0);
}

int wgsock_endpoint_from_skb(struct wgendpoint *ep, const struct sk_buff *skb)
{
	memset(ep, 0, sizeof(*ep));
	if (skb->protocol == htons(ETH_P_IP)) {
		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_port = udp_hdr(skb)->source;
		ep->addr4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		ep->src4 = ip_hdr(skb)->daddr;
		ep->src_ifindex = skb->skb_iif;
		return 0;
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_port = udp_hdr(skb)->source;
		ep->addr6.sin6_addr = ipv6_hdr(skb)->saddr;
		ep->addr6.sin6_scope_id =
			ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr,
					    skb->skb_iif);
		ep->src6 = ipv6_hdr(skb)->daddr;
		return 0;
	}
	return -EINVAL;
}

static void wgsock_release(struct sock *sk)
{
	if (sk)
		wgc_udp_tunnel_sock_release(sk);
}

static void wgsock_install(struct wgdev *wg, struct sock *sk4,
			   struct sock *sk6)
{
	struct sock *old4, *old6;

	mutex_lock(&wg->sock_lock);
	old4 = rcu_replace_pointer(wg->sk4, sk4,
				   lockdep_is_held(&wg->sock_lock));
	old6 = rcu_replace_pointer(wg->sk6, sk6,
				   lockdep_is_held(&wg->sock_lock));
	if (sk4)
		wg->port = ntohs(inet_sk(sk4)->inet_sport);
	mutex_unlock(&wg->sock_lock);
	if (old4 || old6) {
		synchronize_net();
		wgsock_release(old4);
		wgsock_release(old6);
	}
}

static int wgsock_create(struct net *net, struct udp_port_cfg *cfg,
			 struct wgdev *wg, struct sock **skp)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = wg,
		.encap_type = 1,
		.encap_rcv = wgrx_encap_rcv,
	};
	struct socket *sock;
	int ret;

	ret = udp_sock_create(net, cfg, &sock);
	if (ret)
		return ret;
	wgc_setup_udp_tunnel_sock(net, sock->sk, &tcfg);
	*skp = sock->sk;
	return 0;
}

int wgsock_open(struct wgdev *wg, u16 port)
{
	struct udp_port_cfg cfg4 = {
		.family = AF_INET,
		.local_ip.s_addr = htonl(INADDR_ANY),
		.use_udp_checksums = true,
	};
	struct udp_port_cfg cfg6 = {
		.family = AF_INET6,
		.local_ip6 = IN6ADDR_ANY_INIT,
		.ipv6_v6only = true,
		.use_udp6_tx_checksums = true,
		.use_udp6_rx_checksums = true,
	};
	struct net *net = wg->sock_net;
	struct sock *sk4 = NULL, *sk6 = NULL;
	unsigned int tries = 0;
	int ret;

	if (!net)
		return -ENONET;
retry:
	cfg4.local_udp_port = htons(port);
	ret = wgsock_create(net, &cfg4, wg, &sk4);
	if (ret)
		return ret;
	if (ipv6_mod_enabled()) {
		/* Same port as the IPv4 socket got, random or not. */
		cfg6.local_udp_port = inet_sk(sk4)->inet_sport;
		ret = wgsock_create(net, &cfg6, wg, &sk6);
		if (ret == -EAFNOSUPPORT) {
			sk6 = NULL;
		} else if (ret) {
			wgsock_release(sk4);
			sk4 = NULL;
			if (ret == -EADDRINUSE && !port && ++tries < 100)
				goto retry;
			return ret;
		}
	}
	wgsock_install(wg, sk4, sk6);
	return 0;
}

void wgsock_close(struct wgdev *wg)
{
	wgsock_install(wg, NULL, NULL);
}

int wgsock_rebind(struct wgdev *wg, u16 port)
{
	struct wgpeer *peer;
	int ret;

	lockdep_assert_held(&wg->update_lock);
	ret = wgsock_open(wg, port);
	if (ret)
		return ret;
	list_for_each_entry(peer, &wg->peers, dev_entry)
		wgpeer_clear_src(peer);
	return 0;
}
