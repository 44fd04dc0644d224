"""A route looked up for one endpoint is never cached for another.

     +--------------------------------+                  +--------------------------------+
     | ns a   wg0 :10001  10.9.0.1/24 |                  | ns b   wg0 :10002  10.9.0.2/24 |
     |   veth1 10.0.1.1/24  ========================== veth2 10.0.1.2/24   (endpoint E1)  |
     |   veth3 10.0.2.1/24  ========================== veth4 10.0.2.2/24   (endpoint E2)  |
     +--------------------------------+                  |   peer A: no endpoint, learnt  |
                                                         +--------------------------------+

A's peer B starts at E2 = 10.0.2.2:10002 (by veth3), roams to E1 = 10.0.1.2:10002 (by
veth1) and straight back to E2. Our WG_DEBUG build's route_delay_ms parameter makes A's
sender spin between reading the endpoint, E1, and routing to it; the move back to E2 is
made while it spins (`wg set ... endpoint` in the window, which the module reports in its
log). Whatever the timing, every datagram A sends to E2 afterwards must leave by E2's
route, veth3. A sends them one way (UDP to a port B's firewall drops, so B sends nothing
back: an authenticated packet from B would move A's endpoint and so reset its route cache,
which would hide a wrong route). B counts, on each link, the datagrams addressed to E2:
B's ARP answers for 10.0.2.2 on either link, so one sent by E1's route still arrives, but
on veth2, and there must be none. With the endpoint read outside the peer's endpoint lock,
the sender that spun looks E1's route up after the move's cache reset, caches it (the
route cache refuses only routes whose lookup began before a reset) and the datagrams to
E2 that its CPU sends take veth1 (the module spreads a peer's packets over the CPUs).

Ours only: the kernel's own WireGuard has no parameter to hold a route lookup.
"""

from __future__ import annotations

import shlex

from vmtests.lib.implementation import debug_parameter, inside_the_next_hold, require_debug_parameter
from vmtests.lib.topology import Netns, Topology, WgInterface, wait_until
from wgcompat.vm.shell import cmd

E1, E2 = "10.0.1.2:10002", "10.0.2.2:10002"
HOLD_MS = 5000
HELD = f"route_delay_ms: holding the route to {E1}"
ATTEMPTS = 5
DATAGRAMS = 40


WHAT = "parameter to hold route lookups"


def move_back_inside_a_hold(topo: Topology, a: Netns, wa: WgInterface, wb: WgInterface) -> bool:
    """Moves B's endpoint to E1, makes A's sender hold between reading it and routing to it,
    and moves the endpoint back to E2; True when the move back began inside the hold (on the
    guest's clock)."""
    wa.set(f"peer {wb.public_key} endpoint {E1}")
    return inside_the_next_hold(a, HELD, HOLD_MS, datagrams("10.9.0.2", 1),
                                cmd("wg", "set", wa.name, "peer", wb.public_key, "endpoint", E2))


def datagrams(dst: str, count: int) -> str:
    """The command that sends ``count`` datagrams to ``dst`` port 9, one at a time (each its own
    packet through wg0)."""
    code = ("import socket, sys, time\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for _ in range(int(sys.argv[2])):\n"
            "    s.sendto(b'x', (sys.argv[1], 9)); time.sleep(0.01)")
    return shlex.join(["python3", "-c", code, dst, str(count)])


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
    b.sh("iptables -w -A INPUT -i wg0 -p udp --dport 9 -j DROP")     # no reply, not even ICMP

    wa.add_peer(wb, ["10.9.0.2/32"], endpoint=E2)
    a.wait_ping("10.9.0.2")

    with debug_parameter(topo.vm, implementation, "route_delay_ms", HOLD_MS, 0, WHAT):
        # a slow guest can miss the window; another round trip then tries again
        inside = any(move_back_inside_a_hold(topo, a, wa, wb) for _ in range(ATTEMPTS))
    assert inside, f"none of {ATTEMPTS} endpoint changes began inside a {HOLD_MS} ms hold"
    assert wa.peer(wb).endpoint == E2

    wrong = b.iptables_count("INPUT", "to-e2-veth2")
    right = b.iptables_count("INPUT", "to-e2-veth4")
    a.sh(datagrams("10.9.0.2", DATAGRAMS))
    wait_until(lambda: b.iptables_count("INPUT", "to-e2-veth2") - wrong
               + b.iptables_count("INPUT", "to-e2-veth4") - right >= DATAGRAMS, 30,
               f"B to receive A's {DATAGRAMS} datagrams")
    misrouted = b.iptables_count("INPUT", "to-e2-veth2") - wrong
    assert misrouted == 0, (
        f"{misrouted} of {DATAGRAMS} datagrams to the new endpoint {E2} left by the route looked up "
        f"for the old one {E1} (veth1)")
