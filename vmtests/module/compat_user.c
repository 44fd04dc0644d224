// SPDX-License-Identifier: GPL-2.0
/*
 * compat.h used as module/ uses it: every wrapper, shim and wgc_* crypto
 * function once. Compiled (not linked or loaded) by
 * vmtests/build/test_compat_header.py.
 */
#include <linux/module.h>
#include "compat.h"

static int wgc_t_poll(struct napi_struct *napi, int budget)
{
	return 0;
}

static int wgc_t_impl(struct net *net, struct net_device *dev, struct netlink_ext_ack *extack)
{
	return net ? 0 : -EINVAL;
}

WGC_RTNL_NEWLINK(wgc_t_newlink, wgc_t_impl)

static struct rtnl_link_ops wgc_t_ops __maybe_unused = {
	.newlink = wgc_t_newlink,
};

static struct genl_family wgc_t_family __maybe_unused = {
	WGC_GENL_RESV_START_OP(2)
	.name = "x",
};

struct wgc_t_s {
	struct timer_list t;
};

static void wgc_t_timer(struct timer_list *t)
{
	struct wgc_t_s *s = timer_container_of(s, t, t);

	timer_delete(&s->t);
}

static int wgc_t_dump_start(struct netlink_callback *cb)
{
	return wgc_genl_info_dump(cb)->attrs ? 0 : -EINVAL;
}

int wgc_t(struct net_device *dev, struct napi_struct *napi, struct sk_buff *skb, struct sock *sk,
	  struct rtable *rt, struct dst_entry *dst, struct flowi6 *fl6, struct in6_addr *a,
	  struct udp_tunnel_sock_cfg *cfg, struct scatterlist *sg, struct timer_list *t,
	  struct dst_cache *dc);
int wgc_t(struct net_device *dev, struct napi_struct *napi, struct sk_buff *skb, struct sock *sk,
	  struct rtable *rt, struct dst_entry *dst, struct flowi6 *fl6, struct in6_addr *a,
	  struct udp_tunnel_sock_cfg *cfg, struct scatterlist *sg, struct timer_list *t,
	  struct dst_cache *dc)
{
	struct wgc_blake2s_state st;
	u8 out[32] = { 0 }, key[32] = { 0 }, n24[24] = { 0 };
	struct sk_buff *s2, *next;
	struct rtnl_link_stats64 st64;
	int r = 0;

	wgc_netif_napi_add(dev, napi, wgc_t_poll);
	netif_threaded_enable(dev);
	wgc_netdev_set_lltx(dev);
	r += wgc_netdev_tstats_init(dev);
	wgc_netdev_tstats_free(dev);
	dev_get_tstats64(dev, &st64);
	dev_sw_netstats_rx_add(dev, 10);
	dev_sw_netstats_tx_add(dev, 1, 10);
	DEV_STATS_INC(dev, rx_errors);
	DEV_STATS_ADD(dev, rx_bytes, 3);
	skb_list_walk_safe(skb, s2, next)
		skb_mark_not_on_list(s2);
	skb_reset_redirect(skb);
	icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
	dst_cache_reset_now(dc);
	r += PTR_ERR_OR_ZERO(wgc_ip6_dst_lookup_flow(dev_net(dev), sk, fl6, NULL));
	r += wgc_setup_udp_tunnel_sock(dev_net(dev), sk, cfg);
	wgc_udp_tunnel_sock_release(sk);
	wgc_udp_tunnel_xmit_skb(rt, sk, skb, 0, 0, 0, 64, 0, 0, 0, false, false, 0);
	wgc_udp_tunnel6_xmit_skb(dst, sk, skb, dev, a, a, 0, 64, 0, 0, 0, false, 0);
	r += timer_delete_sync(t) + timer_shutdown_sync(t);
	timer_setup(t, wgc_t_timer, 0);
	r += get_random_u32_below(10) + get_random_u32_inclusive(1, 5);
	kfree_sensitive(NULL);
	r += WQ_PERCPU;
	r += crypto_memneq(out, key, 32);
	r += get_unaligned_le32(out);
	r += wgc_t_dump_start(NULL);
	wgc_blake2s_init(&st, 32);
	wgc_blake2s_init_key(&st, 16, key, 32);
	wgc_blake2s_update(&st, out, 32);
	wgc_blake2s_final(&st, out);
	wgc_blake2s(out, 32, out, 32, key, 32);
	r += wgc_curve25519(out, key, key);
	r += wgc_curve25519_generate_public(out, key);
	wgc_curve25519_generate_secret(key);
	wgc_curve25519_clamp_secret(key);
	wgc_chacha20poly1305_encrypt(out, out, 0, NULL, 0, 1, key);
	r += wgc_chacha20poly1305_decrypt(out, out, 16, NULL, 0, 1, key);
	r += wgc_chacha20poly1305_encrypt_sg_inplace(sg, 0, NULL, 0, 1, key);
	r += wgc_chacha20poly1305_decrypt_sg_inplace(sg, 16, NULL, 0, 1, key);
	wgc_xchacha20poly1305_encrypt(out, out, 0, NULL, 0, n24, key);
	r += wgc_xchacha20poly1305_decrypt(out, out, 16, NULL, 0, n24, key);
	return r;
}
MODULE_LICENSE("GPL");
