"""The outer source address: which of its addresses a peer sends from.

     +------------------------------------------+                 +---------------------------+
     | ns a   wg0 :10001  10.9.0.1/24            |                 | ns b   wg0 :10002 10.9.0.2 |
     |   veth1 10.0.0.1  route 10.0.0.0/24 metric 2 ============ veth2  10.0.0.100/24         |
     |   veth3 10.0.0.3  route 10.0.0.0/24 metric 1 ============ veth4  (no address)          |
     |                   (added during the test)  |                 |   peer A: no endpoint,    |
     +------------------------------------------+                 |   learnt from A's packets  |
                                                                  +---------------------------+

A's peer B is at 10.0.0.100:10002; B learns A's endpoint from what A sends.
First the only route leaves through veth1 with source 10.0.0.1. Then a better
route (metric 1) through veth3 with source 10.0.0.3 appears: from the next
packet on, A must send from 10.0.0.3, the source of the way out it now takes,
not keep the source it remembered for the old one. rp_filter is off on both
sides, so B takes packets on either link.
"""

from __future__ import annotations

from vmtests.lib.topology import Topology, wait_until


def test_a_better_route_with_another_source_changes_the_source(topo: Topology) -> None:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth1", b, "veth2")
    topo.veth(a, "veth3", b, "veth4")
    for ns in (a, b):
        ns.sysctl(net__ipv4__conf__all__rp_filter=0, net__ipv4__conf__default__rp_filter=0)
    a.sh("ip addr add 10.0.0.1/24 dev veth1 noprefixroute && "
         "ip route add 10.0.0.0/24 dev veth1 src 10.0.0.1 metric 2")
    b.sh("ip addr add 10.0.0.100/24 dev veth2")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    wa.add_peer(wb, ["10.9.0.2/32"], endpoint="10.0.0.100:10002")
    wb.add_peer(wa, ["10.9.0.1/32"])

    a.wait_ping("10.9.0.2")
    assert wb.peer(wa).endpoint == "10.0.0.1:10001"

    a.sh("ip addr add 10.0.0.3/24 dev veth3 noprefixroute && "
         "ip route add 10.0.0.0/24 dev veth3 src 10.0.0.3 metric 1")
    route = a.sh("ip -o route get 10.0.0.100")
    assert "dev veth3" in route and "src 10.0.0.3" in route, f"the new route is not the one taken: {route}"
    a.ping_ok("10.9.0.2")
    wait_until(lambda: wb.peer(wa).endpoint == "10.0.0.3:10001", 10,
               "B to see A's packets come from 10.0.0.3, the source of the better route")
