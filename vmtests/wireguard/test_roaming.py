"""Scenario 4: roaming -- the initiator's outer address changes, the responder's endpoint follows.

     +----------------------------------+   veth   +----------------------------------+
     | ns a (A's socket here)           |----------| ns b (B's socket here)           |
     |   veth0 192.168.1.1/24 fd10::1   |          |   veth0 192.168.1.2/24 fd10::2   |
     |   wg0 10.9.0.1/24  :10001        |          |   wg0 10.9.0.2/24  :10002        |
     +----------------------------------+          +----------------------------------+
     A roams: 192.168.1.1 -> 192.168.1.11 (fd10::1 -> fd10::11), then port 10001 -> 10011.
     B has no endpoint for A: it learns A's from authenticated packets only (facts §1.9).
"""

from __future__ import annotations

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface, wait_until

FAMILIES = [pytest.param(4, id="outer-v4"), pytest.param(6, id="outer-v6")]


def veth_pair(topo: Topology) -> tuple[Netns, Netns, WgInterface, WgInterface]:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.1.1/24", "fd10::1/64")
    b.addr("veth0", "192.168.1.2/24", "fd10::2/64")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    return a, b, wa, wb


def ep(family: int, host: str, port: int) -> str:
    return f"[fd10::{host}]:{port}" if family == 6 else f"192.168.1.{host}:{port}"


@pytest.mark.parametrize("family", FAMILIES)
def test_responder_endpoint_follows_the_initiator(topo: Topology, family: int) -> None:
    a, b, wa, wb = veth_pair(topo)
    wa.add_peer(wb, ["10.9.0.2/32"], endpoint=ep(family, "2", 10002))
    wb.add_peer(wa, ["10.9.0.1/32"])
    assert wb.endpoints()[wa.public_key] is None
    a.wait_ping("10.9.0.2")
    assert wb.endpoints()[wa.public_key] == ep(family, "1", 10001)

    # A's outer address changes
    if family == 4:
        # .11 is a secondary address of the subnet: keep it when the primary goes
        a.sh("sysctl -qw net.ipv4.conf.veth0.promote_secondaries=1 && "
             "ip addr add 192.168.1.11/24 dev veth0 && ip addr del 192.168.1.1/24 dev veth0")
        assert "192.168.1.11/24" in a.sh("ip -4 -o addr show dev veth0")
    else:
        a.sh("ip addr add fd10::11/64 dev veth0 nodad && ip addr del fd10::1/64 dev veth0")
    # the endpoint moves only with an authenticated packet from the new address
    assert wb.endpoints()[wa.public_key] == ep(family, "1", 10001)
    a.wait_ping("10.9.0.2")
    assert wb.endpoints()[wa.public_key] == ep(family, "11", 10001)
    # and B's own traffic now goes to the new address
    b.ping_ok("10.9.0.1", count=2)

    # A's port changes too
    wa.set("listen-port 10011")
    a.wait_ping("10.9.0.2")
    wait_until(lambda: wb.endpoints()[wa.public_key] == ep(family, "11", 10011), 30,
               "B's endpoint for A to follow A's new port")
    b.ping_ok("10.9.0.1", count=2)
