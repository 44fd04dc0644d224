"""Handshake messages still queued when the interface goes down are not handled after it.

          ns outer (lo: 127.0.0.1): both UDP sockets; its OUTPUT counts
          responses (10001 -> 10002, 120 bytes) and initiations (10002 -> 10001, 176 bytes)
     +-------------------------+                    +-------------------------+
     | ns a   wg0  10.9.0.1/24 |  <---  initiation  | ns b   wg0  10.9.0.2/24 |
     |   :10001                |  response  --->    |   :10002                |
     |                         |                    |   `ip link set wg0 down` |
     |                         |                    |   while A's response    |
     |                         |                    |   waits in B's queue    |
     +-------------------------+                    +-------------------------+

B initiates; A answers at once. Our WG_DEBUG build's response_delay_ms parameter holds
every response in the handshake worker, so B's interface can be taken down while A's
response is queued there, which on a real machine is a narrow race. Going down wipes
B's sessions; the response must not complete the handshake afterwards (it would
install a session that outlives the interface's down and is never wiped by the
expiry timers, which stop with the interface). So: no handshake appears at B while
it is down, and once it is up again B needs a new handshake for its next packet.

Ours only: the kernel's own WireGuard has no parameter to hold a response.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from vmtests.lib.implementation import DEBUG_PARAMETERS, debug_parameter
from vmtests.lib.topology import Netns, Pair, Topology, two_peers, wait_until

PARAM = f"{DEBUG_PARAMETERS}/response_delay_ms"
DELAY_MS = 1500
RESPONSE_IP_LENGTH, INITIATION_IP_LENGTH = 20 + 8 + 92, 20 + 8 + 148


@pytest.fixture
def held_responses(topo: Topology, implementation: str) -> Iterator[int]:
    with debug_parameter(topo.vm, implementation, "response_delay_ms", DELAY_MS, 0,
                         "parameter to hold handshake responses") as delay:
        yield delay


def counted(ns: Netns, sport: int, length: int) -> int:
    return ns.iptables_count("OUTPUT", f"from-{sport}-length-{length}")


def uptime(ns: Netns) -> float:
    return float(ns.sh("cut -d' ' -f1 /proc/uptime").strip())


def send_datagram(ns: Netns, dst: str) -> None:
    code = "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 9))"
    ns.sh(shlex.join(["python3", "-c", code, dst]))


def test_a_response_queued_when_the_link_goes_down_completes_no_handshake(topo: Topology,
                                                                         held_responses: int) -> None:
    p = two_peers(topo)
    p.outer.sh(f"iptables -w -A OUTPUT -p udp --sport 10001 -m length --length {RESPONSE_IP_LENGTH} "
               f"-m comment --comment from-10001-length-{RESPONSE_IP_LENGTH} && "
               f"iptables -w -A OUTPUT -p udp --sport 10002 -m length --length {INITIATION_IP_LENGTH} "
               f"-m comment --comment from-10002-length-{INITIATION_IP_LENGTH}")
    send_datagram(p.b, Pair.A4)
    wait_until(lambda: counted(p.outer, 10001, RESPONSE_IP_LENGTH) == 1, 30, "A's response to B's initiation")
    answered = uptime(p.outer)
    p.b.sh("ip link set wg0 down")
    # the held response is handled by now (or dropped): wait out the hold on the guest's clock
    wait_until(lambda: uptime(p.outer) > answered + held_responses / 1000 + 1, 30, "the response hold to pass")
    assert p.wb.peer(p.wa).latest_handshake == 0, (
        "A's response, queued when B's interface went down, completed a handshake after it")

    topo.vm.run(f"echo 0 > {PARAM}", timeout=30)
    p.b.sh("ip link set wg0 up")
    before = counted(p.outer, 10002, INITIATION_IP_LENGTH)
    p.b.wait_ping(Pair.A4)
    assert counted(p.outer, 10002, INITIATION_IP_LENGTH) > before, (
        "B sent data after down and up without a new handshake: a session survived the down")
    assert p.wb.peer(p.wa).latest_handshake > 0
