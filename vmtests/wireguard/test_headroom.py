"""Packets that reach wg0 with little headroom: redirected into it by tc.

          ns outer (lo: 127.0.0.1 / ::1): both UDP sockets
     +--------------------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24              | <======> | ns b   wg0  10.9.0.2/24 |
     |        dum0 (dummy): 10.9.0.2/32 via |          |                         |
     |        dum0, egress: mirred -> wg0   |          |                         |
     +--------------------------------------+          +-------------------------+

A's ping to B is routed to the dummy device dum0, whose egress hook redirects
it into wg0. Such a packet carries only the headroom dum0 asked for (its
Ethernet header, pulled off again by mirred), far less than wg0 needs for its
own header and the outer UDP and IP headers. The implementation must make
room itself: the ping is answered, over an IPv4 and an IPv6 outer path.
"""

from __future__ import annotations

import re

import pytest

from vmtests.lib.topology import Pair, Topology, two_peers


@pytest.mark.parametrize("outer_family", [4, 6], ids=["outer-v4", "outer-v6"])
def test_packet_redirected_into_wg0_with_little_headroom_is_sent(topo: Topology, outer_family: int) -> None:
    p = two_peers(topo, outer_family=outer_family)
    p.a.wait_ping(Pair.B4)   # the handshake is done; what follows is data only
    p.a.sh("ip link add dum0 type dummy && sysctl -qw net.ipv6.conf.dum0.disable_ipv6=1 && ip link set dum0 up && "
           f"ip route add {Pair.B4}/32 dev dum0 src {Pair.A4} && "
           "tc qdisc add dev dum0 clsact && "
           "tc filter add dev dum0 egress matchall action mirred egress redirect dev wg0")
    before_a, before_b = p.wa.counters(), p.wb.counters()
    res = p.a.ping_ok(Pair.B4, count=3, interval=0.2)
    assert res.received == 3
    stats = p.a.sh("tc -s filter show dev dum0 egress")
    redirected = re.search(r"Sent \d+ bytes (\d+) pkt", stats)
    assert redirected and int(redirected.group(1)) == 3, f"the pings did not go through the redirect:\n{stats}"
    after_a, after_b = p.wa.counters(), p.wb.counters()
    assert after_b.rx_packets - before_b.rx_packets == 3, "B did not receive the three redirected pings"
    assert after_a.tx_errors == before_a.tx_errors, "wg0 counted the redirected packets as errors"
