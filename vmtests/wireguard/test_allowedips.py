"""Scenario 3: cryptokey routing (allowed IPs) on send and on receive.

                         ns outer (lo: 127.0.0.1) holds every UDP socket
                 :10001                 :10002                 :10003
     +------------------+     +--------------------+     +--------------------+
     | ns a   wg0       |     | ns b   wg0         |     | ns c   wg0         |
     |   10.9.0.1/24    |     |   10.9.0.2/24      |     |   10.9.0.3/24      |
     +------------------+     +--------------------+     +--------------------+
      peers: B, C (per test)   peer: A 10.9.0.1/32        peer: A 10.9.0.1/32

Facts §1.8: no peer for a destination -> not sent (ICMP unreachable, tx_errors);
an inner source outside the sending peer's allowed IPs -> dropped (rx_errors).
"""

from __future__ import annotations

from dataclasses import dataclass

from vmtests.lib.topology import Netns, Pair, Topology, WgInterface, two_peers, wait_until


@dataclass
class Three:
    pair: Pair
    c: Netns
    wc: WgInterface


def three_peers(topo: Topology, a_to_b: str, a_to_c: str) -> Three:
    """A with peers B (``a_to_b``) and C (``a_to_c``); B and C know A as 10.9.0.1/32."""
    p = two_peers(topo, connect=False)
    c = topo.netns("c")
    wc = topo.wireguard(c, created_in=p.outer, listen_port=10003, addresses=["10.9.0.3/24"])
    p.wa.add_peer(p.wb, [a_to_b], endpoint=p.endpoint_b)
    p.wa.add_peer(wc, [a_to_c], endpoint=p.endpoint(10003))
    p.wb.add_peer(p.wa, ["10.9.0.1/32"], endpoint=p.endpoint_a)
    wc.add_peer(p.wa, ["10.9.0.1/32"], endpoint=p.endpoint_a)
    return Three(p, c, wc)


def test_packet_to_address_outside_allowed_ips_is_not_sent(topo: Topology) -> None:
    p = two_peers(topo)
    before = p.wa.counters()
    res = p.a.ping("10.9.0.7", count=3, wait=1)  # on wg0's /24, but no peer has it
    assert res.received == 0
    after = p.wa.counters()
    assert after.tx_errors - before.tx_errors == 3, f"tx_errors {before.tx_errors} -> {after.tx_errors}"
    assert after.tx_bytes == before.tx_bytes
    # nothing left for B: not even a handshake
    assert p.wb.transfer()[p.wa.public_key] == (0, 0)
    assert p.wa.latest_handshakes()[p.wb.public_key] == 0


def test_packet_from_address_outside_allowed_ips_is_dropped(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.addr("wg0", "10.9.0.11/24")
    p.a.ping_ok(Pair.B4, count=1, wait=10)  # session up, from the allowed source
    before = p.wb.counters()
    rx_before = p.wb.transfer()[p.wa.public_key][0]
    res = p.a.ping(Pair.B4, count=3, wait=1, extra="-I 10.9.0.11")
    assert res.received == 0, "B answered a source outside A's allowed IPs"
    after = p.wb.counters()
    # B decrypted the three packets and dropped them as errors, not as traffic from A
    assert after.rx_errors - before.rx_errors == 3, f"rx_errors {before.rx_errors} -> {after.rx_errors}"
    assert p.wb.transfer()[p.wa.public_key][0] == rx_before
    # the allowed source still works
    p.a.ping_ok(Pair.B4, count=1)


def test_longest_prefix_match_between_two_peers(topo: Topology) -> None:
    t = three_peers(topo, a_to_b="10.9.0.0/24", a_to_c="10.9.0.3/32")
    p = t.pair
    t_c = t.wc
    p.a.wait_ping("10.9.0.3")
    p.a.wait_ping(Pair.B4)
    b_before = p.wa.transfer()[p.wb.public_key]
    c_before = p.wa.transfer()[t_c.public_key]
    p.a.ping_ok("10.9.0.3", count=4)
    b_after = p.wa.transfer()[p.wb.public_key]
    c_after = p.wa.transfer()[t_c.public_key]
    assert c_after[1] - c_before[1] >= 4 * 128, "the /32 of C did not carry the pings to 10.9.0.3"
    assert b_after[1] == b_before[1], "pings to 10.9.0.3 went to B's broader /24"
    # and 10.9.0.2 still goes through B's /24
    p.a.ping_ok(Pair.B4, count=2)
    assert p.wa.transfer()[p.wb.public_key][1] - b_after[1] >= 2 * 128


def test_replacing_allowed_ips_takes_effect_at_once(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    p.wa.set(f"peer {p.wb.public_key} allowed-ips 10.9.0.99/32")  # replaces the list
    assert p.wa.peer(p.wb).allowed_ips == ("10.9.0.99/32",)
    before = p.wa.counters()
    assert p.a.ping(Pair.B4, count=1, wait=1).received == 0
    assert p.wa.counters().tx_errors == before.tx_errors + 1
    p.wa.set(f"peer {p.wb.public_key} allowed-ips {Pair.B4}/32,{Pair.B6}/128")
    p.a.ping_ok(Pair.B4, count=1, wait=5)
    p.a.ping_ok(Pair.B6, count=1, wait=5)


def test_removing_allowed_ips_takes_effect_at_once(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    p.wa.set(f"peer {p.wb.public_key} allowed-ips ''")
    assert p.wa.peer(p.wb).allowed_ips == ()
    assert p.a.ping(Pair.B4, count=1, wait=1).received == 0
    assert p.a.ping(Pair.B6, count=1, wait=1).received == 0
    # B removing A's IPs drops what A still sends: the reply path is closed too
    p.wa.set(f"peer {p.wb.public_key} allowed-ips {Pair.B4}/32")
    p.a.ping_ok(Pair.B4, count=1, wait=5)
    p.wb.set(f"peer {p.wa.public_key} allowed-ips ''")
    before = p.wb.counters()
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    assert p.wb.counters().rx_errors - before.rx_errors == 2


def test_prefix_moves_to_the_peer_it_was_given_to_last(topo: Topology) -> None:
    t = three_peers(topo, a_to_b="10.9.0.0/24", a_to_c="10.9.0.3/32")
    p = t.pair
    p.wa.set(f"peer {t.wc.public_key} allowed-ips 10.9.0.3/32,10.9.0.0/24")
    state = p.wa.show()
    assert state.peers[p.wb.public_key].allowed_ips == ()
    assert set(state.peers[t.wc.public_key].allowed_ips) == {"10.9.0.3/32", "10.9.0.0/24"}
    # traffic to B's address now goes to C, which does not have it: no reply, C counts the bytes
    c_rx = t.wc.transfer().get(p.wa.public_key, (0, 0))[0]
    assert p.a.ping(Pair.B4, count=1, wait=2).received == 0
    wait_until(lambda: t.wc.transfer()[p.wa.public_key][0] > c_rx, 30, "C to receive the ping meant for B")
    assert p.wb.transfer()[p.wa.public_key] == (0, 0)
