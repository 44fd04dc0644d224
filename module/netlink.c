// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink configuration interface (see netlink.h for locking).
 *
 * Dump cursor in cb->args: [0] the device (netdev reference), [1] the next
 * peer to emit (peer reference), [2] the allowed-IPs sequence number that
 * [3] belongs to, [3] the next allowed-IP node of that peer (NULL: the peer
 * starts fresh), [4] the dump state.
 */

#include "compat.h"
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "uapi/wireguard.h"
#include "netlink.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"
#include "send.h"
#include "timers.h"

static struct genl_family wgnl_family;

/*
 * Attribute policies, as uapi/wireguard.h documents them: a fixed-size
 * type, a key of exactly WG_KEY_LEN bytes, or a buffer of at least some
 * length.
 */
#define WGNL_TYPE(t)	{ .type = (t) }
#define WGNL_KEY	NLA_POLICY_EXACT_LEN(WG_KEY_LEN)

static const struct nla_policy wgnl_device_policy[WGDEVICE_A_MAX + 1] = {
	[WGDEVICE_A_IFINDEX] = WGNL_TYPE(NLA_U32),
	[WGDEVICE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[WGDEVICE_A_PRIVATE_KEY] = WGNL_KEY,
	[WGDEVICE_A_PUBLIC_KEY] = WGNL_KEY,
	[WGDEVICE_A_FLAGS] = WGNL_TYPE(NLA_U32),
	[WGDEVICE_A_LISTEN_PORT] = WGNL_TYPE(NLA_U16),
	[WGDEVICE_A_FWMARK] = WGNL_TYPE(NLA_U32),
	[WGDEVICE_A_PEERS] = WGNL_TYPE(NLA_NESTED),
};

static const struct nla_policy wgnl_peer_policy[WGPEER_A_MAX + 1] = {
	[WGPEER_A_PUBLIC_KEY] = WGNL_KEY,
	[WGPEER_A_PRESHARED_KEY] = WGNL_KEY,
	[WGPEER_A_FLAGS] = WGNL_TYPE(NLA_U32),
	[WGPEER_A_ENDPOINT] = NLA_POLICY_MIN_LEN(sizeof(struct sockaddr)),
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = WGNL_TYPE(NLA_U16),
	[WGPEER_A_LAST_HANDSHAKE_TIME] =
		NLA_POLICY_EXACT_LEN(sizeof(struct __kernel_timespec)),
	[WGPEER_A_RX_BYTES] = WGNL_TYPE(NLA_U64),
	[WGPEER_A_TX_BYTES] = WGNL_TYPE(NLA_U64),
	[WGPEER_A_ALLOWEDIPS] = WGNL_TYPE(NLA_NESTED),
	[WGPEER_A_PROTOCOL_VERSION] = WGNL_TYPE(NLA_U32),
};

static const struct nla_policy wgnl_aip_policy[WGALLOWEDIP_A_MAX + 1] = {
	[WGALLOWEDIP_A_FAMILY] = WGNL_TYPE(NLA_U16),
	[WGALLOWEDIP_A_IPADDR] = NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[WGALLOWEDIP_A_CIDR_MASK] = WGNL_TYPE(NLA_U8),
	[WGALLOWEDIP_A_FLAGS] = WGNL_TYPE(NLA_U32),
};

/* Exactly one of IFINDEX and IFNAME names a wireguard device of @net. */
static struct wgdev *wgnl_find_device(struct net *net, struct nlattr **attrs)
{
	struct net_device *dev;

	if (!attrs[WGDEVICE_A_IFINDEX] == !attrs[WGDEVICE_A_IFNAME])
		return ERR_PTR(-EBADR);
	if (attrs[WGDEVICE_A_IFINDEX])
		dev = dev_get_by_index(net,
				       nla_get_u32(attrs[WGDEVICE_A_IFINDEX]));
	else
		dev = dev_get_by_name(net, nla_data(attrs[WGDEVICE_A_IFNAME]));
	if (!dev)
		return ERR_PTR(-ENODEV);
	if (!wgdev_is_ours(dev)) {
		dev_put(dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return wgdev_of(dev);
}

/* ---- GET_DEVICE ---- */

enum wgnl_dump_state {
	WGNL_DUMP_FIRST = 0,	/* device attributes not sent yet */
	WGNL_DUMP_PEERS,
	WGNL_DUMP_DONE,
};

#define WGNL_ARG_DEV		0
#define WGNL_ARG_PEER		1
#define WGNL_ARG_AIP_SEQ	2
#define WGNL_ARG_AIP_NODE	3
#define WGNL_ARG_STATE		4

static int wgnl_get_start(struct netlink_callback *cb)
{
	struct wgdev *wg;

	wg = wgnl_find_device(sock_net(cb->skb->sk), wgc_genl_info_dump(cb)->attrs);
	if (IS_ERR(wg))
		return PTR_ERR(wg);
	cb->args[WGNL_ARG_DEV] = (long)wg;
	cb->args[WGNL_ARG_STATE] = WGNL_DUMP_FIRST;
	return 0;
}

static int wgnl_put_device(struct sk_buff *skb, struct wgdev *wg)
{
	bool has_key;
	u8 keys[2][WG_KEY_LEN];
	int ret = 0;

	if (nla_put_u16(skb, WGDEVICE_A_LISTEN_PORT, wg->port) ||
	    nla_put_u32(skb, WGDEVICE_A_FWMARK, wg->fwmark) ||
	    nla_put_u32(skb, WGDEVICE_A_IFINDEX, wg->dev->ifindex) ||
	    nla_put_string(skb, WGDEVICE_A_IFNAME, wg->dev->name))
		return -EMSGSIZE;

	down_read(&wg->id.lock);
	has_key = wg->id.has_key;
	if (has_key) {
		memcpy(keys[0], wg->id.private_key, WG_KEY_LEN);
		memcpy(keys[1], wg->id.public_key, WG_KEY_LEN);
	}
	up_read(&wg->id.lock);
	if (has_key &&
	    (nla_put(skb, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, keys[0]) ||
	     nla_put(skb, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, keys[1])))
		ret = -EMSGSIZE;
	memzero_explicit(keys, sizeof(keys));
	return ret;
}

static int wgnl_put_peer_info(struct sk_buff *skb, struct wgpeer *peer)
{
	struct __kernel_timespec ts;
	struct timespec64 last;
	struct wgendpoint ep;
	u8 psk[WG_KEY_LEN];
	unsigned int seq;
	int ret = -EMSGSIZE;

	wg_handshake_get_psk(&peer->hs, psk);
	do {
		seq = read_seqbegin(&peer->hs_time_lock);
		last = peer->last_handshake;
	} while (read_seqretry(&peer->hs_time_lock, seq));
	ts.tv_sec = last.tv_sec;
	ts.tv_nsec = last.tv_nsec;
	read_lock_bh(&peer->ep_lock);
	ep = peer->ep;
	read_unlock_bh(&peer->ep_lock);

	if (nla_put(skb, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, psk) ||
	    nla_put(skb, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts) ||
	    nla_put_u16(skb, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			peer->keepalive_interval) ||
	    nla_put_u64_64bit(skb, WGPEER_A_TX_BYTES,
			      atomic64_read(&peer->tx_bytes), WGPEER_A_UNSPEC) ||
	    nla_put_u64_64bit(skb, WGPEER_A_RX_BYTES,
			      atomic64_read(&peer->rx_bytes), WGPEER_A_UNSPEC) ||
	    nla_put_u32(skb, WGPEER_A_PROTOCOL_VERSION, 1))
		goto out;
	if (ep.addr.sa_family == AF_INET &&
	    nla_put(skb, WGPEER_A_ENDPOINT, sizeof(ep.addr4), &ep.addr4))
		goto out;
	if (ep.addr.sa_family == AF_INET6 &&
	    nla_put(skb, WGPEER_A_ENDPOINT, sizeof(ep.addr6), &ep.addr6))
		goto out;
	ret = 0;
out:
	memzero_explicit(psk, sizeof(psk));
	return ret;
}

static int wgnl_put_aip(struct sk_buff *skb, struct aip_node *node)
{
	struct nlattr *nest = nla_nest_start(skb, 0);
	u8 addr[16], cidr;
	int family;

	if (!nest)
		return -EMSGSIZE;
	family = aip_node_addr(node, addr, &cidr);
	if (nla_put_u8(skb, WGALLOWEDIP_A_CIDR_MASK, cidr) ||
	    nla_put_u16(skb, WGALLOWEDIP_A_FAMILY, family) ||
	    nla_put(skb, WGALLOWEDIP_A_IPADDR, family == AF_INET ? 4 : 16,
		    addr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Emits one peer, or as much of it as fits. Returns 0 when the peer is
 * complete, -EMSGSIZE when the message is full (the cursor then says where
 * to go on: the peer again, fresh or with its remaining allowed IPs).
 */
static int wgnl_put_peer(struct sk_buff *skb, struct netlink_callback *cb,
			 struct wgpeer *peer)
{
	struct aip_table *aips = &peer->wg->aips;
	struct aip_node *node = (struct aip_node *)cb->args[WGNL_ARG_AIP_NODE];
	bool fresh = !node;
	struct nlattr *peer_nest, *aip_nest;

	peer_nest = nla_nest_start(skb, 0);
	if (!peer_nest)
		return -EMSGSIZE;
	if (nla_put(skb, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
		    peer->hs.remote_static))
		goto cancel;
	if (fresh) {
		if (wgnl_put_peer_info(skb, peer))
			goto cancel;
		if (list_empty(&peer->allowedips))
			goto done;
		node = list_first_entry(&peer->allowedips, struct aip_node,
					peer_entry);
	} else if (cb->args[WGNL_ARG_AIP_SEQ] != (long)aips->seq) {
		/* The table changed under the cursor: skip the rest. */
		goto done;
	}

	aip_nest = nla_nest_start(skb, WGPEER_A_ALLOWEDIPS);
	if (!aip_nest)
		goto full;
	list_for_each_entry_from(node, &peer->allowedips, peer_entry) {
		if (wgnl_put_aip(skb, node)) {
			nla_nest_end(skb, aip_nest);
			goto full;
		}
	}
	nla_nest_end(skb, aip_nest);
done:
	nla_nest_end(skb, peer_nest);
	cb->args[WGNL_ARG_AIP_NODE] = 0;
	return 0;

full:
	/* Close the peer here; the next message repeats its key. */
	nla_nest_end(skb, peer_nest);
	cb->args[WGNL_ARG_AIP_NODE] = (long)node;
	cb->args[WGNL_ARG_AIP_SEQ] = (long)aips->seq;
	return -EMSGSIZE;

cancel:
	nla_nest_cancel(skb, peer_nest);
	return -EMSGSIZE;
}

static void wgnl_set_cursor_peer(struct netlink_callback *cb,
				 struct wgpeer *peer)
{
	struct wgpeer *old = (struct wgpeer *)cb->args[WGNL_ARG_PEER];

	cb->args[WGNL_ARG_PEER] = (long)(peer ? wgpeer_get(peer) : NULL);
	wgpeer_put(old);
}

static int wgnl_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct wgdev *wg = (struct wgdev *)cb->args[WGNL_ARG_DEV];
	struct wgpeer *peer = (struct wgpeer *)cb->args[WGNL_ARG_PEER];
	struct nlattr *peers_nest;
	void *hdr;
	int ret = 0;

	if (cb->args[WGNL_ARG_STATE] == WGNL_DUMP_DONE)
		return 0;

	mutex_lock(&wg->update_lock);
	cb->seq = wg->update_gen;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &wgnl_family, NLM_F_MULTI, WG_CMD_GET_DEVICE);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	genl_dump_check_consistent(cb, hdr);

	if (cb->args[WGNL_ARG_STATE] == WGNL_DUMP_FIRST) {
		ret = wgnl_put_device(skb, wg);
		if (ret)
			goto out_cancel;
		cb->args[WGNL_ARG_STATE] = WGNL_DUMP_PEERS;
		if (list_empty(&wg->peers))
			goto finished;
		peer = list_first_entry(&wg->peers, struct wgpeer, dev_entry);
	} else if (!peer || READ_ONCE(peer->dead)) {
		/* The cursor peer was removed: end the dump early. */
		goto finished;
	}

	peers_nest = nla_nest_start(skb, WGDEVICE_A_PEERS);
	if (!peers_nest)
		goto more;
	list_for_each_entry_from(peer, &wg->peers, dev_entry) {
		if (wgnl_put_peer(skb, cb, peer)) {
			nla_nest_end(skb, peers_nest);
			goto more;
		}
	}
	nla_nest_end(skb, peers_nest);
finished:
	cb->args[WGNL_ARG_STATE] = WGNL_DUMP_DONE;
	wgnl_set_cursor_peer(cb, NULL);
	genlmsg_end(skb, hdr);
	mutex_unlock(&wg->update_lock);
	return skb->len;

more:
	wgnl_set_cursor_peer(cb, peer);
	genlmsg_end(skb, hdr);
	mutex_unlock(&wg->update_lock);
	return skb->len;

out_cancel:
	genlmsg_cancel(skb, hdr);
out_unlock:
	mutex_unlock(&wg->update_lock);
	return ret;
}

static int wgnl_get_done(struct netlink_callback *cb)
{
	struct wgdev *wg = (struct wgdev *)cb->args[WGNL_ARG_DEV];

	wgnl_set_cursor_peer(cb, NULL);
	if (wg)
		dev_put(wg->dev);
	return 0;
}

/* ---- SET_DEVICE ---- */

static int wgnl_set_private_key(struct wgdev *wg, const u8 *key)
{
	u8 public_key[WG_KEY_LEN];
	struct wgpeer *peer;
	bool has_public;

	lockdep_assert_held(&wg->update_lock);
	has_public = wg_noise_public_from_private(public_key, key);

	down_read(&wg->id.lock);
	if (has_public ? wg->id.has_key &&
			 !memcmp(public_key, wg->id.public_key, WG_KEY_LEN) :
			 !wg->id.has_key) {
		up_read(&wg->id.lock);
		return 0;	/* the same key again */
	}
	up_read(&wg->id.lock);

	/* A peer cannot be ourselves; removal may sleep on handshake work. */
	if (has_public) {
		peer = wgm_key_table_find(wg, public_key);
		if (peer)
			wgpeer_remove(peer);
	}

	/*
	 * A handshake in flight was made with the old key: cleared while the
	 * identity is held for writing, it can complete no session (deriving
	 * a keypair takes the identity lock too).
	 */
	down_write(&wg->id.lock);
	wg_identity_set_private_key(&wg->id, has_public ? key : NULL);
	list_for_each_entry(peer, &wg->peers, dev_entry) {
		wg_handshake_precompute(&peer->hs);
		wg_handshake_clear(&peer->hs);
		wg_keyslots_expire_current(&peer->slots);
	}
	up_write(&wg->id.lock);
	memzero_explicit(public_key, sizeof(public_key));

	/*
	 * The next packet starts a new handshake at once (an initiation
	 * being built with the old key is waited for first, so that it
	 * cannot note itself as sent after this), and what waited for a key
	 * (staged packets, persistent keepalives) goes out now.
	 */
	list_for_each_entry(peer, &wg->peers, dev_entry) {
		wgtx_reset_handshake_pacing(peer);
		if (!has_public || !netif_running(wg->dev))
			continue;
		if (peer->keepalive_interval)
			wgtx_keepalive(peer);	/* flushes staged ones too */
		else
			wgtx_flush_staged(peer);
	}
	return 0;
}

static int wgnl_set_aip(struct wgdev *wg, struct wgpeer *peer,
			struct nlattr *attr, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
	u32 flags = 0;
	u16 family;
	u8 cidr;
	int len, ret;

	ret = nla_parse_nested(tb, WGALLOWEDIP_A_MAX, attr, wgnl_aip_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] ||
	    !tb[WGALLOWEDIP_A_CIDR_MASK])
		return -EINVAL;
	if (tb[WGALLOWEDIP_A_FLAGS])
		flags = nla_get_u32(tb[WGALLOWEDIP_A_FLAGS]);
	if (flags & ~__WGALLOWEDIP_F_ALL)
		return -EOPNOTSUPP;
	family = nla_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	cidr = nla_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	len = nla_len(tb[WGALLOWEDIP_A_IPADDR]);
	if (!((family == AF_INET && len == 4 && cidr <= 32) ||
	      (family == AF_INET6 && len == 16 && cidr <= 128)))
		return -EINVAL;
	if (flags & WGALLOWEDIP_F_REMOVE_ME)
		return aip_remove(&wg->aips, family,
				  nla_data(tb[WGALLOWEDIP_A_IPADDR]), cidr, peer);
	return aip_insert(&wg->aips, family, nla_data(tb[WGALLOWEDIP_A_IPADDR]),
			  cidr, peer);
}

static void wgnl_set_endpoint(struct wgpeer *peer, const struct nlattr *attr)
{
	const struct sockaddr *sa = nla_data(attr);
	struct wgendpoint ep = {};

	if (nla_len(attr) == sizeof(struct sockaddr_in) &&
	    sa->sa_family == AF_INET)
		memcpy(&ep.addr4, sa, sizeof(ep.addr4));
	else if (nla_len(attr) == sizeof(struct sockaddr_in6) &&
		 sa->sa_family == AF_INET6)
		memcpy(&ep.addr6, sa, sizeof(ep.addr6));
	else
		return;	/* anything else is ignored, as upstream does */
	wgpeer_set_endpoint(peer, &ep);
}

static bool wgnl_is_own_key(struct wgdev *wg, const u8 *key)
{
	bool own;

	down_read(&wg->id.lock);
	own = wg->id.has_key && !memcmp(key, wg->id.public_key, WG_KEY_LEN);
	up_read(&wg->id.lock);
	return own;
}

static int wgnl_set_peer(struct wgdev *wg, struct nlattr *attr,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGPEER_A_MAX + 1], *aip;
	const u8 *public_key, *psk = NULL;
	struct wgpeer *peer;
	bool created = false;
	u32 flags = 0;
	int ret, rem;

	ret = nla_parse_nested(tb, WGPEER_A_MAX, attr, wgnl_peer_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[WGPEER_A_PUBLIC_KEY])
		return -EINVAL;
	public_key = nla_data(tb[WGPEER_A_PUBLIC_KEY]);
	if (tb[WGPEER_A_FLAGS])
		flags = nla_get_u32(tb[WGPEER_A_FLAGS]);
	if (flags & ~__WGPEER_F_ALL)
		return -EOPNOTSUPP;
	if (tb[WGPEER_A_PROTOCOL_VERSION] &&
	    nla_get_u32(tb[WGPEER_A_PROTOCOL_VERSION]) != 1)
		return -EPFNOSUPPORT;
	if (tb[WGPEER_A_PRESHARED_KEY])
		psk = nla_data(tb[WGPEER_A_PRESHARED_KEY]);

	peer = wgm_key_table_find(wg, public_key);
	if (!peer) {
		if (flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
			return 0;
		if (wgnl_is_own_key(wg, public_key))
			return 0;
		peer = wgpeer_create(wg, public_key, psk);
		if (IS_ERR(peer))
			return PTR_ERR(peer);
		created = true;
	}

	if (flags & WGPEER_F_REMOVE_ME) {
		wgpeer_remove(peer);
		return 0;
	}
	if (psk && !created)
		wg_handshake_set_psk(&peer->hs, psk);
	if (tb[WGPEER_A_ENDPOINT])
		wgnl_set_endpoint(peer, tb[WGPEER_A_ENDPOINT]);
	if (flags & WGPEER_F_REPLACE_ALLOWEDIPS)
		aip_remove_peer(&wg->aips, peer);
	if (tb[WGPEER_A_ALLOWEDIPS]) {
		nla_for_each_nested(aip, tb[WGPEER_A_ALLOWEDIPS], rem) {
			ret = wgnl_set_aip(wg, peer, aip, extack);
			if (ret)
				return ret;
		}
	}
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]) {
		u16 interval = nla_get_u16(
				tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
		bool turned_on = !peer->keepalive_interval && interval;

		WRITE_ONCE(peer->keepalive_interval, interval);
		wgtimers_event(peer, WGT_EV_PERSISTENT);
		if (turned_on && netif_running(wg->dev))
			wgtx_keepalive(peer);
	}
	if (netif_running(wg->dev))
		wgtx_flush_staged(peer);
	return 0;
}

/*
 * Wipes the private key and the preshared keys a SET request carried, in
 * the request's own buffer, before the core frees it: the keys live on
 * only where the device keeps them.
 */
static void wgnl_wipe_request_keys(struct nlattr **attrs)
{
	struct nlattr *peer, *attr;
	int rem, rem_peer;

	if (attrs[WGDEVICE_A_PRIVATE_KEY])
		memzero_explicit(nla_data(attrs[WGDEVICE_A_PRIVATE_KEY]),
				 nla_len(attrs[WGDEVICE_A_PRIVATE_KEY]));
	if (!attrs[WGDEVICE_A_PEERS])
		return;
	nla_for_each_nested(peer, attrs[WGDEVICE_A_PEERS], rem)
		nla_for_each_nested(attr, peer, rem_peer)
			if (nla_type(attr) == WGPEER_A_PRESHARED_KEY)
				memzero_explicit(nla_data(attr),
						 nla_len(attr));
}

static int wgnl_set_device(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct wgpeer *peer;
	struct nlattr *attr;
	struct wgdev *wg;
	u32 flags = 0;
	int ret = 0, rem;

	wg = wgnl_find_device(genl_info_net(info), attrs);
	if (IS_ERR(wg)) {
		wgnl_wipe_request_keys(attrs);
		return PTR_ERR(wg);
	}

	rtnl_lock();
	mutex_lock(&wg->update_lock);

	if (attrs[WGDEVICE_A_FLAGS])
		flags = nla_get_u32(attrs[WGDEVICE_A_FLAGS]);
	if (flags & ~__WGDEVICE_F_ALL) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	if ((attrs[WGDEVICE_A_LISTEN_PORT] || attrs[WGDEVICE_A_FWMARK]) &&
	    (!wg->sock_net ||
	     !ns_capable(wg->sock_net->user_ns, CAP_NET_ADMIN))) {
		ret = -EPERM;
		goto out;
	}
	++wg->update_gen;

	if (attrs[WGDEVICE_A_FWMARK]) {
		u32 fwmark = nla_get_u32(attrs[WGDEVICE_A_FWMARK]);

		if (fwmark != wg->fwmark) {
			WRITE_ONCE(wg->fwmark, fwmark);
			list_for_each_entry(peer, &wg->peers, dev_entry)
				wgpeer_clear_src(peer);
		}
	}
	if (attrs[WGDEVICE_A_LISTEN_PORT]) {
		u16 port = nla_get_u16(attrs[WGDEVICE_A_LISTEN_PORT]);

		if (!netif_running(wg->dev))
			wg->port = port;
		else if (port != wg->port)
			ret = wgsock_rebind(wg, port);
		if (ret)
			goto out;
	}
	if (flags & WGDEVICE_F_REPLACE_PEERS)
		wgpeer_remove_all(wg);
	if (attrs[WGDEVICE_A_PRIVATE_KEY]) {
		ret = wgnl_set_private_key(wg,
				nla_data(attrs[WGDEVICE_A_PRIVATE_KEY]));
		if (ret)
			goto out;
	}
	if (attrs[WGDEVICE_A_PEERS]) {
		nla_for_each_nested(attr, attrs[WGDEVICE_A_PEERS], rem) {
			ret = wgnl_set_peer(wg, attr, info->extack);
			if (ret)
				goto out;
		}
	}
out:
	mutex_unlock(&wg->update_lock);
	rtnl_unlock();
	dev_put(wg->dev);
	wgnl_wipe_request_keys(attrs);
	return ret;
}

/* Both commands need CAP_NET_ADMIN in the device's user namespace. */
static const struct genl_ops wgnl_ops[] = {
	{ .cmd = WG_CMD_GET_DEVICE, .flags = GENL_UNS_ADMIN_PERM,
	  .start = wgnl_get_start, .dumpit = wgnl_get_dump,
	  .done = wgnl_get_done, WGC_GENL_OP_POLICY(wgnl_device_policy) },
	{ .cmd = WG_CMD_SET_DEVICE, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = wgnl_set_device, WGC_GENL_OP_POLICY(wgnl_device_policy) },
};

static struct genl_family wgnl_family __ro_after_init = {
	.name = WG_GENL_NAME,
	.version = WG_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.maxattr = ARRAY_SIZE(wgnl_device_policy) - 1,
	WGC_GENL_FAMILY_POLICY(wgnl_device_policy)
	.ops = wgnl_ops,
	.n_ops = ARRAY_SIZE(wgnl_ops),
	WGC_GENL_RESV_START_OP(WG_CMD_SET_DEVICE + 1)
};

int wgnl_family_add(void)
{
	return genl_register_family(&wgnl_family);
}

void wgnl_family_remove(void)
{
	genl_unregister_family(&wgnl_family);
}
