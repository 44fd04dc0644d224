"""The outer source of a responder's packets: the address its peer wrote to, not the route's choice.

     +--------------------------------------------+  veth   +----------------------------------+
     | ns a   wg0 :10001 10.9.0.1/24              |---------|   wg0 :10002 10.9.0.2/24   ns b  |
     |   veth0 192.168.1.1/24  (primary)          |         |   veth0 192.168.1.2/24           |
     |         192.168.1.11/24 (secondary)        |         |         fd10::2/64               |
     |         fd10::1/64, fd10::11/64            |         |   route 10.50.0.1 via 192.168.1.1|
     |   dummy0 10.50.0.1/32 (not the way out)    |         |   peer A: endpoint set by test   |
     |   peer B: no endpoint (learnt from B)      |         |   iptables INPUT: A's packets    |
     +--------------------------------------------+         |   counted by outer source        |
                                                            +----------------------------------+

B initiates to one of A's addresses; A has no endpoint for B and answers, then sends on its
own, from the address B wrote to: the second address of its veth (v4 and v6), or an address on
dummy0, which is not the interface the route back to B leaves by (a route lookup alone would
pick 192.168.1.1). Checked: every outer packet B receives from A's port comes from that address
(iptables counts them by source), and B's endpoint for A stays there.
"""

from __future__ import annotations

import shlex

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface


def setup(topo: Topology) -> tuple[Netns, Netns, WgInterface, WgInterface]:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.1.1/24", "192.168.1.11/24", "fd10::1/64", "fd10::11/64")
    a.sh("ip link add dummy0 type dummy && ip addr add 10.50.0.1/32 dev dummy0 && ip link set dummy0 up")
    b.addr("veth0", "192.168.1.2/24", "fd10::2/64")
    b.sh("ip route add 10.50.0.1/32 via 192.168.1.1")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    wa.add_peer(wb, ["10.9.0.2/32"])
    return a, b, wa, wb


def count_by_source(b: Netns, ipt: str, sources: list[str]) -> dict[str, int]:
    family = 6 if ipt == "ip6tables" else 4
    return {src: b.iptables_count("INPUT", f"from-{src}", family=family) for src in sources}


@pytest.mark.parametrize("target, others", [
    pytest.param("192.168.1.11", ["192.168.1.1", "10.50.0.1"], id="secondary-v4"),
    pytest.param("fd10::11", ["fd10::1"], id="secondary-v6"),
    pytest.param("10.50.0.1", ["192.168.1.1", "192.168.1.11"], id="dummy-address"),
])
def test_the_reply_comes_from_the_address_the_peer_wrote_to(topo: Topology, target: str, others: list[str]) -> None:
    a, b, wa, wb = setup(topo)
    ipt = "ip6tables" if ":" in target else "iptables"
    sources = [target, *others]
    b.sh(" && ".join(f"{ipt} -A INPUT -p udp -s {shlex.quote(s)} --sport 10001 -m comment --comment from-{s}"
                     for s in sources))
    endpoint = f"[{target}]:10001" if ":" in target else f"{target}:10001"
    wb.add_peer(wa, ["10.9.0.1/32"], endpoint=endpoint)

    b.wait_ping("10.9.0.1")          # B initiates: A answers the handshake, then the echo
    b.ping_ok("10.9.0.1", count=3)
    a.ping_ok("10.9.0.2", count=3)   # and A sends on its own, to the endpoint it learnt
    counts = count_by_source(b, ipt, sources)
    # the handshake response and at least the 3 + 3 + 1 data messages
    assert counts[target] >= 8, f"A's packets by outer source: {counts}"
    assert all(counts[s] == 0 for s in others), f"A sent from another address than {target}: {counts}"
    assert wb.peer(wa).endpoint == endpoint
