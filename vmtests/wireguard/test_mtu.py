"""Scenario 6: MTU -- packets around the tunnel MTU, outer fragmentation, a large-MTU run.

     +----------------------------------+   veth (mtu 1500 unless   +----------------------------------+
     | ns a (A's socket here)           |   a test changes it)      | ns b (B's socket here)           |
     |   veth0 192.168.1.1/24 fd10::1   |---------------------------|   veth0 192.168.1.2/24 fd10::2   |
     |   wg0 10.9.0.1/24 fd09::1/64     |                           |   wg0 10.9.0.2/24 fd09::2/64     |
     +----------------------------------+                           +----------------------------------+

Overhead (facts §1.2): 32 (WireGuard) + 8 (UDP) + 20/40 (outer IPv4/IPv6); default MTU 1420.
An IPv4 echo of payload n is n + 28 bytes inside; IPv6, n + 48.
"""

from __future__ import annotations

from vmtests.lib.topology import Netns, Topology, WgInterface, send_stream


def veth_pair(topo: Topology, outer_family: int = 4) -> tuple[Netns, Netns, WgInterface, WgInterface]:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.1.1/24", "fd10::1/64")
    b.addr("veth0", "192.168.1.2/24", "fd10::2/64")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24", "fd09::1/64"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24", "fd09::2/64"])
    host_b = "[fd10::2]" if outer_family == 6 else "192.168.1.2"
    wa.add_peer(wb, ["10.9.0.2/32", "fd09::2/128"], endpoint=f"{host_b}:10002")
    wb.add_peer(wa, ["10.9.0.1/32", "fd09::1/128"])
    a.wait_ping("10.9.0.2")
    return a, b, wa, wb


def snmp(ns: Netns, proto: str, field: str) -> int:
    rows = [ln.split() for ln in ns.sh("cat /proc/net/snmp").splitlines() if ln.startswith(f"{proto}:")]
    return int(rows[1][rows[0].index(field)])


def test_default_mtu_is_1420_and_packets_around_it_pass_both_ways(topo: Topology) -> None:
    a, b, wa, wb = veth_pair(topo)
    assert '"mtu":1420' in a.sh("ip -j link show wg0").replace(" ", "")
    for src, dst4, dst6, receiver, sender in ((a, "10.9.0.2", "fd09::2", wb, wa), (b, "10.9.0.1", "fd09::1", wa, wb)):
        # exactly the MTU, and just below, with DF: they fit
        src.ping_ok(dst4, count=2, size=1420 - 28, extra="-M do")
        src.ping_ok(dst4, count=2, size=1420 - 28 - 1, extra="-M do")
        src.ping_ok(dst6, count=2, size=1420 - 48, extra="-M do")
        # one byte more with DF cannot go: refused locally, nothing reaches the other side
        rx = receiver.peer(sender).rx_bytes
        assert src.ping(dst4, count=1, size=1420 - 28 + 1, wait=1, extra="-M do").received == 0
        assert src.ping(dst6, count=1, size=1420 - 48 + 1, wait=1, extra="-M do").received == 0
        assert receiver.peer(sender).rx_bytes == rx, "an over-MTU packet with DF went through the tunnel"
        # without DF the inner packet is fragmented before entering the tunnel
        src.ping_ok(dst4, count=2, size=3000)
        src.ping_ok(dst6, count=2, size=3000)


def test_outer_packets_larger_than_the_path_are_fragmented(topo: Topology) -> None:
    a, b, wa, wb = veth_pair(topo)
    a.sh("ip link set wg0 mtu 1600")
    b.sh("ip link set wg0 mtu 1600")
    created = snmp(a, "Ip", "FragCreates")
    # 1572-byte inner packets: 1572 + 32 + 8 + 20 = 1632 > 1500 on the veth
    a.ping_ok("10.9.0.2", count=3, size=1600 - 28, extra="-M do")
    b.ping_ok("10.9.0.1", count=3, size=1600 - 28, extra="-M do")
    assert snmp(a, "Ip", "FragCreates") - created >= 6, "A's outer packets were not fragmented"
    assert snmp(b, "Ip", "ReasmOKs") >= 3, "B did not reassemble A's outer packets"


def test_large_mtu_run(topo: Topology) -> None:
    a, b, wa, wb = veth_pair(topo)
    for ns in (a, b):
        ns.sh("ip link set veth0 mtu 9080 && ip link set wg0 mtu 9000")
    a.ping_ok("10.9.0.2", count=2, size=9000 - 28, extra="-M do")
    b.ping_ok("fd09::1", count=2, size=9000 - 48, extra="-M do")
    # no fragmentation needed outside: every outer packet fits the 9080-byte veth
    frag = snmp(a, "Ip", "FragCreates")
    send_stream(topo, a, b, "10.9.0.2", 2 * 1024 * 1024)
    send_stream(topo, b, a, "fd09::1", 2 * 1024 * 1024, port=5202)
    assert snmp(a, "Ip", "FragCreates") == frag
    assert wb.peer(wa).rx_bytes > 2 * 1024 * 1024 and wa.peer(wb).rx_bytes > 2 * 1024 * 1024
