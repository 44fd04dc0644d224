"""Packets that reach wg0 by a bound socket or by a mark-based reroute, not by the main table.

                      ns outer (lo: 127.0.0.1): both UDP sockets
     +-----------------------------------------+          +--------------------------------+
     | ns a   wg0  10.9.0.1/24 fd09::1/64       | <======> | ns b   wg0  10.9.0.2/24        |
     |   peer B allowed 10.9.0.2, fd09::2,      |          |          fd09::2/64            |
     |          10.30.0.0/24, fd30::/64         |          |   lo   10.30.0.2/32 fd30::2/128 |
     |   dummy0 (up; main table: 10.30.0.0/24,  |          |   peer A allowed 10.9.0.1,     |
     |           fd30::/64 -> dummy0)           |          |          fd09::1               |
     |   table 100: 10.30.0.0/24, fd30::/64     |          +--------------------------------+
     |              -> wg0                      |
     |   rule fwmark 0x2a lookup 100            |
     |   mangle OUTPUT -d 10.30.0.2 -j MARK 0x2a|
     +-----------------------------------------+

Checked:
- `ping -I wg0` (SO_BINDTODEVICE) reaches B: to B's tunnel address, and to 10.30.0.2, which
  A's tables do not route at all (a plain ping is refused, the bound one is answered);
- the main table sends 10.30.0.2 / fd30::2 into dummy0, where the pings vanish; a mangle
  OUTPUT rule marking them makes the kernel route them again by the fwmark rule, into wg0:
  every ping is answered, the MARK rule counted each, dummy0 sent nothing more.
"""

from __future__ import annotations

import pytest

from vmtests.lib.topology import Pair, Topology, two_peers

FAR4, FAR6 = "10.30.0.2", "fd30::2"


def setup(topo: Topology) -> Pair:
    p = two_peers(topo)
    p.wa.set(f"peer {p.wb.public_key} allowed-ips {Pair.B4}/32,{Pair.B6}/128,10.30.0.0/24,fd30::/64")
    p.b.sh(f"ip addr add {FAR4}/32 dev lo && ip addr add {FAR6}/128 dev lo")
    p.a.wait_ping(Pair.B4)
    return p


def test_ping_bound_to_wg0(topo: Topology) -> None:
    p = setup(topo)
    p.a.ping_ok(Pair.B4, count=3, extra="-I wg0")
    p.a.ping_ok(Pair.B6, count=3, extra="-I wg0")
    # A has no route to 10.30.0.2: unbound, the ping cannot be sent; bound to wg0, it goes
    # into the tunnel and B answers it
    assert "10.30.0.2" not in p.a.sh("ip route show table all")
    plain = p.a.run(f"ping -n -c 1 -W 1 {FAR4}")
    assert plain.status != 0 and "unreachable" in plain.output.lower(), plain.output
    tx = p.wa.peer(p.wb).tx_bytes
    p.a.ping_ok(FAR4, count=3, extra="-I wg0")
    assert p.wa.peer(p.wb).tx_bytes > tx


def counted(p: Pair, ipt: str, chain: str) -> dict[str, int]:
    """Packet counts of A's mangle rules in ``chain``, by their comment."""
    return p.a.rule_counts(chain, table="mangle", family=6 if ipt == "ip6tables" else 4)


@pytest.mark.parametrize("family", [4, 6], ids=["v4", "v6"])
def test_mangle_mark_reroutes_into_the_tunnel(topo: Topology, family: int) -> None:
    p = setup(topo)
    far, src, prefix, ipt, ip = ((FAR4, Pair.A4, "10.30.0.0/24", "iptables", "ip") if family == 4
                                 else (FAR6, Pair.A6, "fd30::/64", "ip6tables", "ip -6"))
    p.a.sh(f"ip link add dummy0 type dummy && ip link set dummy0 up && "
           f"{ip} route add {prefix} dev dummy0 src {src} && "
           f"{ip} route add {prefix} dev wg0 table 100 && {ip} rule add fwmark 0x2a lookup 100")
    # where the pings to `far` finally leave (POSTROUTING sees the route taken after any reroute)
    p.a.sh(f"{ipt} -t mangle -A POSTROUTING -o dummy0 -d {far} -m comment --comment dummy0 && "
           f"{ipt} -t mangle -A POSTROUTING -o wg0 -d {far} -m comment --comment wg0")

    # without a mark the main table wins: the pings go into dummy0 and are lost
    assert p.a.ping(far, count=2, wait=1).received == 0
    assert counted(p, ipt, "POSTROUTING") == {"dummy0": 2, "wg0": 0}

    p.a.sh(f"{ipt} -t mangle -A OUTPUT -d {far} -j MARK --set-mark 0x2a -m comment --comment mark")
    tx = p.wa.peer(p.wb).tx_bytes
    p.a.ping_ok(far, count=5)
    assert counted(p, ipt, "OUTPUT") == {"mark": 5}, "the MARK rule did not count the 5 pings"
    assert counted(p, ipt, "POSTROUTING") == {"dummy0": 2, "wg0": 5}, "the marked pings did not leave by wg0"
    assert p.wa.peer(p.wb).tx_bytes > tx
