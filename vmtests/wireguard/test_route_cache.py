"""A route looked up for one endpoint is never cached for another.

     +--------------------------------+                  +--------------------------------+
     | ns a   wg0 :10001  10.9.0.1/24 |                  | ns b   wg0 :10002  10.9.0.2/24 |
     |   veth1 10.0.1.1/24  ========================== veth2 10.0.1.2/24   (endpoint E1)  |
     |   veth3 10.0.2.1/24  ========================== veth4 10.0.2.2/24   (endpoint E2)  |
     +--------------------------------+                  |   peer A: no endpoint, learnt  |
                                                         +--------------------------------+

A's peer B starts at E2 = 10.0.2.2:10002 (by veth3), roams to E1 = 10.0.1.2:10002 (by
veth1) and straight back to E2. Our WG_DEBUG build's route_delay_ms parameter makes A's
sender spin between looking up the route to E1 and caching it; the move back to E2 is made
while it spins (`wg set ... endpoint` in the window, which the module reports in its log).
Whatever the timing, every datagram A sends to E2 afterwards must leave by E2's route,
veth3. B counts, on each link, the datagrams addressed to E2: B's ARP answers for
10.0.2.2 on either link, so one sent by E1's route still arrives, but on veth2, and there
must be none. With the route cached after the peer's endpoint lock was dropped, the
sender that spun caches E1's route for E2, and that CPU's datagrams to E2 take veth1.

Ours only: the kernel's own WireGuard has no parameter to hold a route lookup.
"""

from __future__ import annotations

import shlex

from vmtests.lib.implementation import debug_parameter, require_debug_parameter
from vmtests.lib.topology import Netns, Topology, run, wait_until

E1, E2 = "10.0.1.2:10002", "10.0.2.2:10002"
HOLD_MS = 1500
HELD = f"route_delay_ms: holding the route to {E1}"
PINGS = 40


WHAT = "parameter to hold route lookups"


def log_lines(topo: Topology, text: str) -> int:
    out = run(topo.vm, f"dmesg | grep -cF {shlex.quote(text)}").output.strip()
    return int(out or 0)


def send_datagram(ns: Netns, dst: str) -> None:
    code = "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 9))"
    ns.sh(shlex.join(["python3", "-c", code, dst]))


def test_an_endpoint_change_during_a_route_lookup_leaves_no_route_for_the_old_one(topo: Topology,
                                                                                  implementation: str) -> None:
    require_debug_parameter(topo.vm, implementation, "route_delay_ms", WHAT)
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth1", b, "veth2")
    topo.veth(a, "veth3", b, "veth4")
    for ns in (a, b):
        ns.sysctl(net__ipv4__conf__all__rp_filter=0, net__ipv4__conf__default__rp_filter=0)
    a.addr("veth1", "10.0.1.1/24")
    a.addr("veth3", "10.0.2.1/24")
    b.addr("veth2", "10.0.1.2/24")
    b.addr("veth4", "10.0.2.2/24")
    for link in ("veth2", "veth4"):
        b.sh(f"iptables -w -A INPUT -i {link} -d 10.0.2.2 -p udp --dport 10002 -m comment --comment to-e2-{link}")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    wb.add_peer(wa, ["10.9.0.1/32"])

    wa.add_peer(wb, ["10.9.0.2/32"], endpoint=E2)
    a.wait_ping("10.9.0.2")

    with debug_parameter(topo.vm, implementation, "route_delay_ms", HOLD_MS, 0, WHAT):
        held = log_lines(topo, HELD)
        wa.set(f"peer {wb.public_key} endpoint {E1}")
        send_datagram(a, "10.9.0.2")
        wait_until(lambda: log_lines(topo, HELD) > held, 30, f"A's sender to hold its route lookup for {E1}")
        wa.set(f"peer {wb.public_key} endpoint {E2}")
    assert wa.peer(wb).endpoint == E2

    wrong = b.iptables_count("INPUT", "to-e2-veth2")
    right = b.iptables_count("INPUT", "to-e2-veth4")
    a.ping_ok("10.9.0.2", count=PINGS, interval=0.02)
    assert b.iptables_count("INPUT", "to-e2-veth2") == wrong, (
        f"datagrams to the new endpoint {E2} left by the route looked up for the old one {E1} (veth1)")
    assert b.iptables_count("INPUT", "to-e2-veth4") >= right + PINGS, "A's pings did not reach B by veth4"
