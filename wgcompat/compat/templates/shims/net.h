/* ---- net: devices, stats, skbs, routes --------------------------------------------- */
static inline void wgc_netif_napi_add(struct net_device *dev, struct napi_struct *napi,
				      int (*poll)(struct napi_struct *, int))
{
#if WGC_HAVE_NETIF_NAPI_ADD_3ARGS
	netif_napi_add(dev, napi, poll);
#else
	netif_napi_add(dev, napi, poll, NAPI_POLL_WEIGHT);
#endif
}

#if !WGC_HAVE_NETIF_THREADED_ENABLE
static inline void netif_threaded_enable(struct net_device *dev)
{
#if WGC_HAVE_DEV_SET_THREADED_BOOL
	dev_set_threaded(dev, true);
#endif
}
#endif

static inline void wgc_netdev_set_lltx(struct net_device *dev)
{
#if WGC_HAVE_NETDEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/* Per-CPU tx/rx counters: before register_netdevice, and freed after unregistering. */
static inline int wgc_netdev_tstats_init(struct net_device *dev)
{
#if WGC_HAVE_NETDEV_PCPU_STAT_TSTATS
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;	/* the core allocates and frees */
	return 0;
#else
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
#endif
}

static inline void wgc_netdev_tstats_free(struct net_device *dev)
{
#if !WGC_HAVE_NETDEV_PCPU_STAT_TSTATS
	free_percpu(dev->tstats);
	dev->tstats = NULL;
#endif
}

#if !WGC_HAVE_DEV_GET_TSTATS64
#define dev_get_tstats64 ip_tunnel_get_stats64
#endif
#if !WGC_HAVE_DEV_SW_NETSTATS_RX_ADD
static inline void dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len)
{
	struct pcpu_sw_netstats *stats = this_cpu_ptr(dev->tstats);

	u64_stats_update_begin(&stats->syncp);
	stats->rx_packets++;
	stats->rx_bytes += len;
	u64_stats_update_end(&stats->syncp);
}
#endif
#if !WGC_HAVE_DEV_SW_NETSTATS_TX_ADD
static inline void dev_sw_netstats_tx_add(struct net_device *dev, unsigned int packets,
					  unsigned int len)
{
	struct pcpu_sw_netstats *stats = this_cpu_ptr(dev->tstats);

	u64_stats_update_begin(&stats->syncp);
	stats->tx_packets += packets;
	stats->tx_bytes += len;
	u64_stats_update_end(&stats->syncp);
}
#endif
#if !WGC_HAVE_DEV_STATS_INC
#define DEV_STATS_INC(dev, field) ((dev)->stats.field++)
#define DEV_STATS_ADD(dev, field, val) ((dev)->stats.field += (val))
#endif

#if !WGC_HAVE_SKB_LIST_WALK_SAFE
#define skb_list_walk_safe(first, skb, next_skb)				\
	for ((skb) = (first), (next_skb) = (skb) ? (skb)->next : NULL; (skb);	\
	     (skb) = (next_skb), (next_skb) = (skb) ? (skb)->next : NULL)
#endif
#if !WGC_HAVE_SKB_MARK_NOT_ON_LIST
static inline void skb_mark_not_on_list(struct sk_buff *skb)
{
	skb->next = NULL;
}
#endif
#if !WGC_HAVE_SKB_RESET_REDIRECT
/* Kernels without skb->redirected have nothing to reset. */
static inline void skb_reset_redirect(struct sk_buff *skb)
{
}
#endif
#if !WGC_HAVE_IP_TUNNEL_PARSE_PROTOCOL
/*
 * A headerless tunnel: the protocol is the IP version of the network header,
 * and only when that whole header is in the linear part.
 */
static inline __be16 ip_tunnel_parse_protocol(const struct sk_buff *skb)
{
	const u8 *network = skb_network_header(skb);
	const u8 *tail = skb_tail_pointer(skb);

	if (network < skb->head || network + 1 > tail)
		return 0;
	switch (*network >> 4) {
	case 4:
		if (network + sizeof(struct iphdr) <= tail)
			return htons(ETH_P_IP);
		break;
	case 6:
		if (network + sizeof(struct ipv6hdr) <= tail)
			return htons(ETH_P_IPV6);
		break;
	}
	return 0;
}

static const struct header_ops ip_tunnel_header_ops __maybe_unused = {
#if WGC_HAVE_HEADER_OPS_PARSE_PROTOCOL
	.parse_protocol = ip_tunnel_parse_protocol,
#endif
};
#endif
#if !WGC_HAVE_ICMP_NDO_SEND
#define icmp_ndo_send icmp_send
#endif
#if !WGC_HAVE_ICMPV6_NDO_SEND
#define icmpv6_ndo_send icmpv6_send
#endif
#if !WGC_HAVE_DST_CACHE_RESET_NOW
/*
 * dst_cache_reset() only marks the cached routes stale: each keeps its device
 * (and so that device's namespace) until its CPU uses the cache again. Release
 * them now by swapping in an empty cache and destroying the old one. Like the
 * kernel's own, the caller guarantees that nobody else uses @cache meanwhile.
 * Where the empty cache cannot be had (atomic allocation), the lazy reset.
 */
static inline void wgc_dst_cache_reset_now(struct dst_cache *cache)
{
	struct dst_cache spare;

	if (dst_cache_init(&spare, GFP_ATOMIC)) {
		dst_cache_reset(cache);
		return;
	}
	swap(*cache, spare);	/* spare now holds the routes */
	dst_cache_destroy(&spare);
}
#define dst_cache_reset_now wgc_dst_cache_reset_now
#endif

/* IPv6 route lookup without a hard dependency on ipv6.ko where the stub exists. */
static inline struct dst_entry *wgc_ip6_dst_lookup_flow(struct net *net, const struct sock *sk,
							struct flowi6 *fl6,
							const struct in6_addr *final_dst)
{
#if WGC_HAVE_IPV6_STUB_DST_LOOKUP_FLOW
	return ipv6_stub->ipv6_dst_lookup_flow(net, sk, fl6, final_dst);
#elif WGC_HAVE_IP6_DST_LOOKUP_FLOW_NET && !WGC_HAVE_NET_IPV6_STUBS_H
	return ip6_dst_lookup_flow(net, sk, fl6, final_dst);
#else
	struct dst_entry *dst = NULL;
	int err = ipv6_stub->ipv6_dst_lookup(net, (struct sock *)sk, &dst, fl6);

	return err ? ERR_PTR(err) : dst;
#endif
}
