"""Scenario 9: configuration paths -- setconf, wg-quick, ip link, namespaces, rmmod.

Most tests use the usual pair (sockets in outer):

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+

wg-quick runs where its interface's socket lives, so it gets a veth instead:

     +------------------------------+  veth   +------------------------------+
     | ns a  wgq0 10.9.0.1 (wg-quick)|---------| ns b  wg0 10.9.0.2  :10002   |
     |       veth0 192.168.9.1/24   |         |       veth0 192.168.9.2/24   |
     +------------------------------+         +------------------------------+
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmtests.lib.implementation import ensure_loaded
from vmtests.lib.topology import Netns, Pair, Topology, run, two_peers, wait_until
from wgcompat.vm.shell import chain, cmd


def udp_ports(ns: Netns) -> set[int]:
    """UDP ports bound in ``ns`` (kernel sockets included)."""
    ports = set()
    for ln in ns.sh("ss -Hlun").splitlines():
        f = ln.split()
        if len(f) >= 4:
            ports.add(int(f[3].rsplit(":", 1)[1]))
    return ports


def test_setconf_from_a_file_replaces_the_configuration(topo: Topology) -> None:
    p = two_peers(topo, connect=False)
    stray = topo.genkey()
    p.wa.add_peer(stray.public, ["10.9.0.77/32"])
    conf = f"{topo.workdir}/a.conf"
    topo.put_text(conf, "\n".join([
        "[Interface]",
        f"PrivateKey = {p.wa.keys.private}",  # type: ignore[union-attr]
        "ListenPort = 10011",
        "",
        "[Peer]",
        f"PublicKey = {p.wb.public_key}",
        f"AllowedIPs = {Pair.B4}/32, {Pair.B6}/128",
        f"Endpoint = {p.endpoint_b}",
        "PersistentKeepalive = 25",
        "",
    ]))
    p.wa.wg(f"setconf wg0 {conf}")
    state = p.wa.show()
    assert state.listen_port == 10011
    assert list(state.peers) == [p.wb.public_key], "setconf kept a peer that the file does not list"
    peer = state.peers[p.wb.public_key]
    assert set(peer.allowed_ips) == {f"{Pair.B4}/32", f"{Pair.B6}/128"}
    assert peer.endpoint == p.endpoint_b and peer.persistent_keepalive == 25
    assert 10011 in udp_ports(p.outer)
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32"], endpoint=p.endpoint(10011))
    p.a.wait_ping(Pair.B4)
    # showconf | setconf is a fixed point
    shown = p.a.sh("wg showconf wg0")
    p.a.sh(f"wg showconf wg0 > {topo.workdir}/shown.conf && wg setconf wg0 {topo.workdir}/shown.conf")
    assert p.a.sh("wg showconf wg0") == shown


def test_wg_quick_up_and_down(topo: Topology) -> None:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.9.1/24")
    b.addr("veth0", "192.168.9.2/24")
    ka = topo.genkey()
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24"])
    wb.add_peer(ka.public, ["10.9.0.1/32"])
    conf = f"{topo.workdir}/wgq0.conf"
    topo.put_text(conf, "\n".join([
        "[Interface]",
        f"PrivateKey = {ka.private}",
        "Address = 10.9.0.1/24",
        "MTU = 1380",
        "",
        "[Peer]",
        f"PublicKey = {wb.public_key}",
        "AllowedIPs = 10.9.0.2/32",
        "Endpoint = 192.168.9.2:10002",
        "",
    ]))
    a.sh(f"chmod 600 {conf} && wg-quick up {conf}")
    link = json.loads(a.sh("ip -d -j link show wgq0"))[0]
    assert link["mtu"] == 1380
    assert link["linkinfo"]["info_kind"] == "wireguard"
    assert "10.9.0.1" in a.sh("ip -4 -o addr show dev wgq0")
    a.wait_ping("10.9.0.2")
    assert wb.peer(ka.public).endpoint is not None and wb.peer(ka.public).endpoint.startswith("192.168.9.1:")
    a.sh(f"wg-quick down {conf}")
    assert not a.link_exists("wgq0")
    assert a.ping("10.9.0.2", count=1, wait=1).received == 0


def test_ip_link_add_and_del(topo: Topology) -> None:
    (x,) = topo.netnses("x")
    x.sh("ip link add wg7 type wireguard")
    link: dict[str, Any] = json.loads(x.sh("ip -d -j link show wg7"))[0]
    assert link["linkinfo"]["info_kind"] == "wireguard"
    assert link["mtu"] == 1420
    assert {"POINTOPOINT", "NOARP"} <= set(link["flags"])
    assert x.sh("wg show interfaces").split() == ["wg7"]
    assert x.sh("wg show wg7 listen-port").strip() == "0"
    x.sh("ip link del wg7")
    assert not x.link_exists("wg7")
    assert x.sh("wg show interfaces").split() == []
    r = x.run("wg show wg7")
    assert r.status != 0 and "No such device" in r.output


def test_moved_interface_keeps_its_socket_where_it_was_created(topo: Topology) -> None:
    p = two_peers(topo)
    assert {10001, 10002} <= udp_ports(p.outer)
    assert not ({10001, 10002} & (udp_ports(p.a) | udp_ports(p.b)))
    p.a.wait_ping(Pair.B4)
    # move A's interface on to a fourth namespace: its socket stays in outer, the tunnel keeps working
    (d,) = topo.netnses("d")
    p.a.sh(f"ip link set wg0 netns {d.name}")
    assert not p.a.link_exists("wg0") and d.link_exists("wg0")
    d.addr("wg0", f"{Pair.A4}/24")
    assert 10001 in udp_ports(p.outer) and 10001 not in udp_ports(d)
    d.wait_ping(Pair.B4)
    assert d.sh("wg show wg0 listen-port").strip() == "10001"


def test_deleting_a_namespace_deletes_its_interfaces_and_frees_their_ports(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    # an interface whose socket is in a itself, besides the one moved there from outer
    topo.wireguard(p.a, name="wg1", listen_port=10005)
    assert 10005 in udp_ports(p.a)
    deleted = topo.vm.run(f"ip netns del {p.a.name}", timeout=60)
    assert deleted.status == 0, f"ip netns del {p.a.name} failed: {deleted.output}"
    topo.namespaces.remove(p.a)
    # A's wg0 is gone with the namespace, and its socket in outer with it
    wait_until(lambda: 10001 not in udp_ports(p.outer), 60, "outer's port 10001 to be released")
    fresh = topo.wireguard(p.outer, name="wg9", listen_port=10001, with_key=False)
    assert fresh.ns.sh("wg show wg9 listen-port").strip() == "10001"
    assert p.b.ping(Pair.A4, count=1, wait=1).received == 0


@pytest.mark.parametrize("outer", [pytest.param(4, id="outer-v4"), pytest.param(6, id="outer-v6")])
def test_deleting_the_namespace_of_its_socket_keeps_an_interface_that_lives_elsewhere(topo: Topology,
                                                                                     outer: int) -> None:
    p = two_peers(topo, outer_family=outer)
    p.a.wait_ping(Pair.B4)
    deleted = topo.vm.run(f"ip netns del {p.outer.name}", timeout=60)
    assert deleted.status == 0, f"ip netns del {p.outer.name} failed: {deleted.output}"
    topo.namespaces.remove(p.outer)
    # A's and B's wg0 live in a and b: they stay, with their configuration, only their
    # sockets went with outer
    for ns, w, peer in ((p.a, p.wa, p.wb), (p.b, p.wb, p.wa)):
        assert ns.link_exists("wg0"), f"{ns.name}'s wg0 was deleted with the namespace of its socket"
        state = w.show()
        assert state.private_key == w.keys.private and list(state.peers) == [peer.public_key], state
    assert p.a.ping(Pair.B4, count=1, wait=1).received == 0
    # The kernel ends namespaces one batch after another. Had a device that lives on kept
    # anything of outer's (a cached route holds outer's loopback), outer's end would wait
    # for ever and every namespace deleted after it with it: a namespace deleted now must
    # go, and its veth's other end in the guest's own namespace with it.
    later, veth = f"{p.outer.name}-later", f"wgclater{outer}"
    made = topo.vm.run(chain(cmd("ip", "netns", "add", later),
                             cmd("ip", "link", "add", veth, "type", "veth", "peer", "name", "in-later",
                                 "netns", later),
                             cmd("ip", "netns", "del", later)), timeout=60)
    assert made.status == 0, made.output
    wait_until(lambda: not topo.vm.run(cmd("ip", "link", "show", "dev", veth)).ok, 60,
               f"the end of a namespace deleted after {p.outer.name} ({veth} to leave with it)")


@pytest.mark.destructive
def test_rmmod_with_interfaces_present_and_traffic_flowing(fresh_wg_vm: Any, implementation: str) -> None:
    with Topology(fresh_wg_vm, "rmmod") as topo:
        p = two_peers(topo)
        p.a.wait_ping(Pair.B4)
        p.a.spawn(f"ping -q -i 0.01 {Pair.B4}")
        p.b.spawn(f"ping -q -i 0.01 {Pair.A6}")
        rx = p.wb.transfer()[p.wa.public_key][0]
        wait_until(lambda: p.wb.transfer()[p.wa.public_key][0] > rx + 20 * 128, 60, "traffic flowing A -> B")
        r = run(fresh_wg_vm, "rmmod wireguard", timeout=120)
        assert r.status == 0, f"rmmod wireguard failed: {r.output}"
        assert not run(fresh_wg_vm, "test -d /sys/module/wireguard").ok
        assert not p.a.link_exists("wg0") and not p.b.link_exists("wg0")
        assert not ({10001, 10002} & udp_ports(p.outer))
    # loading it again gives a working module
    ensure_loaded(fresh_wg_vm, implementation)
    with Topology(fresh_wg_vm, "again") as topo:
        p = two_peers(topo)
        p.a.wait_ping(Pair.B4)
