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
#include "queueing.h"

static DEFINE_PER_CPU(u8, wgsock_depth);

u8 wgsock_nesting(void)
{
	return __this_cpu_read(wgsock_depth);
}

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

#ifdef WG_DEBUG
#include <linux/delay.h>

static unsigned int route_delay_ms;
module_param(route_delay_ms, uint, 0644);
MODULE_PARM_DESC(route_delay_ms,
		 "debug builds only: busy-wait between reading a peer's endpoint and routing to it (ms, at most 5000)");

/*
 * Widens the window between reading a peer's endpoint and looking up and
 * caching its route, so that a test can change the endpoint inside it
 * (vmtests test_route_cache.py). It sits before the cache lookup because
 * the dst_cache itself refuses a route whose lookup began (missed the
 * cache) before a reset: only a stale endpoint read before the reset and
 * routed after it gets cached. It spins: the sender runs with BH off and
 * holds the peer's ep_lock.
 */
static void wgsock_hold_route(const struct wgsock_tx *tx)
{
	unsigned int ms = min(READ_ONCE(route_delay_ms), 5000U);

	if (!ms || !tx->cache)
		return;
	pr_info("%s: route_delay_ms: holding the route to %pISpfsc for %u ms\n",
		tx->wg->dev->name, &tx->ep->addr, ms);
	mdelay(ms);
}
#else
static inline void wgsock_hold_route(const struct wgsock_tx *tx)
{
}
#endif

/*
 * Forgets the sticky source: routing chooses one (and the way out) again.
 * With a peer's cache, under its ep_lock held for reading (wgsock_send()).
 */
static void wgsock_forget_src(struct wgsock_tx *tx)
{
	memset(&tx->ep->src6, 0, sizeof(tx->ep->src6));
	tx->ep->src_ifindex = 0;
	if (tx->cache)
		dst_cache_reset(tx->cache);
}

/*
 * A sticky source belongs to an interface: the one a packet to it came in
 * on, or the way out routing chose it for. When routing now sends through
 * another one (a better route appeared, a link went away), the source is
 * forgotten and routing asked again, so the peer sees the address of the
 * way out.
 */
static bool wgsock_src_elsewhere(const struct wgsock_tx *tx,
				 const struct dst_entry *dst)
{
	return tx->ep->src_ifindex && dst->dev->ifindex != tx->ep->src_ifindex;
}

/*
 * Judges a route that was just looked up. A route into a WireGuard device,
 * this one included, is fine: that is a nested tunnel (onion routing), and
 * a real loop is cut by the nesting depth (wgsock_nesting()).
 */
static struct dst_entry *wgsock_vet(struct wgsock_tx *tx,
				    struct dst_entry *dst)
{
	if (IS_ERR(dst))
		net_dbg_ratelimited("%s: no route to %pISpfsc: %ld\n",
				    tx->wg->dev->name, &tx->ep->addr,
				    PTR_ERR(dst));
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
		wgsock_forget_src(tx);
		fl->saddr = 0;
	}
	rt = ip_route_output_flow(net, fl, tx->sk);
	/* Routing refused the sticky source: let it choose one. */
	if (unlikely(rt == ERR_PTR(-EINVAL)) && fl->saddr) {
		wgsock_forget_src(tx);
		fl->saddr = 0;
		rt = ip_route_output_flow(net, fl, tx->sk);
	}
	if (!IS_ERR(rt) && fl->saddr && wgsock_src_elsewhere(tx, &rt->dst)) {
		ip_rt_put(rt);
		wgsock_forget_src(tx);
		fl->saddr = 0;
		rt = ip_route_output_flow(net, fl, tx->sk);
	}
	dst = wgsock_vet(tx, IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst);
	if (IS_ERR(dst))
		return dst;
	if (tx->cache)
		dst_cache_set_ip4(tx->cache, dst, fl->saddr);
	tx->ep->src4 = fl->saddr;
	if (!tx->ep->src_ifindex)
		tx->ep->src_ifindex = dst->dev->ifindex;
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
		wgsock_forget_src(tx);
		fl->saddr = in6addr_any;
	}
	dst = wgc_ip6_dst_lookup_flow(net, tx->sk, fl, NULL);
	if (!IS_ERR(dst) && !ipv6_addr_any(&tx->ep->src6) &&
	    wgsock_src_elsewhere(tx, dst)) {
		dst_release(dst);
		wgsock_forget_src(tx);
		fl->saddr = in6addr_any;
		dst = wgc_ip6_dst_lookup_flow(net, tx->sk, fl, NULL);
	}
	dst = wgsock_vet(tx, dst);
	if (IS_ERR(dst))
		return dst;
	if (tx->cache)
		dst_cache_set_ip6(tx->cache, dst, &fl->saddr);
	tx->ep->src6 = fl->saddr;
	if (!tx->ep->src_ifindex)
		tx->ep->src_ifindex = dst->dev->ifindex;
	return dst;
}

static void wgsock_xmit4(struct wgsock_tx *tx, struct dst_entry *dst,
			 struct sk_buff *skb, u8 ds)
{
	const struct flowi4 *fl = &tx->fl.u.ip4;

	wgc_udp_tunnel_xmit_skb(container_of(dst, struct rtable, dst), tx->sk,
				skb, fl->saddr, fl->daddr, ds,
				ip4_dst_hoplimit(dst), 0, fl->fl4_sport,
				fl->fl4_dport, false, false, 0);
}

static void wgsock_xmit6(struct wgsock_tx *tx, struct dst_entry *dst,
			 struct sk_buff *skb, u8 ds)
{
	const struct flowi6 *fl = &tx->fl.u.ip6;

