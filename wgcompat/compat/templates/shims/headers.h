/* ---- headers: the ones module/ needs, wherever this kernel keeps them ------------- */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/rculist.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/icmpv6.h>
#include <net/icmp.h>
#include <net/dst_cache.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>
#include <net/udp_tunnel.h>
#if WGC_HAVE_NET_IPV6_STUBS_H
#include <net/ipv6_stubs.h>
#endif
#if WGC_HAVE_NET_GSO_H
#include <net/gso.h>	/* skb_gso_segment() */
#endif
#if WGC_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#if WGC_HAVE_CRYPTO_UTILS_H
#include <crypto/utils.h>	/* crypto_memneq() */
#else
#include <crypto/algapi.h>	/* crypto_memneq() */
#endif
