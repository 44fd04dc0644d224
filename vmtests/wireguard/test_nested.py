"""Tunnels inside tunnels: onion routing through the same device, and a routing loop.

     +-------------------------------+   veth 10.0.0.1 - 10.0.0.2   +-------------------------------+
     | ns a                          | ============================ | ns b                          |
     |  wg0 :10001  192.168.241.1/24 | <--------- P2 -------------> | wg0 :10002  192.168.241.2/24  |
     |              192.168.242.1/24 |                              |                               |
     |    peer P2: 192.168.241.2/32, endpoint 10.0.0.2:10002        | wg1 :5      192.168.242.2/24  |
     |    peer P3: 192.168.242.2/32, endpoint 192.168.241.2:5 ----> |   (carried inside P2's tunnel)|
     +-------------------------------+                              +-------------------------------+

A's packets for 192.168.242.2 are encrypted for P3 (b's wg1); the outer UDP datagram
goes to 192.168.241.2:5, an address routed into wg0 itself, so wg0 encrypts it a
second time, for P2. Deleting wg1 and pointing P3 at 192.168.242.2:5 makes P3's
endpoint route through P3 itself: a real loop, which must end without a kernel
report and without sending more than a bounded number of bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmtests.lib.topology import Netns, Topology, WgInterface, send_stream, wait_until


@dataclass
class Onion:
    a: Netns
    b: Netns
    wa: WgInterface     # a's wg0: peers P2 (wb) and P3 (wb1)
    wb: WgInterface     # b's wg0
    wb1: WgInterface    # b's wg1, reached through P2's tunnel


def onion(topo: Topology) -> Onion:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "10.0.0.1/24")
    b.addr("veth0", "10.0.0.2/24")
    wa = topo.wireguard(a, listen_port=10001, addresses=["192.168.241.1/24", "192.168.242.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["192.168.241.2/24"])
    wb1 = topo.wireguard(b, name="wg1", listen_port=5, addresses=["192.168.242.2/24"])
    wa.add_peer(wb, ["192.168.241.2/32"], endpoint="10.0.0.2:10002")
    wa.add_peer(wb1, ["192.168.242.2/32"], endpoint="192.168.241.2:5")
    wb.add_peer(wa, ["192.168.241.1/32"], endpoint="10.0.0.1:10001")
    wb1.add_peer(wa, ["192.168.242.1/32"])
    return Onion(a, b, wa, wb, wb1)


def test_tunnel_carried_through_the_same_device(topo: Topology) -> None:
    o = onion(topo)
    o.a.wait_ping("192.168.242.2", what="a ping through P3's tunnel, itself inside P2's")
    # b's wg1 learned a's endpoint from inside b's wg0: a's address in P2's tunnel
    assert o.wb1.peer(o.wa).endpoint == "192.168.241.1:10001"
    assert o.wb1.peer(o.wa).latest_handshake > 0 and o.wb.peer(o.wa).latest_handshake > 0
    send_stream(topo, o.a, o.b, "192.168.242.2", 1 << 20)
    # every byte of P3's tunnel travelled inside P2's: P2 carried more than P3 did
    _p3_rx, p3_tx = o.wa.transfer()[o.wb1.public_key]
    _p2_rx, p2_tx = o.wa.transfer()[o.wb.public_key]
    assert p3_tx > 1 << 20 and p2_tx > p3_tx, f"P3 sent {p3_tx} bytes, P2 {p2_tx}"


def test_endpoint_routed_through_its_own_tunnel_is_a_bounded_loop(topo: Topology) -> None:
    o = onion(topo)
    o.a.wait_ping("192.168.242.2")
    o.b.sh("ip link del wg1")
    o.wa.set(f"peer {o.wb1.public_key} endpoint 192.168.242.2:5")
    before = o.wa.counters().tx_bytes
    res = o.a.ping("192.168.242.2", count=1, wait=1)
    assert res.received == 0, f"a reply through a loop:\n{res.output}"
    # The loop has ended once wg0's sent bytes stop moving between two reads.
    sent = wait_until(lambda: (x := o.wa.counters().tx_bytes) == o.wa.counters().tx_bytes and x,
                      30, "wg0 to stop sending") - before
    assert sent < 64 * 1024, f"one ping into a routing loop made wg0 send {sent} bytes"
    # and the device still works: the other tunnel answers
    o.a.wait_ping("192.168.241.2")


def test_deleting_the_inner_device_of_an_onion_route_leaves_the_outer_tunnel_working(topo: Topology) -> None:
    o = onion(topo)
    o.a.wait_ping("192.168.242.2")
    o.b.sh("ip link del wg1")
    assert not o.b.link_exists("wg1")
    # P3's datagrams still go into P2's tunnel, to a port nobody listens on now: no reply
    res = o.a.ping("192.168.242.2", count=2, wait=1)
    assert res.received == 0, f"a reply from a deleted interface:\n{res.output}"
    # the outer tunnel, and P2 itself, are untouched
    o.a.ping_ok("192.168.241.2", count=3)
    send_stream(topo, o.a, o.b, "192.168.241.2", 256 << 10)
