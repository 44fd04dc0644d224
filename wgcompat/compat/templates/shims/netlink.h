/* ---- netlink: rtnl newlink, generic netlink ---------------------------------------- */
/*
 * WGC_RTNL_NEWLINK(name, impl) defines "static int name(...)" with this kernel's
 * rtnl_link_ops.newlink signature; it calls
 *	int impl(struct net *link_net, struct net_device *dev, struct netlink_ext_ack *extack)
 */
#if WGC_HAVE_RTNL_NEWLINK_PARAMS
#define WGC_RTNL_NEWLINK(name, impl)						\
static int name(struct net_device *dev, struct rtnl_newlink_params *params,	\
		struct netlink_ext_ack *extack)					\
{										\
	return impl(rtnl_newlink_link_net(params), dev, extack);		\
}
#else
#define WGC_RTNL_NEWLINK(name, impl)						\
static int name(struct net *src_net, struct net_device *dev,			\
		struct nlattr *tb[], struct nlattr *data[],			\
		struct netlink_ext_ack *extack)					\
{										\
	return impl(src_net, dev, extack);					\
}
#endif

/* Inside a struct genl_family initialiser. */
#if WGC_HAVE_GENL_RESV_START_OP
#define WGC_GENL_RESV_START_OP(op) .resv_start_op = (op),
#else
#define WGC_GENL_RESV_START_OP(op)
#endif

/* The parsed attributes of a dump request, in .start/.dumpit: only ->attrs may be read. */
#if WGC_HAVE_GENL_INFO_DUMP
#define wgc_genl_info_dump(cb) genl_info_dump(cb)
#elif WGC_HAVE_GENL_DUMPIT_INFO
#define wgc_genl_info_dump(cb) genl_dumpit_info(cb)
#else
/*
 * The kernel does not parse dump requests: parse it here, against the policy of the family's
 * attributes (module/netlink.c's device policy unless WGC_GENL_DUMP_POLICY names another).
 * The attribute table is a compound literal, so it lives as long as the caller's block.
 * A request that does not parse yields an empty table.
 */
#ifndef WGC_GENL_DUMP_POLICY
#define WGC_GENL_DUMP_POLICY wgnl_device_policy
#endif
struct wgc_genl_dumpit_info {
	struct nlattr **attrs;
};

static inline struct nlattr **wgc_genl_parse_dump(struct netlink_callback *cb, struct nlattr **tb,
						  int maxattr, const struct nla_policy *policy)
{
#if WGC_HAVE_NLMSG_PARSE_DEPRECATED
	int err = nlmsg_parse_deprecated(cb->nlh, GENL_HDRLEN, tb, maxattr, policy, NULL);
#else
	int err = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, maxattr, policy, NULL);
#endif

	if (err)
		memset(tb, 0, sizeof(*tb) * (maxattr + 1));
	return tb;
}

#define wgc_genl_info_dump(cb) (&(const struct wgc_genl_dumpit_info) {			\
	.attrs = wgc_genl_parse_dump((cb),						\
			(struct nlattr *[ARRAY_SIZE(WGC_GENL_DUMP_POLICY)]) { NULL },	\
			ARRAY_SIZE(WGC_GENL_DUMP_POLICY) - 1, WGC_GENL_DUMP_POLICY)	\
})
#endif

#if !WGC_HAVE_NLA_POLICY_MIN_LEN
#if WGC_HAVE_NLA_MIN_LEN
#define NLA_POLICY_MIN_LEN(_len) { .type = NLA_MIN_LEN, .len = (_len) }
#else
/* Before NLA_MIN_LEN, NLA_UNSPEC with .len set checks the same minimum length. */
#define NLA_POLICY_MIN_LEN(_len) { .type = NLA_UNSPEC, .len = (_len) }
#endif
#endif
#if !WGC_HAVE_NLA_POLICY_EXACT_LEN
/*
 * No exact-length policy type: the kernel checks only that the attribute is at least _len
 * bytes. A longer one passes the policy; readers use the first _len bytes.
 */
#define NLA_POLICY_EXACT_LEN(_len) { .type = NLA_UNSPEC, .len = (_len) }
#endif

/*
 * Inside struct genl_family / struct genl_ops initialisers: the attribute policy goes to the
 * family where the kernel has one per family, else to every operation (the kernel validates
 * a request against its operation's policy).
 */
#if WGC_HAVE_GENL_FAMILY_POLICY
#define WGC_GENL_FAMILY_POLICY(p) .policy = (p),
#define WGC_GENL_OP_POLICY(p)
#else
#define WGC_GENL_FAMILY_POLICY(p)
#define WGC_GENL_OP_POLICY(p) .policy = (p),
#endif
