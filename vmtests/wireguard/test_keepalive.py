"""Scenario 2: no handshake until traffic needs one; keepalives when configured, not otherwise.

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-----------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-----------------------+

Byte accounting (facts §1.2, §1.10): initiation 148, response 92, keepalive 32,
a 84-byte ping in a 128-byte data message.
"""

from __future__ import annotations

from vmtests.lib.topology import Pair, Topology, two_peers, wait_until

INITIATION, RESPONSE, KEEPALIVE, PING4_MESSAGE = 148, 92, 32, 128


def test_no_handshake_until_traffic(topo: Topology) -> None:
    p = two_peers(topo)
    # both interfaces are up and configured: nothing has been exchanged
    assert p.wa.show().peers[p.wb.public_key].latest_handshake == 0
    assert p.wb.show().peers[p.wa.public_key].latest_handshake == 0
    assert p.wa.transfer()[p.wb.public_key] == (0, 0)
    assert p.wb.transfer()[p.wa.public_key] == (0, 0)
    # B has nothing to send A yet either: a ping from B is what starts the handshake
    p.b.wait_ping(Pair.A4)
    assert p.wb.wait_handshake(p.wa) > 0
    assert p.wa.wait_handshake(p.wb) > 0
    # B initiated this time: A received the initiation, B the response
    a_rx, _ = p.wa.transfer()[p.wb.public_key]
    b_rx, _ = p.wb.transfer()[p.wa.public_key]
    assert a_rx >= INITIATION and (a_rx - INITIATION) % PING4_MESSAGE in (0, KEEPALIVE)
    assert b_rx >= RESPONSE


def test_persistent_keepalive_sends_when_configured_and_not_otherwise(topo: Topology) -> None:
    """A has persistent-keepalive 1 towards B; B has none towards A.

    A alone makes the handshake (no user traffic) and then sends one 32-byte keepalive
    a second; B answers the handshake and never sends a keepalive of its own.
    """
    p = two_peers(topo)
    p.wa.set(f"peer {p.wb.public_key} persistent-keepalive 1")
    assert p.wa.show().peers[p.wb.public_key].persistent_keepalive == 1
    assert p.wb.show().peers[p.wa.public_key].persistent_keepalive is None
    p.wb.wait_handshake(p.wa)
    b_rx = wait_until(lambda: (rx := p.wb.transfer()[p.wa.public_key][0]) >= INITIATION + 4 * KEEPALIVE and rx,
                      60, "four keepalives from A at B")
    assert (b_rx - INITIATION) % KEEPALIVE == 0, f"B received {b_rx} bytes: not an initiation plus keepalives"
    # meanwhile B sent only its handshake response, and A received only that
    assert p.wb.transfer()[p.wa.public_key][1] == RESPONSE
    assert p.wa.transfer()[p.wb.public_key][0] == RESPONSE
    p.wa.set(f"peer {p.wb.public_key} persistent-keepalive off")
    assert p.wa.show().peers[p.wb.public_key].persistent_keepalive is None


def test_passive_keepalive_follows_received_data(topo: Topology) -> None:
    """After receiving data and sending nothing for 10 s, a peer sends one keepalive;
    the peer that sent the data owes none."""
    p = two_peers(topo)
    p.a.ping_ok(Pair.B4, count=1, wait=10)
    # The exchange is over: A has its reply. Counted from here (a loaded host may have
    # retransmitted the initiation before this point, so totals are not fixed), the next
    # thing B receives is A's passive keepalive, KEEPALIVE_TIMEOUT after the reply.
    b_rx, b_tx = p.wb.transfer()[p.wa.public_key]
    assert b_rx >= INITIATION + PING4_MESSAGE and b_tx >= RESPONSE + PING4_MESSAGE, (b_rx, b_tx)
    after = wait_until(lambda: (rx := p.wb.transfer()[p.wa.public_key][0]) != b_rx and rx, 40,
                       f"A's passive keepalive at B (B had received {b_rx} bytes)")
    assert after - b_rx == KEEPALIVE, f"B received {after - b_rx} bytes after the ping, not one {KEEPALIVE}-byte keepalive"
    # B replied to the ping, so B owes no keepalive, and a keepalive asks for none back
    assert p.wb.transfer()[p.wa.public_key][1] == b_tx
