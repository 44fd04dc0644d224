"""Scenario 7: a peer behind SNAT stays reachable with persistent keepalive.

   +---------------------------+  veth  +----------------------------------+  veth  +---------------------------+
   | ns a (client, behind NAT) |--------| ns r (router, MASQUERADE out)    |--------| ns b (server)             |
   |  veth0 192.168.1.2/24     |        |  veth0 192.168.1.1  veth1 203.0.113.1 |   |  veth0 203.0.113.2/24     |
   |  wg0 10.9.0.1  :10001     |        |  UDP conntrack timeouts: 2 s     |        |  wg0 10.9.0.2  :10002     |
   +---------------------------+        +----------------------------------+        +---------------------------+

B has no endpoint for A and cannot reach 192.168.1.2: only A's keepalives keep
the router's mapping alive, and B learns A's endpoint as the router's address.
"""

from __future__ import annotations

from vmtests.lib.topology import Topology, wait_until

KEEPALIVE = 32


def test_peer_behind_snat_stays_reachable_with_persistent_keepalive(topo: Topology) -> None:
    a, r, b = topo.netnses("a", "r", "b")
    topo.veth(a, "veth0", r, "veth0")
    topo.veth(r, "veth1", b, "veth0")
    a.addr("veth0", "192.168.1.2/24")
    r.addr("veth0", "192.168.1.1/24")
    r.addr("veth1", "203.0.113.1/24")
    b.addr("veth0", "203.0.113.2/24")
    a.route("default via 192.168.1.1")
    r.sh("sysctl -qw net.ipv4.ip_forward=1 && "
         "sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 && "
         "sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=2 && "
         # the legacy tables: bookworm's iptables-nft 1.8.9 cannot append MASQUERADE on 5.10 and
         # older ("RULE_APPEND failed (No such file or directory)"); every test kernel has them
         "iptables-legacy -t nat -A POSTROUTING -s 192.168.1.0/24 -o veth1 -j MASQUERADE")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    wb.add_peer(wa, ["10.9.0.1/32"])
    assert b.ping("10.9.0.1", count=1, wait=1).received == 0, "B reached A before A ever spoke"
    wa.add_peer(wb, ["10.9.0.2/32"], endpoint="203.0.113.2:10002", persistent_keepalive=1)
    wb.wait_handshake(wa)
    endpoint = wb.endpoints()[wa.public_key]
    assert endpoint is not None and endpoint.startswith("203.0.113.1:"), f"B sees A at {endpoint}"
    # keepalives go on for several conntrack timeouts; B can reach A all along
    rx = wb.peer(wa).rx_bytes
    wait_until(lambda: wb.peer(wa).rx_bytes >= rx + 6 * KEEPALIVE, 60, "six more keepalives from A at B")
    b.ping_ok("10.9.0.1", count=3)
    assert wb.endpoints()[wa.public_key] == endpoint
