"""The interface's link state: the listening socket, persistent keepalives and sessions across down/up.

                      ns outer (lo: 127.0.0.1)   iptables OUTPUT counters on lo for the
                                                 dead ports 127.0.0.1:20000-20006 and :20100
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     | (brought down and up)   |          |                         |
     +-------------------------+          +-------------------------+

Checked:
- the listening port is closed while the interface is down (`ss -uln` does not show it and
  userspace can bind it) and open again, v4 and v6, once it is up;
- peers given a persistent keepalive while the interface is down: nothing reaches B before
  the link comes up; on up, with no user traffic, A makes a handshake with B;
- a working tunnel cycled down and up makes a new handshake (latest handshake moves on
  both sides) and carries traffic;
- a private key set on a running interface starts the persistent keepalives (a handshake
  follows with no user traffic);
- peers whose public keys are low-order points, given a persistent keepalive while the
  link is down, get no datagram at all when it comes up, while a normal peer configured
  the same way gets its initiation and, 5 s later, its retransmission.
"""

from __future__ import annotations

import base64
import shlex

from vmtests.lib.topology import Netns, Pair, Topology, WgInterface, sh, two_peers, wait_until
from vmtests.wireguard.test_keys import LOW_ORDER_POINTS

INITIATION, RESPONSE, KEEPALIVE = 148, 92, 32

BIND = ("python3 -c 'import socket,sys; f=socket.AF_INET6 if \":\" in sys.argv[1] else socket.AF_INET; "
        "s=socket.socket(f, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2]))); print(\"bound\")' ")


