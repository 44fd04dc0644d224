/* ---- UDP tunnel sockets: the newest signatures on every kernel --------------------- */
static inline int wgc_setup_udp_tunnel_sock(struct net *net, struct sock *sk,
					    struct udp_tunnel_sock_cfg *cfg)
{
#if WGC_HAVE_SETUP_UDP_TUNNEL_SOCK_SK
	setup_udp_tunnel_sock(net, sk, cfg);
#else
	setup_udp_tunnel_sock(net, sk->sk_socket, cfg);
#endif
	return 0;
}

static inline void wgc_udp_tunnel_sock_release(struct sock *sk)
{
#if WGC_HAVE_UDP_TUNNEL_SOCK_RELEASE_SK
	udp_tunnel_sock_release(sk);
#else
	udp_tunnel_sock_release(sk->sk_socket);
#endif
}

/* ipcb_flags exists only where the kernel takes it; module/ passes 0. */
static inline void wgc_udp_tunnel_xmit_skb(struct rtable *rt, struct sock *sk, struct sk_buff *skb,
					   __be32 src, __be32 dst, __u8 tos, __u8 ttl,
					   __be16 df, __be16 src_port, __be16 dst_port,
					   bool xnet, bool nocheck, u16 ipcb_flags)
{
#if WGC_HAVE_UDP_TUNNEL_XMIT_SKB_IPCB_FLAGS
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, df, src_port, dst_port,
			    xnet, nocheck, ipcb_flags);
#else
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, df, src_port, dst_port,
			    xnet, nocheck);
#endif
}

static inline void wgc_udp_tunnel6_xmit_skb(struct dst_entry *dst, struct sock *sk,
					    struct sk_buff *skb, struct net_device *dev,
					    const struct in6_addr *saddr,
					    const struct in6_addr *daddr,
					    __u8 prio, __u8 ttl, __be32 label,
					    __be16 src_port, __be16 dst_port, bool nocheck,
					    u16 ip6cb_flags)
{
#if !IS_ENABLED(CONFIG_IPV6)
	/* a kernel without IPv6 cannot send it; the kernel's function would consume both */
	dst_release(dst);
	kfree_skb(skb);
#elif WGC_HAVE_UDP_TUNNEL6_XMIT_SKB_IP6CB_FLAGS
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, saddr, daddr, prio, ttl, label,
			     src_port, dst_port, nocheck, ip6cb_flags);
#else
	/* older kernels take non-const addresses and may return an int nobody reads */
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, (struct in6_addr *)saddr,
			     (struct in6_addr *)daddr, prio, ttl, label,
			     src_port, dst_port, nocheck);
#endif
}
