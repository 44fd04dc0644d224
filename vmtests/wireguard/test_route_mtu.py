"""A route MTU below the interface MTU: the padding of data messages follows the route.

     +------------------------------------------+  veth  +------------------------------------------+
     | ns a   veth0 192.168.1.1/24  (socket)    |--------|   veth0 192.168.1.2/24  (socket)   ns b  |
     |        wg0 :10001 10.9.0.1/24 fd09::1/64  |        |   wg0 :10002 10.9.0.2/24 fd09::2/64      |
     |        mtu 1420                          |        |   mtu 1420, no route MTU                 |
     |   route 10.9.0.2/32 dev wg0 mtu 1299     |        |                                          |
     |   route fd09::2/128 dev wg0 mtu 1299     |        |                                          |
     |   iptables OUTPUT/INPUT: -m length counts|        |                                          |
     |   outer UDP packets of each exact length |        |                                          |
     +------------------------------------------+        +------------------------------------------+

A data message carries the inner packet zero-padded to a multiple of 16, but never past the
MTU of the route the packet took (facts §1.2): padded = min(mtu, ALIGN(len, 16)). On the
wire an outer IPv4 packet is padded + 32 (WireGuard header and tag) + 8 (UDP) + 20 (IPv4).

Checked, counting outer packets of the exact length with an iptables `length` match:
- A inner packet of 1290 bytes (a 1262-byte IPv4 echo) goes out in 1296 + 60 = 1356 bytes;
- one of 1298 bytes would round up to 1312, past the route's 1299: it goes out padded to 1299
  only, 1359 bytes; so does a packet of exactly 1299 bytes;
- B, whose route has the interface's 1420, pads its 1298-byte reply to 1312: 1372 bytes;
- the same for inner IPv6 (a 1250-byte echo is 1298 bytes of IPv6);
- an inner packet of 1300 bytes with DF does not fit the route and is refused.
"""

from __future__ import annotations

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface, veth_peers

ROUTE_MTU = 1299
OUTER = 32 + 8 + 20


def outer_length(inner: int, mtu: int) -> int:
    return min(mtu, -(-inner // 16) * 16) + OUTER


def setup(topo: Topology) -> tuple[Netns, Netns, WgInterface, WgInterface]:
    p = veth_peers(topo, endpoint_on_b=True)
    p.a.sh(f"ip route add 10.9.0.2/32 dev wg0 mtu {ROUTE_MTU} && "
           f"ip -6 route add fd09::2/128 dev wg0 mtu {ROUTE_MTU}")
    p.a.wait_ping("10.9.0.2")
    return p.a, p.b, p.wa, p.wb


class LengthCounter:
    """iptables rules in ``ns`` counting outer WireGuard packets (A's port 10001) of given lengths."""

    def __init__(self, ns: Netns, lengths: set[int]) -> None:
        self.ns = ns
        rules = []
        for n in sorted(lengths):
            rules.append(f"iptables -A OUTPUT -p udp --sport 10001 -m length --length {n} "
                         f"-m comment --comment out{n}")
            rules.append(f"iptables -A INPUT -p udp --dport 10001 -m length --length {n} "
                         f"-m comment --comment in{n}")
        ns.sh(" && ".join(rules))

    def read(self) -> dict[str, int]:
        return {**self.ns.rule_counts("OUTPUT"), **self.ns.rule_counts("INPUT")}


@pytest.mark.parametrize("family", [4, 6], ids=["inner-v4", "inner-v6"])
def test_padding_stops_at_the_route_mtu(topo: Topology, family: int) -> None:
    a, b, wa, wb = setup(topo)
    dst, header = ("10.9.0.2", 28) if family == 4 else ("fd09::2", 48)
    inners = (1290, 1298, ROUTE_MTU)
    expected_out = {n: outer_length(n, ROUTE_MTU) for n in inners}
    assert expected_out == {1290: 1356, 1298: 1359, 1299: 1359}
    reply_1298 = outer_length(1298, 1420)
    assert reply_1298 == 1372
    counter = LengthCounter(a, set(expected_out.values()) | {reply_1298})

    for inner in inners:
        before = counter.read()
        a.ping_ok(dst, count=3, size=inner - header, extra="-M do")
        after = counter.read()
        moved = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        want = {f"out{expected_out[inner]}": 3, f"in{outer_length(inner, 1420)}": 3}
        assert moved == want, (f"{inner}-byte inner packets: outer packets counted by length {moved}, "
                               f"expected {want} (A pads up to the route MTU {ROUTE_MTU}, B up to 1420)")

    # one byte more than the route allows, with DF: refused before it reaches the tunnel
    tx = wb.peer(wa).rx_bytes
    assert a.ping(dst, count=1, size=ROUTE_MTU + 1 - header, wait=1, extra="-M do").received == 0
    assert wb.peer(wa).rx_bytes == tx, "a packet over the route MTU with DF went through the tunnel"
