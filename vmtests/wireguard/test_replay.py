"""Replays: handshake initiations and data messages sent again, from the same or another
address, and data reordered within the replay window.

                      ns outer (lo: 127.0.0.0/8)   <- guest_udp.py recorder / relay / sender here
          wg0(A) socket :10001            wg0(B) socket :10002  <- target of the replays
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 |          | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+

A reaches B through a relay on 127.0.0.1:10050 that records (or reorders) A's datagrams:
    A :10001 -> relay :10050 -> B :10002 (and back)
Recorded messages are sent to B again by guest_udp.py `exchange`, from the relay's own
address and port (once the relay is gone), from 127.0.0.1:10071.. or from 127.0.0.2;
it collects what B answers.

Checked: the initiation of a completed handshake, sent again (the same timestamp) from
the same address and port, another port or another address, gets no answer and moves
nothing (endpoint, handshake time, counters); with B's peer for A removed, it is an
initiation from an unknown static key and gets no answer; with the peer added again (no
timestamp seen yet) the same datagram is answered, which shows it was valid. A data
message replayed from other addresses is neither delivered again (B's stack sees one echo
request) nor counted and does not move the endpoint. Data messages reordered within the
window are all delivered, each counted once.

"No answer" is bounded: the sender waits 3 s for a reply, where the valid initiation
was answered at once. That the replayed data message was dealt with is shown by a later
genuine message on the same peer's in-order receive path being counted after it.
"""

from __future__ import annotations

import shlex

from vmtests.lib.topology import Netns, Pair, Topology, run, two_peers, wait_until

INITIATION, RESPONSE, KEEPALIVE, PING4_MESSAGE = 148, 92, 32, 128


def fields(output: str) -> dict[str, str]:
    return dict(f.split("=", 1) for f in output.strip().splitlines()[-1].split() if "=" in f)


def datagrams(topo: Topology, path: str) -> list[bytes]:
    return [bytes.fromhex(ln) for ln in run(topo.vm, f"cat {path} 2>/dev/null").output.split()]


def in_echos(ns: Netns) -> int:
    """ICMP echo requests the namespace's stack received (/proc/net/snmp Icmp InEchos)."""
    lines = [ln.split() for ln in ns.sh("cat /proc/net/snmp").splitlines() if ln.startswith("Icmp:")]
    return int(lines[1][lines[0].index("InEchos")])


def exchange(topo: Topology, p: Pair, hex_file: str, src: str, port: int) -> list[int]:
    """Send the datagrams of ``hex_file`` to B from ``src``:``port``; the sizes of B's answers."""
    tool = f"{topo.workdir}/guest_udp.py"
    out = p.outer.sh(shlex.join(["timeout", "60", "python3", tool, "exchange", hex_file, "127.0.0.1",
                                 str(p.port_b), src, str(port), "3"]))
    f = fields(out)
    return [int(n) for n in f["sizes"].split(",") if n]


def test_replayed_initiations_get_no_answer_and_move_nothing(topo: Topology) -> None:
    recorded = f"{topo.workdir}/recorded"
    p, relay_pid = relay(topo, f"record:{recorded}")
    p.a.ping_ok(Pair.B4, count=1, wait=10)
    p.wb.wait_handshake(p.wa)
    # Wait for A's passive keepalive (10 s after B's reply): from then on neither side owes the
    # other anything, so no timer of B's sends or changes anything while the replays go on.
    # (a loaded host may have made A retransmit its initiation: B counts whole initiations)
    wait_until(lambda: (rx := p.wb.transfer()[p.wa.public_key][0] - PING4_MESSAGE - KEEPALIVE) >= INITIATION
               and rx % INITIATION == 0, 40, "A's passive keepalive at B")
    initiations = [d for d in datagrams(topo, recorded) if len(d) == INITIATION and d[0] == 1]
    assert initiations, "the relay recorded no initiation"
    one = f"{topo.workdir}/initiation"
    topo.put_text(one, initiations[-1].hex() + "\n")
    state = p.wb.peer(p.wa)
    assert state.endpoint is not None
    relay_address, relay_port = state.endpoint.rsplit(":", 1)
    # handshake times have a resolution of one second: let the guest's clock pass this one
    wait_until(lambda: int(p.b.sh("date +%s")) > state.latest_handshake, 10, "the guest clock to pass the handshake")
    # the relay goes, so its address and port (B's endpoint for A) can send the replay
    p.outer.sh(f"kill {relay_pid}")
    wait_until(lambda: f":{relay_port} " not in p.outer.sh("ss -Huan") + " ", 30, "the relay's socket to close")
    for src, port in ((relay_address, int(relay_port)), ("127.0.0.1", 10071), ("127.0.0.2", 10072)):
        assert exchange(topo, p, one, src, port) == [], f"B answered a replayed initiation from {src}:{port}"
        assert p.wb.peer(p.wa) == state, f"a replayed initiation from {src}:{port} changed B's peer"

    # B forgets A's static key: the same initiation is now from an unknown key, and ignored
    p.wb.remove_peer(p.wa)
    assert exchange(topo, p, one, "127.0.0.1", 10073) == [], "B answered an initiation from an unknown key"
    assert p.wb.show().peers == {}
    # control: B knows the key again, as a new peer with no timestamp seen: the very same
    # initiation is answered, so it was ignored above for its unknown key alone
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32"])
    assert exchange(topo, p, one, "127.0.0.1", 10073) == [RESPONSE], "B did not answer a valid initiation"
    got = p.wb.peer(p.wa)
    assert (got.endpoint, got.rx_bytes, got.tx_bytes) == ("127.0.0.1:10073", INITIATION, RESPONSE), got