def handshakes_and_keepalives_only(p: Pair) -> None:
    """What went between A and B is handshake messages and keepalives, no data: B received
    initiations and keepalives from A, A received responses from B."""
    b_rx = p.wb.transfer()[p.wa.public_key][0]
    a_rx = p.wa.transfer()[p.wb.public_key][0]
    assert any((b_rx - n * INITIATION) % KEEPALIVE == 0 for n in range(1, b_rx // INITIATION + 1)), \
        f"B received {b_rx} bytes from A: not initiations and keepalives alone"
    assert a_rx > 0 and a_rx % RESPONSE == 0, f"A received {a_rx} bytes from B: not handshake responses alone"


def listening(ns: Netns, port: int) -> set[str]:
    """The local addresses with a UDP socket on ``port`` (``ss -Huln``)."""
    out = set()
    for line in ns.sh("ss -Huln").splitlines():
        f = line.split()
        if len(f) >= 4 and f[3].rsplit(":", 1)[-1] == str(port):
            out.add(f[3].rsplit(":", 1)[0])
    return out


def can_bind(ns: Netns, address: str, port: int) -> bool:
    r = ns.run(BIND + f"{shlex.quote(address)} {port}")
    if r.ok and "bound" in r.output:
        return True
    assert "Address already in use" in r.output, r.output
    return False


def test_listening_port_is_closed_while_down(topo: Topology) -> None:
    a = topo.netns("a")
    w = topo.wireguard(a, listen_port=10001, up=False)
    assert w.show().listen_port == 10001
    assert listening(a, 10001) == set(), "a socket listens on the port of an interface that is down"
    assert can_bind(a, "0.0.0.0", 10001) and can_bind(a, "::", 10001)
    a.sh("ip link set wg0 up")
    assert listening(a, 10001) == {"0.0.0.0", "[::]"}, listening(a, 10001)
    assert not can_bind(a, "0.0.0.0", 10001) and not can_bind(a, "::", 10001)
    a.sh("ip link set wg0 down")
    assert listening(a, 10001) == set()
    assert can_bind(a, "0.0.0.0", 10001) and can_bind(a, "::", 10001)
    assert w.show().listen_port == 10001, "the configured port was lost on down"


def pair_with_a_down(topo: Topology, keepalive: int, with_key: bool = True) -> Pair:
    """two_peers, but A's interface is created down (and without a key if ``with_key`` is false)."""
    outer, a, b = topo.netnses("outer", "a", "b")
    ka, kb = topo.genkeys(2)
    wa = WgInterface(topo, a, "wg0", ka if with_key else None, 10001, outer)
    wb = WgInterface(topo, b, "wg0", kb, 10002, outer)
    p = Pair(topo, outer, a, b, wa, wb, 10001, 10002, "127.0.0.1")
    sh(topo.vm, " && ".join([
        wa.create_command([f"{Pair.A4}/24"], up=not with_key),
        wb.create_command([f"{Pair.B4}/24"]),
        wb.add_peer_command(ka.public, [f"{Pair.A4}/32"], endpoint=p.endpoint_a),
    ]))
    if not with_key:
        wa.keys = ka
    wa.add_peer(wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b, persistent_keepalive=keepalive)
    return p


def test_keepalive_configured_while_down_is_sent_on_up(topo: Topology) -> None:
    # 100 s: only the keepalive sent when the link comes up can start this handshake in time
    p = pair_with_a_down(topo, keepalive=100)
    assert p.wa.peer(p.wb).persistent_keepalive == 100
    assert p.wb.transfer()[p.wa.public_key] == (0, 0), "B heard from A while A's interface was down"
    assert listening(p.outer, 10001) == set()
    p.a.sh("ip link set wg0 up")
    p.wb.wait_handshake(p.wa, timeout=45)
    p.wa.wait_handshake(p.wb, timeout=45)
    # the initiator confirms the new session with a keepalive (it had nothing else to send)
    wait_until(lambda: p.wb.transfer()[p.wa.public_key][0] >= INITIATION + KEEPALIVE, 30,
               "A's keepalive after the handshake")
    handshakes_and_keepalives_only(p)


def test_cycled_tunnel_makes_a_new_handshake_and_carries_traffic(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    first_a, first_b = p.wa.wait_handshake(p.wb), p.wb.wait_handshake(p.wa)
    # handshake times have a resolution of one second: let the guest's clock pass the newer one
    newest = max(first_a, first_b)
    wait_until(lambda: int(p.a.sh("date +%s")) > newest, 10, "the guest clock to pass the first handshake")
    b_rx = p.wb.transfer()[p.wa.public_key][0]
    p.a.sh("ip link set wg0 down && ip link set wg0 up")
    p.a.wait_ping(Pair.B4)
    assert p.wa.wait_handshake(p.wb, newer_than=first_a) > first_a
    assert p.wb.wait_handshake(p.wa, newer_than=first_b) > first_b
    # the session before the cycle was dropped: B received a new initiation
    assert p.wb.transfer()[p.wa.public_key][0] >= b_rx + INITIATION
    p.a.ping_ok(Pair.B4, count=3)
    p.b.ping_ok(Pair.A4, count=3)


def test_private_key_set_on_a_running_interface_starts_keepalives(topo: Topology) -> None:
    # 100 s, as above: the handshake must come from setting the key
    p = pair_with_a_down(topo, keepalive=100, with_key=False)
    state = p.wa.show()
    assert state.private_key is None and state.peers[p.wb.public_key].persistent_keepalive == 100
    # without a key A can make no initiation: B has heard nothing
    assert p.wb.transfer()[p.wa.public_key] == (0, 0)
    assert p.wa.keys is not None
    p.wa.set_private_key(p.wa.keys)
    p.wb.wait_handshake(p.wa, timeout=45)
    p.wa.wait_handshake(p.wb, timeout=45)
    wait_until(lambda: p.wb.transfer()[p.wa.public_key][0] >= INITIATION + KEEPALIVE, 30,
               "A's keepalive after the handshake")
    handshakes_and_keepalives_only(p)


def test_low_order_peers_get_nothing_when_the_link_comes_up(topo: Topology) -> None:
    outer, a = topo.netnses("outer", "a")
    wa = topo.wireguard(a, created_in=outer, listen_port=10001, addresses=[f"{Pair.A4}/24"], up=False)
    outer.sh("iptables -w -A OUTPUT -o lo -p udp --dport 20000:20006 -m comment --comment low-order -j ACCEPT && "
             "iptables -w -A OUTPUT -o lo -p udp --dport 20100 -m comment --comment normal -j ACCEPT")
    keys = [base64.b64encode(bytes.fromhex(point)).decode() for point in LOW_ORDER_POINTS]
    for i, key in enumerate(keys):
        wa.add_peer(key, [f"10.9.0.{50 + i}/32"], endpoint=f"127.0.0.1:{20000 + i}", persistent_keepalive=1)
    normal = topo.genkey().public
    wa.add_peer(normal, ["10.9.0.60/32"], endpoint="127.0.0.1:20100", persistent_keepalive=1)
    state = wa.show()
    assert set(state.peers) == set(keys) | {normal}
    assert {s.persistent_keepalive for s in state.peers.values()} == {1}
    assert (outer.iptables_count("OUTPUT", "low-order"), outer.iptables_count("OUTPUT", "normal")) == (0, 0)
    a.sh("ip link set wg0 up")
    # The normal peer gets its initiation at once and, nobody answering, its retransmission
    # REKEY_TIMEOUT (5 s) later: by then every peer has had its keepalive on up, its
    # 1 s persistent keepalives and a retransmission time of its own.
    wait_until(lambda: outer.iptables_count("OUTPUT", "normal") >= 2, 60,
               "the normal peer's initiation and its retransmission")
    assert outer.iptables_count("OUTPUT", "low-order") == 0, "a datagram left A for a peer with a low-order public key"
    state = wa.show()
    assert [state.peers[k].tx_bytes for k in keys] == [0] * len(keys)
    assert state.peers[normal].tx_bytes >= 2 * INITIATION
