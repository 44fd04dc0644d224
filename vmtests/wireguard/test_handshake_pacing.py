"""Handshake pacing: a responder does not start a handshake of its own over the one it answered.

          ns outer (lo: 127.0.0.1): both UDP sockets, and the filter below
     +-------------------------+                    +-------------------------+
     | ns a   wg0  10.9.0.1/24 |  initiation  --->  | ns b   wg0  10.9.0.2/24 |
     |   :10001                |  <---  response    |   :10002                |
     |                         |  data  ---X        |                         |
     +-------------------------+                    +-------------------------+

     outer's OUTPUT: udp 10001 -> 10002 of any length but an initiation's (176 bytes
     in IPv4): DROP -- B gets A's initiation, never A's data, so B's new session stays
     unconfirmed; udp 10002 -> 10001 of an initiation's length: counted (B's initiations).

A starts a handshake and completes it; B, the responder, holds a session it may not
send on until A's first data message confirms it. B then has a datagram for A. Having
just sent a response, B must not send an initiation of its own (REKEY_TIMEOUT paces
handshake messages, a response included): that second, crossing handshake would
replace the one A just completed. The datagram waits; once A's data gets through and
confirms B's session, it leaves on that session.

The handshake and B's datagram happen in one guest command of shell builtins and
`wg show` polls, so that B's datagram is staged well inside REKEY_TIMEOUT (5 s) of its
response even on a slow, loaded guest; the command reports how long it took, and the
test refuses to judge a run slower than that (it then says so: that is not a pass).
"""

from __future__ import annotations

import shlex

from vmtests.lib.topology import Netns, Pair, Topology, two_peers, wait_until

REKEY_TIMEOUT = 5
INITIATION_IP_LENGTH = 20 + 8 + 148


def send_datagram(dst: str, payload: str) -> str:
    """A guest shell command: one UDP datagram to ``dst`` port 9 (returns once it is sent).
    Bash's own /dev/udp, not a Python one-liner: starting python3 takes a second or more
    on a loaded TCG guest, which would eat the REKEY_TIMEOUT the test needs to stay within."""
    return shlex.join(["bash", "-c", 'printf %s "$1" > "/dev/udp/$2/9"', "send", payload, dst])


def datagrams_to_port_9(ns: Netns) -> int:
    """What reached ``ns`` through the tunnel: the packets its INPUT rule for port 9 dropped."""
    return ns.iptables_count("INPUT", "to-port-9")


def initiations_from_b(p: Pair) -> int:
    return p.outer.iptables_count("OUTPUT", "initiations-from-b")


def test_a_responder_sends_no_initiation_of_its_own_while_its_response_is_fresh(topo: Topology) -> None:
    p = two_peers(topo)
    p.outer.sh(f"iptables -w -A OUTPUT -p udp --sport 10001 --dport 10002 "
               f"-m length ! --length {INITIATION_IP_LENGTH} -j DROP && "
               f"iptables -w -A OUTPUT -p udp --sport 10002 --dport 10001 -m length --length {INITIATION_IP_LENGTH} "
               f"-m comment --comment initiations-from-b")
    for ns in (p.a, p.b):
        # counted, and no port-unreachable
        ns.sh("iptables -w -I INPUT -i wg0 -p udp --dport 9 -j DROP -m comment --comment to-port-9")

    # A initiates (its datagram waits for the session); once A has a handshake, B has one
    # for A: both within one command, the time it took printed last
    wait_for_a = p.a.wrap("for i in $(seq 100); do "
                          "[ \"$(wg show wg0 latest-handshakes | cut -f2)\" != 0 ] && break; sleep 0.05; done")
    out = topo.vm.run(" && ".join([
        "echo start $(cut -d' ' -f1 /proc/uptime)",
        p.a.wrap(send_datagram(Pair.B4, "from A")),
        wait_for_a,
        p.b.wrap(send_datagram(Pair.A4, "from B")),
        "echo end $(cut -d' ' -f1 /proc/uptime)",
    ]), timeout=60).output
    assert p.wa.peer(p.wb).latest_handshake > 0, f"A's handshake did not complete: {out}"
    assert datagrams_to_port_9(p.b) == 0, "A's data got through the filter"
    marks = dict(ln.split() for ln in out.splitlines() if ln.startswith(("start ", "end ")))
    elapsed = float(marks["end"]) - float(marks["start"])
    assert elapsed < REKEY_TIMEOUT - 1, (
        f"staging B's datagram took {elapsed:.1f} s after the handshake began: too close to "
        f"REKEY_TIMEOUT ({REKEY_TIMEOUT} s) to tell pacing from its expiry on this guest")

    # A's data now gets through: it confirms B's session, and B's datagram leaves on it
    p.outer.sh(f"iptables -w -D OUTPUT -p udp --sport 10001 --dport 10002 "
               f"-m length ! --length {INITIATION_IP_LENGTH} -j DROP")
    p.a.sh(send_datagram(Pair.B4, "from A, again"))
    wait_until(lambda: datagrams_to_port_9(p.a) == 1, 30,
               "B's datagram to reach A once A's data confirmed B's session")
    assert initiations_from_b(p) == 0, (
        "B, the responder, sent an initiation of its own while the session it had just made "
        "with A waited for A's confirmation")
    assert p.wb.peer(p.wa).latest_handshake > 0