	wgc_udp_tunnel6_xmit_skb(dst, tx->sk, skb, NULL, &fl->saddr,
				 &fl->daddr, ds, ip6_dst_hoplimit(dst), 0,
				 fl->fl6_sport, fl->fl6_dport, false, 0);
}

static bool wgsock_same_src(const struct wgendpoint *a,
			    const struct wgendpoint *b)
{
	return ipv6_addr_equal(&a->src6, &b->src6) &&
	       a->src_ifindex == b->src_ifindex;
}

/* The route to tx->ep from the socket of its family; under RCU-bh. */
static struct dst_entry *wgsock_route(struct wgsock_tx *tx, u32 mark)
{
	struct wgdev *wg = tx->wg;

	switch (tx->ep->addr.sa_family) {
	case AF_INET:
		tx->sk = rcu_dereference_bh(wg->sk4);
		return tx->sk ? wgsock_route4(tx, mark) : ERR_PTR(-ENONET);
	case AF_INET6:
		tx->sk = rcu_dereference_bh(wg->sk6);
		return tx->sk ? wgsock_route6(tx, mark) : ERR_PTR(-ENONET);
	}
	return ERR_PTR(-EDESTADDRREQ);
}

/*
 * The route to @peer's endpoint, read into tx->ep. The endpoint is read,
 * and its route looked up and cached, under the peer's ep_lock held for
 * reading: an endpoint change resets the cache under the same lock held for
 * writing, so no route for an old endpoint (or of the other family) can be
 * cached after it. *@src_moved: routing chose another source than the peer
 * has stored.
 */
static struct dst_entry *wgsock_route_peer(struct wgsock_tx *tx,
					   struct wgpeer *peer, u32 mark,
					   bool *src_moved)
{
	struct dst_entry *dst;

	read_lock(&peer->ep_lock);
	*tx->ep = peer->ep;
	tx->cache = &peer->dst_cache;
	wgsock_hold_route(tx);
	dst = wgsock_route(tx, mark);
	*src_moved = !IS_ERR(dst) && !wgsock_same_src(&peer->ep, tx->ep);
	read_unlock(&peer->ep_lock);
	return dst;
}

/*
 * Sends @skb (consumed in every case) to the endpoint of @peer or, with no
 * @peer, to @ep (answering a stranger: no route cache). @ep returns the
 * endpoint used, with the source address routing chose. Returns 1 when that
 * source differs from the one the peer has stored.
 */
static int wgsock_send(struct wgdev *wg, struct wgpeer *peer,
		       struct sk_buff *skb, struct wgendpoint *ep, u8 ds)
{
	struct wgsock_tx tx = { .wg = wg, .ep = ep };
	u8 depth = wgcb(skb)->nesting + 1, outside;
	u32 mark = READ_ONCE(wg->fwmark);
	bool src_moved = false;
	struct dst_entry *dst;

	rcu_read_lock_bh();
	if (peer)
		dst = wgsock_route_peer(&tx, peer, mark, &src_moved);
	else
		dst = wgsock_route(&tx, mark);
	if (IS_ERR(dst)) {
		rcu_read_unlock_bh();
		kfree_skb(skb);
		return PTR_ERR(dst);
	}

	skb->ignore_df = 1;
	skb->mark = mark;
	/* The tunnel code would count it again on the device: we count. */
	skb->dev = NULL;
	/*
	 * A route into a WireGuard device (ours or another) hands the packet
	 * to its xmit before the tunnel code returns: that xmit reads the
	 * depth from here (wgsock_nesting()). BH is off, so this CPU runs
	 * nothing else meanwhile.
	 */
	outside = __this_cpu_read(wgsock_depth);
	__this_cpu_write(wgsock_depth, depth);
	if (ep->addr.sa_family == AF_INET)
		wgsock_xmit4(&tx, dst, skb, ds);
	else
		wgsock_xmit6(&tx, dst, skb, ds);
	__this_cpu_write(wgsock_depth, outside);
	rcu_read_unlock_bh();
	return src_moved;
}

int wgsock_send_skb(struct wgpeer *peer, struct sk_buff *skb, u8 ds)
{
	unsigned int len = skb->len;
	struct wgendpoint ep;
	int ret;

	ret = wgsock_send(peer->wg, peer, skb, &ep, ds);
	if (ret < 0)
		return ret;
	wgpeer_count_tx(peer, len);

	/* Remember the source the route chose, if the endpoint is the same. */
	if (ret) {
		write_lock_bh(&peer->ep_lock);
		if (!memcmp(&ep.addr6, &peer->ep.addr6, sizeof(ep.addr6))) {
			peer->ep.src6 = ep.src6;
			peer->ep.src_ifindex = ep.src_ifindex;
		}
		write_unlock_bh(&peer->ep_lock);
	}
	return 0;
}

static struct sk_buff *wgsock_skb_from_buf(const void *buf, size_t len)
{
	struct sk_buff *skb = alloc_skb(NET_SKB_PAD + WGSOCK_HEADROOM + len,
					GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, NET_SKB_PAD + WGSOCK_HEADROOM);
	skb_set_inner_network_header(skb, 0);
	skb_put_data(skb, buf, len);
	return skb;
}

int wgsock_send_buf(struct wgpeer *peer, const void *buf, size_t len, u8 ds)
{
	struct sk_buff *skb = wgsock_skb_from_buf(buf, len);
	int ret;

	if (!skb)
		return -ENOMEM;
	/* Handshake workers are preemptible; the statistics want BH off. */
	local_bh_disable();
	ret = wgsock_send_skb(peer, skb, ds);
	local_bh_enable();
	return ret;
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
	return wgsock_send(wg, NULL, skb, &ep, 0);
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
		ep->src_ifindex = skb->skb_iif;
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
