"""Cryptokey routing as a source filter: a peer may only send from addresses it is allowed.

                           ns outer (lo: 127.0.0.1): the three UDP sockets
     +--------------------------------+   +------------------------------+   +------------------------------+
     | ns a   wg0 :10001 10.9.0.1/24  |   | ns b   wg0 :10002 (:10012)   |   | ns c   wg0 :10003            |
     |   peer B: 10.9.0.0/24          |   |   10.9.0.2/24, 10.9.0.200/32 |   |   10.9.0.3/24, 10.9.0.200/32 |
     |   peer C: 10.9.0.3/32,         |   |   peer A: 10.9.0.1/32        |   |   peer A: 10.9.0.1/32        |
     |           10.9.0.128/25        |   +------------------------------+   +------------------------------+
     |   iptables INPUT -i wg0        |
     |     -s 10.9.0.200 (counts)     |
     +--------------------------------+

10.9.0.200 is inside B's 10.9.0.0/24 but also inside C's more specific 10.9.0.128/25, so at A
it belongs to C. Checked:
- C's echo from 10.9.0.200 is delivered (A's INPUT rule counts it) and answered;
- B's echo from 10.9.0.200, authentic as it is, is not delivered to A's stack (the rule does not
  move, no reply) and is counted as a receive error on A's wg0; B's echoes from 10.9.0.2 pass;
- B's endpoint at A still follows B's authenticated packets: after B moves its socket to port
  10012 and sends only that one dropped echo, A's endpoint for B is 127.0.0.1:10012.
"""

from __future__ import annotations

from vmtests.lib.topology import Netns, Topology, WgInterface, sh, wait_until

SHARED = "10.9.0.200"
# one 84-byte echo, padded to 96, in a 16 + 96 + 16 = 128-byte data message
ECHO_MESSAGE = 128


def delivered(a: Netns) -> int:
    return a.iptables_count("INPUT", "from-shared")


def setup(topo: Topology) -> tuple[Netns, Netns, Netns, WgInterface, WgInterface, WgInterface]:
    outer, a, b, c = topo.netnses("outer", "a", "b", "c")
    ka, kb, kc = topo.genkeys(3)
    wa = WgInterface(topo, a, "wg0", ka, 10001, outer)
    wb = WgInterface(topo, b, "wg0", kb, 10002, outer)
    wc = WgInterface(topo, c, "wg0", kc, 10003, outer)
    sh(topo.vm, " && ".join([
        wa.create_command(["10.9.0.1/24"]),
        wb.create_command(["10.9.0.2/24", f"{SHARED}/32"]),
        wc.create_command(["10.9.0.3/24", f"{SHARED}/32"]),
        wa.add_peer_command(wb, ["10.9.0.0/24"], endpoint="127.0.0.1:10002"),
        wa.add_peer_command(wc, ["10.9.0.3/32", "10.9.0.128/25"], endpoint="127.0.0.1:10003"),
        wb.add_peer_command(wa, ["10.9.0.1/32"], endpoint="127.0.0.1:10001"),
        wc.add_peer_command(wa, ["10.9.0.1/32"], endpoint="127.0.0.1:10001"),
    ]))
    a.sh(f"iptables -A INPUT -i wg0 -s {SHARED} -m comment --comment from-shared")
    return a, b, c, wa, wb, wc


def test_a_source_allowed_to_another_peer_is_dropped(topo: Topology) -> None:
    a, b, c, wa, wb, wc = setup(topo)
    b.wait_ping("10.9.0.1")
    c.wait_ping("10.9.0.1")
    assert delivered(a) == 0

    # C owns 10.9.0.200 at A: its echo is delivered and answered
    c.ping_ok("10.9.0.1", count=2, extra=f"-I {SHARED}")
    assert delivered(a) == 2

    # B's echo from the same address authenticates as B, but B may not send from it
    errors = wa.counters().rx_errors
    assert b.ping("10.9.0.1", count=2, wait=1, extra=f"-I {SHARED}").received == 0
    assert delivered(a) == 2, "A delivered B's packets from an address allowed only to C"
    assert wa.counters().rx_errors - errors == 2, "A did not count B's two misrouted packets as errors"
    b.ping_ok("10.9.0.1", count=2)


def test_the_endpoint_follows_even_a_packet_dropped_for_its_source(topo: Topology) -> None:
    a, b, c, wa, wb, wc = setup(topo)
    b.wait_ping("10.9.0.1")
    # A's echo last: B's last packet is its reply, so B owes A no passive keepalive
    a.ping_ok("10.9.0.2")
    assert wa.peer(wb).endpoint == "127.0.0.1:10002"

    # B's socket moves; the one packet B then sends is an echo from 10.9.0.200
    wb.set("listen-port 10012")
    sent = wb.peer(wa).tx_bytes
    assert b.ping("10.9.0.1", count=1, wait=1, extra=f"-I {SHARED}").received == 0
    assert wb.peer(wa).tx_bytes - sent == ECHO_MESSAGE, "B sent something besides the one echo"
    assert delivered(a) == 0
    wait_until(lambda: wa.peer(wb).endpoint == "127.0.0.1:10012", 10,
               "A's endpoint for B to follow B's authenticated (though dropped) packet to port 10012")
    # and the tunnel works from there
    b.ping_ok("10.9.0.1", count=2)
    assert wa.peer(wb).endpoint == "127.0.0.1:10012"
