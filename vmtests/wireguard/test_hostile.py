"""Scenario 11: hostile input at the listening port, sent from another namespace.

                      ns outer (lo: 127.0.0.1)  <- attacker: guest_udp.py / udp_blast here
          wg0(A) socket :10001            wg0(B) socket :10002  <- target
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+

For the replay test A reaches B through a relay in outer that sends every
datagram twice:   A :10001 -> relay 127.0.0.1:10050 (x2) -> B :10002 (and back, x2)
For the forged-counter test the relay puts two forged copies of each data message
(counter +2^40 and 2^64-1) in front of the genuine one on the way to B.
For the flood test udp_blast (C, compiled on the host) sends B initiations with a valid
mac1 that cookie_flood.py made, until B is under load and answers with cookie replies;
cookie_flood.py then checks those replies cryptographically.

Message sizes (facts §1.2): initiation 148, response 92, cookie reply 64, data >= 32.
"""

from __future__ import annotations

import os
import shlex
import struct

from vmtests.lib.topology import Pair, Topology, two_peers, wait_until


def header(kind: int) -> bytes:
    return struct.pack("<I", kind)


def hostile_messages() -> dict[str, list[bytes]]:
    r = os.urandom
    return {
        "empty and tiny": [b"", b"\x01", b"\x04\x00\x00"],
        "truncated": [header(1) + r(143), header(2) + r(87), header(3) + r(59), header(4) + r(27)],
        "one byte too long": [header(1) + r(145), header(2) + r(89), header(3) + r(61)],
        "unknown types": [header(0) + r(144), header(5) + r(144), header(255) + r(88), b"\xff" * 148],
        "non-zero reserved bytes": [b"\x01\x01\x00\x00" + r(144), b"\x02\x00\x00\x01" + r(88),
                                    b"\x04\x00\x01\x00" + r(60)],
        "bad mac1": [header(1) + r(144) for _ in range(20)] + [header(2) + r(88) for _ in range(20)],
        "cookie replies for nobody": [header(3) + r(60) for _ in range(20)],
        "data for unknown indices": [header(4) + r(4) + struct.pack("<Q", c) + r(48)
                                     for c in (0, 1, 2**63, 2**64 - 1, 2**64 - 8192)],
        "random bytes": [r(n) for n in (1, 7, 31, 32, 33, 64, 92, 148, 500, 1400)],
    }


def fields(output: str) -> dict[str, int]:
    """The ``key=N ...`` summary line the guest tool prints last."""
    return {k: int(v) for k, v in (f.split("=", 1) for f in output.strip().splitlines()[-1].split())}


def test_malformed_messages_are_dropped_without_state_change(topo: Topology) -> None:
    p = two_peers(topo)
    tool = topo.put_tool("guest_udp.py")
    messages = hostile_messages()
    lines = ["-" if not m else m.hex() for batch in messages.values() for m in batch]
    topo.put_text(f"{topo.workdir}/hostile.hex", "\n".join(lines) + "\n")
    before = p.wb.show()
    out = p.outer.sh(f"timeout 240 python3 {tool} send {topo.workdir}/hostile.hex 127.0.0.1 {p.port_b} 50", timeout=300)
    assert fields(out)["sent"] == 50 * len(lines)
    # v6 too, to the same socket pair
    p.outer.sh(f"timeout 240 python3 {tool} send {topo.workdir}/hostile.hex ::1 {p.port_b} 5", timeout=300)
    after = p.wb.show()
    assert after == before, f"hostile input changed B's state:\n{before}\n---\n{after}"
    assert p.wb.counters().rx_packets == 0, "a hostile datagram was delivered through wg0"
    # and B still serves its real peer
    p.a.wait_ping(Pair.B4)
    assert p.wb.peer(p.wa).latest_handshake > 0
    assert p.wb.peer(p.wa).endpoint == p.endpoint_a


def relay_between(topo: Topology, mode: str, relay_port: int = 10050):
    """Two peers whose A reaches B only through a relay in ``outer`` running in ``mode``."""
    p = two_peers(topo, connect=False)
    tool = topo.put_tool("guest_udp.py")
    p.outer.spawn(f"python3 {tool} relay {relay_port} {p.port_b} {mode}")
    wait_until(lambda: str(relay_port) in p.outer.sh("ss -Hlun"), 30, "the relay to listen")
    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint(relay_port))
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32"], endpoint=p.endpoint_a)
    return p


