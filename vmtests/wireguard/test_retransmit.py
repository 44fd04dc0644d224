"""Handshake retransmission towards a peer that never answers. LONG: about 110 s (the protocol's
REKEY_ATTEMPT_TIME is 90 s); the project has no `slow` marker, so it is only noted here.

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001      127.0.0.1:20000  nothing listens (peer D, "dead")
                                    127.0.0.1:20001  nothing listens (peer E, the clock)
     +-------------------------+    iptables OUTPUT counters in outer: UDP to :20000 and to
     | ns a   wg0  10.9.0.1/24 |    :20001 of 176 bytes (a 148-byte initiation + UDP + IPv4)
     |  peer D 10.9.0.2/32     |
     |  peer E 10.9.0.3/32     |
     +-------------------------+

One ping to D starts a handshake. Nobody answers, so A retransmits its initiation every
REKEY_TIMEOUT (5 s, plus up to HZ/3 of jitter) and gives up after a fixed number of
attempts (the kernel counts attempts, MAX_TIMER_HANDSHAKES = 90 s / 5 s = 18 retries after
the first two, so the jitter cannot add or remove one): exactly 20 initiations, the number
the kernel's own WireGuard sends. That none follows is shown with E: started when D's 20th
initiation is seen, E's third initiation is at least two retransmission intervals (> 10 s)
later, by which time D's 21st would have gone out too. Then one new packet to D starts
it again at once.

And with the usual pair A <-> B (both sockets in outer, see two_peers): once B's packets
are dropped in outer, A's data goes unanswered and A starts a new handshake by itself.
"""

from __future__ import annotations

from vmtests.lib.topology import Netns, Pair, Topology, two_peers, wait_until

INITIATIONS_BEFORE_GIVING_UP = 20   # counted with --implementation reference on 6.1


def counted(ns: Netns, comment: str) -> int:
    for line in ns.sh("iptables -w -L OUTPUT -n -v -x").splitlines():
        if f"/* {comment} */" in line:
            return int(line.split()[0])
    raise AssertionError(f"no iptables rule {comment!r} in {ns}")


def test_initiations_to_a_dead_peer_stop_after_the_attempt_limit(topo: Topology) -> None:
    outer, a = topo.netnses("outer", "a")
    wa = topo.wireguard(a, created_in=outer, listen_port=10001, addresses=["10.9.0.1/24"])
    outer.sh("iptables -w -A OUTPUT -o lo -p udp --dport 20000 -m length --length 176 "
             "-m comment --comment dead -j ACCEPT && "
             "iptables -w -A OUTPUT -o lo -p udp --dport 20001 -m length --length 176 "
             "-m comment --comment clock -j ACCEPT")
    dead, clock = (k.public for k in topo.genkeys(2))
    wa.add_peer(dead, ["10.9.0.2/32"], endpoint="127.0.0.1:20000")
    wa.add_peer(clock, ["10.9.0.3/32"], endpoint="127.0.0.1:20001")
    assert (counted(outer, "dead"), counted(outer, "clock")) == (0, 0)

    a.ping("10.9.0.2", count=1, wait=1)
    wait_until(lambda: counted(outer, "dead") >= 1, 30, "A's first initiation to D")
    # 19 retransmissions at 5-5.33 s: about 100 s (more on a loaded host)
    wait_until(lambda: counted(outer, "dead") >= INITIATIONS_BEFORE_GIVING_UP, 200,
               f"{INITIATIONS_BEFORE_GIVING_UP} initiations to D", interval=1)
    # the clock starts now: by E's third initiation D's next one, were there one, is out too
    a.ping("10.9.0.3", count=1, wait=1)
    wait_until(lambda: counted(outer, "clock") >= 3, 60, "three initiations to E", interval=1)
    assert counted(outer, "dead") == INITIATIONS_BEFORE_GIVING_UP, \
        f"A sent D {counted(outer, 'dead')} initiations, not {INITIATIONS_BEFORE_GIVING_UP} and then none"
    assert wa.peer(dead).tx_bytes == INITIATIONS_BEFORE_GIVING_UP * 148
    # a new packet to D: a new round of attempts starts at once
    a.ping("10.9.0.2", count=1, wait=1)
    wait_until(lambda: counted(outer, "dead") > INITIATIONS_BEFORE_GIVING_UP, 30, "a new initiation to D")


def test_data_sent_without_an_answer_starts_a_new_handshake(topo: Topology) -> None:
    """After A sends data and hears nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s),
    it starts a new handshake on its own, with no new packet to send. B's packets are dropped
    on the way to A once the session exists, so A's data gets no answer, not even a keepalive."""
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    p.outer.sh(f"iptables -w -A OUTPUT -p udp --sport {p.port_b} --dport {p.port_a} -j DROP && "
               f"iptables -w -A OUTPUT -p udp --sport {p.port_a} -m length --length 176 "
               f"-m comment --comment a-initiations")
    p.a.sh("python3 -c 'import socket; "
           "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"unanswered\", (\"10.9.0.2\", 9))'")
    # 15 s plus up to a third of a second of jitter, on a slow guest: well within 60 s
    wait_until(lambda: counted(p.outer, "a-initiations") >= 1, 60,
               "A's new initiation after its data went unanswered")
