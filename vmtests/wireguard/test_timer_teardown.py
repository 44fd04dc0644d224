"""A timer being armed while its peer is removed does not outlive the peer.

          ns outer (lo: 127.0.0.1): both UDP sockets
     +-------------------------+                    +-------------------------+
     | ns a   wg0  10.9.0.1/24 |  ---  data  --->   | ns b   wg0  10.9.0.2/24 |
     |   :10001                |                    |   :10002                |
     |   peer B removed while  |                    |                         |
     |   its timer is armed    |                    |                         |
     +-------------------------+                    +-------------------------+

Sending data arms the peer's "new handshake" timer. Our WG_DEBUG build's arm_delay_ms
parameter makes each arming spin between its check that the peer is alive and
mod_timer(); while A's sender spins there, the test removes peer B from A. The removal
must wait for that arming (and then shut the timer down) or the arming must find the peer
dead: a timer armed after the peer's timers were shut down stays pending in the peer's
freed memory. Where the kernel has timer_shutdown_sync() (6.2 on) such an arming does
nothing; before it (5.10, 5.4, 4.19: the compat layer's timer_delete_sync()) the debug
kernel reports the freed active timer (ODEBUG) and any kernel crashes when it fires,
which the module's time_divisor brings within a second. Observed: the kernel reports
nothing while the test waits past that expiry, the module's count of live peers (the
WG_DEBUG `objects` parameter) drops by the removed one, and B added back works.

Ours only: the kernel's own WireGuard has no parameter to hold a timer's arming.
"""

from __future__ import annotations

import shlex

from vmtests.lib.implementation import (DEBUG_PARAMETERS, debug_parameter, inside_the_next_hold,
                                        require_debug_parameter)
from vmtests.lib.topology import Netns, Pair, Topology, run, two_peers, wait_until
from wgcompat.vm.shell import cmd

HOLD_MS = 3000
ATTEMPTS = 5
DIVISOR = 15        # the new-handshake timer's 15 s become 1 s
HELD = "arm_delay_ms: holding timer"
WHAT = "parameter to hold timer arming"


def live_peers(topo: Topology) -> int:
    fields = run(topo.vm, f"cat {DEBUG_PARAMETERS}/objects").output.split()
    return dict(zip(fields[::2], map(int, fields[1::2])))["peers"]


def uptime(ns: Netns) -> float:
    return float(ns.sh("cut -d' ' -f1 /proc/uptime").strip())


def remove_inside_a_hold(p: Pair) -> bool:
    """Makes A's sender hold the arming of B's timer and removes B from A meanwhile; True when
    the removal began inside the hold (on the guest's clock). Otherwise B is added back and
    reached again, for another attempt."""
    if inside_the_next_hold(p.a, HELD, HOLD_MS, datagram(Pair.B4),
                            cmd("wg", "set", p.wa.name, "peer", p.wb.public_key, "remove")):
        return True
    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b)
    p.a.wait_ping(Pair.B4)
    return False


def datagram(dst: str) -> str:
    """The command that sends one datagram to ``dst`` port 9."""
    code = "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 9))"
    return shlex.join(["python3", "-c", code, dst])


def test_a_peer_removed_while_its_timer_is_armed_leaves_no_timer_behind(topo: Topology,
                                                                        implementation: str) -> None:
    require_debug_parameter(topo.vm, implementation, "arm_delay_ms", WHAT)
    require_debug_parameter(topo.vm, implementation, "objects", "object counters")
    p = two_peers(topo)
    # a ping and its reply: the session exists and no "new handshake" timer is pending
    p.a.wait_ping(Pair.B4)
    peers = live_peers(topo)

    with debug_parameter(topo.vm, implementation, "time_divisor", DIVISOR, 1, "time divisor"):
        with debug_parameter(topo.vm, implementation, "arm_delay_ms", HOLD_MS, 0, WHAT):
            # a slow guest can miss the window; B is then added back for another try
            inside = any(remove_inside_a_hold(p) for _ in range(ATTEMPTS))
        removed = uptime(p.a)
        assert inside, f"none of {ATTEMPTS} removals of peer B began inside a {HOLD_MS} ms hold of its arming"
        assert p.wa.show().peers == {}, "peer B is still configured on A"
        # past the expiry of a timer armed during the removal (1 s with the divisor), on the
        # guest's clock; a kernel report while the guest runs this fails the command (KernelSplat)
        wait_until(lambda: uptime(p.a) > removed + HOLD_MS / 1000 + 2, 30, "the removed peer's timer to expire")
        wait_until(lambda: live_peers(topo) == peers - 1, 30,
                   f"the module's live peers to drop from {peers} to {peers - 1}")

    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b)
    p.a.wait_ping(Pair.B4)