def test_replayed_packets_are_dropped(topo: Topology) -> None:
    p = relay_between(topo, "twice")
    res = p.a.ping_ok(Pair.B4, count=10, interval=0.2, wait=10)
    assert "duplicates" not in res.output, f"a replayed packet was delivered:\n{res.output}"
    # each side counted every message once: the second copies were refused
    a_rx, a_tx = p.wa.transfer()[p.wb.public_key]
    b_rx, b_tx = p.wb.transfer()[p.wa.public_key]
    assert a_rx == 92 + 10 * 128, f"A received {a_rx} bytes"
    assert b_tx == 92 + 10 * 128, f"B sent {b_tx} bytes"
    assert b_rx in (148 + 10 * 128, 148 + 10 * 128 + 32), f"B received {b_rx} bytes"


def test_forged_far_future_counters_neither_count_nor_move_the_replay_window(topo: Topology) -> None:
    p = relay_between(topo, "forge")
    # Were a forged counter accepted into the window before authentication, every genuine
    # packet after it would be "too old" and the pings would go unanswered.
    p.a.ping_ok(Pair.B4, count=10, interval=0.2, wait=10)
    b_rx, _ = p.wb.transfer()[p.wa.public_key]
    assert b_rx in (148 + 10 * 128, 148 + 10 * 128 + 32), f"B counted {b_rx} received bytes: forged ones too"


def test_handshake_flood_gets_cookie_replies_and_the_real_peer_still_connects(topo: Topology) -> None:
    p = two_peers(topo)
    topo.put_tool("initiator.py")   # cookie_flood.py takes its AEAD from it, next to it in the guest
    flood = topo.put_tool("cookie_flood.py")
    blast = topo.put_compiled("udp_blast.c")
    work = topo.workdir
    p.outer.sh(shlex.join(["python3", flood, "make", p.wb.public_key, f"{work}/initiations"]))
    # The compiled sender hands the kernel bursts of 256 initiations per system call: the
    # handshake queue fills much faster than the responder's workers empty it (each
    # initiation costs them an X25519), whatever the guest's speed, so B goes under load.
    pid = p.outer.spawn(shlex.join([blast, "127.0.0.1", str(p.port_b), f"{work}/initiations", "148",
                                    "64", "03000000", f"{work}/replies", f"{work}/flood", "600"]),
                        log=f"{work}/flood.out")
    # B is under load once its first cookie reply came back (the sender then creates flood.replied)
    wait_until(lambda: p.outer.run(f"test -e {work}/flood.replied").ok or not topo.alive(pid), 300,
               "a cookie reply to the flood", interval=1)
    p.outer.sh(f"touch {work}/flood.stop")
    wait_until(lambda: not topo.alive(pid), 60, "the sender to stop and print its summary", interval=1)
    out = p.outer.sh(f"cat {work}/flood.out")
    assert "sent=" in out, f"the sender printed no summary:\n{out}"
    result = fields(out)
    assert result["sent"] > 0, out
    assert result["replies"] > 0, f"no cookie reply under a flood of initiations: {result}"
    assert result["other"] == 0, f"B answered garbage initiations with something else: {result}"
    verdict = fields(p.outer.sh(shlex.join(["python3", flood, "check", p.wb.public_key, f"{work}/initiations",
                                            f"{work}/replies"]), timeout=300))
    assert verdict["checked"] == min(result["replies"], 64) and verdict["bad"] == 0, \
        f"cookie replies that do not open with B's cookie key and the answered mac1: {verdict}"
    state = p.wb.show()
    assert list(state.peers) == [p.wa.public_key] and state.peers[p.wa.public_key].latest_handshake == 0
    p.a.wait_ping(Pair.B4, timeout=90)
    assert p.wb.peer(p.wa).latest_handshake > 0
    # Once the flood is over B leaves the under-load state: a fresh handshake of A's is
    # answered by a response alone. (Under load B answers an initiation without mac2, as
    # A's first one is, with a cookie reply, 64 bytes, and only A's retry carrying mac2 with
    # a response.) B may still be working through the flood's backlog at first, so A starts
    # afresh until one handshake draws no cookie reply.
    p.outer.sh(shlex.join(["iptables", "-w", "-A", "INPUT", "-i", "lo", "-p", "udp", "--sport", str(p.port_b),
                           "--dport", str(p.port_a), "-m", "length", "--length", str(20 + 8 + 64),
                           "-m", "comment", "--comment", "cookie-replies-to-a", "-j", "ACCEPT"]))

    def a_handshakes_afresh_without_a_cookie_reply() -> bool:
        p.outer.sh("iptables -w -Z INPUT")
        p.wa.remove_peer(p.wb)
        p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b)
        p.a.wait_ping(Pair.B4, timeout=90)
        return p.outer.iptables_count("INPUT", "cookie-replies-to-a") == 0

    wait_until(a_handshakes_afresh_without_a_cookie_reply, 600, "a handshake of A's that B answers without a "
               "cookie reply: B stays under load after the flood", interval=0)