def relay(topo: Topology, mode: str) -> tuple[Pair, int]:
    """A reaches B only through a relay in outer on :10050 in ``mode``; returns the pair and the relay's pid."""
    p = two_peers(topo, connect=False)
    tool = topo.put_tool("guest_udp.py")
    pid = p.outer.spawn(f"python3 {tool} relay 10050 {p.port_b} {shlex.quote(mode)}", log=f"{topo.workdir}/relay.log")
    wait_until(lambda: "127.0.0.1:10050" in p.outer.sh("ss -Hlun"), 30, "the relay to listen")
    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint(10050))
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32"], endpoint=p.endpoint_a)
    return p, pid


def test_replayed_data_from_another_address_is_not_delivered_and_moves_nothing(topo: Topology) -> None:
    recorded = f"{topo.workdir}/recorded"
    p, _ = relay(topo, f"record:{recorded}")
    p.a.ping_ok(Pair.B4, count=1, wait=10)
    endpoint = p.wb.peer(p.wa).endpoint
    assert endpoint is not None and endpoint.startswith("127.0.0.1:") and endpoint != p.endpoint_a
    pings = [d for d in datagrams(topo, recorded) if d[0] == 4 and len(d) == PING4_MESSAGE]
    assert len(pings) == 1, f"recorded {len(pings)} data messages of a ping"
    topo.put_text(f"{topo.workdir}/data", pings[0].hex() + "\n")
    # A may send its passive keepalive (10 s after B's reply) meanwhile: B may count 32 bytes
    # more. B owes none (it replied).
    b_rx, b_tx = p.wb.transfer()[p.wa.public_key]
    echos = in_echos(p.b)
    # the captured echo request, from other addresses, twice each
    for src, port in (("127.0.0.2", 10080), ("127.0.0.1", 10081)):
        assert exchange(topo, p, f"{topo.workdir}/data", src, port) == [], \
            f"B answered a replayed data message from {src}:{port}"
    # a genuine packet after them on the same peer: once it is counted, the replays were handled
    p.a.ping_ok(Pair.B4, count=1, wait=10)
    rx, tx = p.wb.transfer()[p.wa.public_key]
    extra_keepalive = (rx - b_rx) - PING4_MESSAGE
    assert extra_keepalive in (0, KEEPALIVE), f"B counted {rx - b_rx} bytes from A: replays counted"
    assert tx - b_tx == PING4_MESSAGE, f"B sent {tx - b_tx} bytes: it answered a replayed echo request"
    assert in_echos(p.b) - echos == 1, "B's stack received a replayed echo request"
    assert p.wb.peer(p.wa).endpoint == endpoint, "a replayed data message moved B's endpoint for A"


def test_reordered_data_within_the_window_is_all_delivered(topo: Topology) -> None:
    p, _ = relay(topo, "reorder")
    res = p.a.ping(Pair.B4, count=8, interval=0.2, wait=10)
    assert res.received == 8 and "duplicates" not in res.output, res.output
    batches = [[int(c) for c in ln.split("=", 1)[1].split(",")]
               for ln in p.outer.sh(f"cat {topo.workdir}/relay.log").splitlines() if ln.startswith("counters=")]
    sent = [c for batch in batches for c in batch]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 8, f"relay forwarded counters {batches}"
    assert any(batch != sorted(batch) for batch in batches), f"nothing was reordered: {batches}"
    b_rx, b_tx = p.wb.transfer()[p.wa.public_key]
    assert b_rx in (INITIATION + 8 * PING4_MESSAGE, INITIATION + 8 * PING4_MESSAGE + KEEPALIVE), b_rx
    assert b_tx == RESPONSE + 8 * PING4_MESSAGE, b_tx
    a_rx, _ = p.wa.transfer()[p.wb.public_key]
    assert a_rx == RESPONSE + 8 * PING4_MESSAGE, a_rx
