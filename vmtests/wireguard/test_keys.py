"""Scenario 5: keys -- private key changes, preshared keys, low-order public keys, peer removal.

                      ns outer (lo: 127.0.0.1)   [udp :20000 has no listener]
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+

Whether A put a packet on the wire towards an endpoint nobody listens on is read
from outer's UDP "NoPorts" counter (/proc/net/snmp): every datagram to
127.0.0.1:20000 bumps it.
"""

from __future__ import annotations

import base64

from vmtests.lib.topology import Netns, Pair, Topology, two_peers, wait_until

INITIATION, RESPONSE = 148, 92

# Curve25519 points of small order (and their non-canonical encodings): a peer with one of
# these public keys can be configured but no handshake with it can ever be computed.
LOW_ORDER_POINTS = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


def udp_no_ports(ns: Netns) -> int:
    lines = [ln.split() for ln in ns.sh("cat /proc/net/snmp").splitlines() if ln.startswith("Udp:")]
    header, values = lines[0], lines[1]
    return int(values[header.index("NoPorts")])


def test_private_key_change_forces_a_new_handshake(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    old_a = p.wa.public_key
    new_keys = topo.genkey()
    p.wa.set_private_key(new_keys)
    assert p.wa.show().public_key == new_keys.public
    # B does not know A's new identity: A's new initiations are ignored, nothing gets through
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    # B swaps the peer: traffic resumes, through a handshake made with the new key
    p.wb.remove_peer(old_a)
    p.wb.add_peer(new_keys.public, [f"{Pair.A4}/32"], endpoint=p.endpoint_a)
    p.a.wait_ping(Pair.B4, timeout=60)
    assert p.wb.peer(new_keys.public).latest_handshake > 0
    assert p.wb.peer(new_keys.public).rx_bytes >= INITIATION


def test_matching_preshared_keys_complete_a_handshake(topo: Topology) -> None:
    psk = topo.genpsk()
    p = two_peers(topo, psk=psk)
    assert p.wa.peer(p.wb).preshared_key == psk and p.wb.peer(p.wa).preshared_key == psk
    p.a.wait_ping(Pair.B4)
    p.b.ping_ok(Pair.A6, count=2)
    assert p.wa.peer(p.wb).latest_handshake > 0


def test_mismatching_preshared_keys_never_complete_a_handshake(topo: Topology) -> None:
    p = two_peers(topo, connect=False)
    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b, preshared_key=topo.genpsk())
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32"], endpoint=p.endpoint_a, preshared_key=topo.genpsk())
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    # B got A's initiation and answered it; A could not validate the answer
    wait_until(lambda: p.wb.transfer()[p.wa.public_key] >= (INITIATION, RESPONSE), 30,
               "B to receive an initiation and send a response")
    assert p.wa.transfer()[p.wb.public_key][0] == 0, "A accepted a response made with another preshared key"
    assert p.wa.latest_handshakes()[p.wb.public_key] == 0
    assert p.wb.latest_handshakes()[p.wa.public_key] == 0


def test_low_order_public_key_peers_never_get_a_packet(topo: Topology) -> None:
    keys = [base64.b64encode(bytes.fromhex(point)).decode() for point in LOW_ORDER_POINTS]
    p = two_peers(topo, connect=False)
    for i, key in enumerate(keys):
        p.wa.add_peer(key, [f"10.9.0.{50 + i}/32"], endpoint="127.0.0.1:20000")
    assert set(keys) <= set(p.wa.show().peers), "low-order public keys are accepted in the configuration"
    before = udp_no_ports(p.outer)
    addresses = " ".join(f"10.9.0.{50 + i}" for i in range(len(keys)))
    p.a.run(f"for ip in {addresses}; do ping -n -q -c 1 -W 1 $ip; done")
    assert udp_no_ports(p.outer) == before, "a datagram left A for a low-order peer"
    # control: a normal peer behind the same dead endpoint does make A send (an initiation)
    p.wa.add_peer(p.wb, ["10.9.0.60/32"], endpoint="127.0.0.1:20000")
    p.a.ping("10.9.0.60", count=1, wait=1)
    wait_until(lambda: udp_no_ports(p.outer) > before, 30, "the control peer's initiation to reach the dead port")
    state = p.wa.show()
    assert [state.peers[k].tx_bytes for k in keys] == [0] * len(keys), "A counted bytes sent to a low-order peer"
    assert state.peers[p.wb.public_key].tx_bytes >= INITIATION


def test_removing_a_peer_stops_its_traffic_at_once(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    b_rx = p.wb.transfer()[p.wa.public_key][0]
    p.wa.remove_peer(p.wb)
    assert p.wb.public_key not in p.wa.show().peers
    before = p.wa.counters()
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    assert p.wa.counters().tx_errors - before.tx_errors == 2
    assert p.wb.transfer()[p.wa.public_key][0] == b_rx, "B received something after A removed it"
    # B's packets to A are no longer accepted either
    assert p.b.ping(Pair.A4, count=2, wait=1).received == 0


def test_a_packet_sent_while_there_is_no_private_key_leaves_once_one_is_set(topo: Topology) -> None:
    """Without a private key no handshake can be made: what A sends waits, and goes out as
    soon as a key is set, with nothing more sent by A."""
    p = two_peers(topo)
    p.b.sh("iptables -w -I INPUT -i wg0 -p udp --dport 9 -j DROP -m comment --comment to-port-9")

    def delivered() -> int:
        return p.b.iptables_count("INPUT", "to-port-9")

    keys_a = p.wa.keys
    assert keys_a is not None
    p.wa.set("private-key /dev/null")
    assert p.wa.show().public_key is None, "the private key was not cleared"
    # sendto() returns once the datagram is in wg0's hands: staged, since there is no session
    p.a.sh("python3 -c 'import socket; "
           "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"staged\", (\"10.9.0.2\", 9))'")
    assert delivered() == 0
    p.wa.set_private_key(keys_a)
    wait_until(lambda: delivered() == 1, 30,
               "the datagram A sent before it had a key to reach B once A has one")
    assert p.wb.peer(p.wa).latest_handshake > 0
