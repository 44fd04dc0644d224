"""Scenario 12: protocol timers (rekey after time, expiry of old keys) without waiting minutes.

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+

Needs our module's debug-only parameter /sys/module/wireguard/parameters/time_divisor
(WG_DEBUG=1 builds): every protocol duration is divided by it. With 60,
REKEY_AFTER_TIME 120 s -> 2 s and REJECT_AFTER_TIME 180 s -> 3 s. The kernel's own
WireGuard has no such parameter, so these tests cannot run against "reference".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vmtests.lib.implementation import debug_parameter
from vmtests.lib.topology import Pair, Topology, run, two_peers, wait_until

DIVISOR = 60
INITIATION = 148


@pytest.fixture
def scaled_time(topo: Topology, implementation: str) -> Iterator[int]:
    with debug_parameter(topo.vm, implementation, "time_divisor", DIVISOR, 1,
                         "timer-scaling parameter") as divisor:
        yield divisor


def guest_now(topo: Topology) -> int:
    return int(run(topo.vm, "date +%s").output.strip())


def test_initiator_rekeys_after_rekey_after_time(topo: Topology, scaled_time: int) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    first = p.wa.wait_handshake(p.wb)
    # keep sending: the initiator must start a new handshake once its key is 120/60 = 2 s old
    p.a.spawn(f"ping -q -i 0.2 {Pair.B4}")
    later = wait_until(lambda: (t := p.wa.latest_handshakes()[p.wb.public_key]) > first and t, 60,
                       "a second handshake started by the rekey timer")
    assert later > first
    # the session goes on: traffic still flows after the rekey
    p.a.ping_ok(Pair.B4, count=2, wait=5)


def test_old_keys_expire_after_reject_after_time(topo: Topology, scaled_time: int) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    p.wb.wait_handshake(p.wa)

    # B (the responder) sends on the current key only until it is 180/60 = 3 s old. Wait until
    # B's *latest* session is 5 s old: under load a retransmitted initiation (REKEY_TIMEOUT is
    # 5/60 s here) can complete a second handshake after the first one was seen.
    def session_age() -> int:
        return guest_now(topo) - p.wb.latest_handshakes()[p.wa.public_key]

    wait_until(lambda: session_age() >= 5, 60, "B's latest session to be 5 s old on the guest clock")
    hs = p.wb.latest_handshakes()[p.wa.public_key]
    b_before, a_before = p.wb.transfer()[p.wa.public_key], p.wa.transfer()[p.wb.public_key]
    p.b.wait_ping(Pair.A4)
    b_after, a_after = p.wb.transfer()[p.wa.public_key], p.wa.transfer()[p.wb.public_key]
    sent = b_after[1] - b_before[1]
    # B could not use the expired key: it had to send an initiation of its own
    assert sent >= INITIATION + 128, (
        f"B sent {sent} bytes after its key expired, less than an initiation ({INITIATION}) and one "
        f"ping; A received {a_after[0] - a_before[0]} and sent {a_after[1] - a_before[1]} bytes meanwhile")
    assert p.wb.latest_handshakes()[p.wa.public_key] > hs


def test_a_steady_ping_loses_nothing_across_rekeys_and_only_the_initiator_rekeys(topo: Topology,
                                                                               scaled_time: int) -> None:
    """REKEY_AFTER_TIME is 2 s here: 150 pings 0.1 s apart cross several rekeys. The old session
    carries traffic until the new one is confirmed, so no echo is lost; each rekey is one
    initiation from A, the initiator (counted on the wire, 176 bytes from A's port), and B,
    whose sessions A made, never starts one."""
    p = two_peers(topo)
    p.outer.sh(" && ".join(f"iptables -w -A OUTPUT -p udp --sport {port} -m length --length {INITIATION + 28} "
                           f"-m comment --comment initiations-from-{port}" for port in (p.port_a, p.port_b)))

    def initiations(port: int) -> int:
        return p.outer.iptables_count("OUTPUT", f"initiations-from-{port}")

    p.a.wait_ping(Pair.B4)
    first = p.wa.wait_handshake(p.wb)
    start = guest_now(topo)
    res = p.a.ping(Pair.B4, count=150, interval=0.1, wait=5)
    elapsed = guest_now(topo) - start
    assert res.transmitted == 150 and res.received == 150, f"echoes lost across rekeys:\n{res.output}"
    assert p.wa.latest_handshakes()[p.wb.public_key] > first, "no rekey happened during the pings"
    # at least one rekey per REJECT_AFTER_TIME (3 s) of sending, or the pings would have been
    # lost; more initiations than rekeys only where one was retransmitted (REKEY_TIMEOUT is
    # 83 ms here, which a slow guest can exceed)
    rekeys = initiations(p.port_a) - 1  # the first one made the session the pings started on
    assert rekeys >= max(1, elapsed // 3), f"A sent {rekeys} rekey initiations in {elapsed} s of pings"
    assert initiations(p.port_b) == 0, "B, the responder of every session, started a handshake"
