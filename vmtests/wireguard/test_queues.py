"""A burst into the tunnel larger than the implementation queues: the excess is dropped and counted.

          ns outer (lo: 127.0.0.1): both UDP sockets
     +-------------------------------------+          +--------------------------------+
     | ns a   wg0  10.9.0.1/24             | <======> | ns b   wg0  10.9.0.2/24        |
     |   udp_blast: 4096 datagrams of 64 B |          |   iptables: udp dport 9 DROP   |
     |   to 10.9.0.2:9, one round at       |          |   (no port-unreachable answers)|
     |   real-time priority                |          |                                |
     +-------------------------------------+          +--------------------------------+

The round reaches wg0 before any of it is encrypted (the sender runs at real-time
priority on the guest's CPU; the encryption workers are ordinary tasks), four
times what the implementation holds for one peer. What it cannot hold it drops
at once: none is counted as an error, fewer than the burst are sent, and the
tunnel works afterwards. Ours also counts each dropped datagram in tx_dropped
(sent + dropped = the burst); the kernel's own WireGuard drops them uncounted.
"""

from __future__ import annotations

import shlex

from vmtests.lib.topology import Counters, Pair, Topology, two_peers, wait_until

BURST = 4096


def test_a_burst_beyond_the_queues_is_dropped_and_counted(topo: Topology, implementation: str) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    p.b.sh("iptables -I INPUT -p udp --dport 9 -j DROP")
    blast = topo.put_compiled("udp_blast.c")
    work = topo.workdir
    p.a.sh(f"head -c 64 /dev/zero > {work}/payload")
    before = p.wa.counters()
    out = p.a.sh(shlex.join([blast, Pair.B4, "9", f"{work}/payload", "64", "64", "00", f"{work}/replies",
                             f"{work}/burst", "300", str(BURST), "1"]), timeout=600)
    sent = int(dict(f.split("=") for f in out.split())["sent"])
    assert sent == BURST, f"the sender handed {sent} of {BURST} datagrams to the kernel: {out}"

    # wg0 is done with the burst once two reads of its counters agree
    seen: list[Counters] = [before]

    def settled() -> Counters | None:
        c = p.wa.counters()
        last, seen[0] = seen[0], c
        return c if c == last else None

    after = wait_until(settled, 120, "wg0's counters to stop moving after the burst")
    sent_on, dropped = after.tx_packets - before.tx_packets, after.tx_dropped - before.tx_dropped
    assert after.tx_errors == before.tx_errors, \
        f"wg0 counted {after.tx_errors - before.tx_errors} datagrams of the burst as errors, not as dropped"
    assert sent_on < sent, f"all {sent} datagrams were sent: the burst never exceeded the queues"
    if implementation == "ours":
        # only ours counts what it drops (the kernel's own WireGuard drops them uncounted)
        assert sent_on + dropped == sent, f"{sent} datagrams: {sent_on} sent + {dropped} counted as dropped"
    p.a.ping_ok(Pair.B4)
