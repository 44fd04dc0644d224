"""wg-quick with a full tunnel (AllowedIPs = 0.0.0.0/0, ::/0): fwmark, rules and the way out.

     +--------------------------------------------+  veth   +----------------------------------+
     | ns a   veth0 192.168.9.1/24                |---------|   veth0 192.168.9.2/24     ns b  |
     |        default via 192.168.9.2 (main)      |         |   lo 10.88.0.2/32 (B's endpoint) |
     |   wgq0 (wg-quick up wgq0.conf)             |         |   lo 10.77.0.1/32 fd77::1/128    |
     |        10.9.0.1/24 fd09::1/64              | <=====> |   wg0 :10002 10.9.0.2 fd09::2    |
     |        peer B: 0.0.0.0/0, ::/0             |         |     peer A: 10.9.0.1, fd09::1    |
     |        endpoint 10.88.0.2:10002            |         +----------------------------------+
     +--------------------------------------------+

B's endpoint 10.88.0.2 is reached only by a's default route, the very route the full tunnel
overrides. wg-quick sets an fwmark on wgq0 and adds, per family, a default route in a table of
that number, `not fwmark <n> lookup <n>` and `lookup main suppress_prefixlength 0` rules, and
sets src_valid_mark (for rp_filter) for IPv4. wgq0's own marked UDP packets skip the tunnel's
table and leave by the main default route; everything else to a non-connected address goes
into the tunnel.

Checked: `wg show wgq0 fwmark` reads back the mark the rules use; the rules and the v6 default
route exist; 100-echo flood pings per family to B's tunnel address, and pings to B's loopback
addresses (reachable only through the tunnel's default routes, 10.88.0.2 included: a's ping to
the endpoint address goes in the tunnel, the tunnel's own packets to it do not) all come back;
B sees a's endpoint as 192.168.9.1, so the outer packets left by the veth. After wg-quick down,
the rules and the interface are gone.

wg-quick runs as a user runs it: its iptables-restore rules (the raw-table anti-spoofing rule
needs the addrtype match, CONFIG_NETFILTER_XT_MATCH_ADDRTYPE in kconfigs/base.config) and all.
"""

from __future__ import annotations

import shlex

from vmtests.lib.topology import Netns, Topology, WgInterface, parse_ping

def setup(topo: Topology) -> tuple[Netns, Netns, WgInterface, str, str]:
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.9.1/24")
    a.sh("ip route add default via 192.168.9.2")
    b.addr("veth0", "192.168.9.2/24")
    b.sh("ip addr add 10.88.0.2/32 dev lo && ip addr add 10.77.0.1/32 dev lo && "
         "ip addr add fd77::1/128 dev lo")
    ka = topo.genkey()
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24", "fd09::2/64"])
    wb.add_peer(ka.public, ["10.9.0.1/32", "fd09::1/128"])
    conf = f"{topo.workdir}/wgq0.conf"
    topo.put_text(conf, "\n".join([
        "[Interface]",
        f"PrivateKey = {ka.private}",
        "Address = 10.9.0.1/24, fd09::1/64",
        "",
        "[Peer]",
        f"PublicKey = {wb.public_key}",
        "AllowedIPs = 0.0.0.0/0, ::/0",
        "Endpoint = 10.88.0.2:10002",
        "",
    ]))
    a.sh(f"chmod 600 {conf}")
    topo.cleanups.append(a.wrap(f"wg-quick down {conf}"))
    a.sh(f"wg-quick up {conf}")
    return a, b, wb, ka.public, conf


def test_full_tunnel_with_wg_quick(topo: Topology) -> None:
    a, b, wb, a_key, conf = setup(topo)
    fwmark = a.sh("wg show wgq0 fwmark").strip()
    assert fwmark not in ("", "off"), f"wg-quick set no fwmark: {fwmark!r}"
    table = int(fwmark, 16)
    for ip in ("ip -4", "ip -6"):
        rules = a.sh(f"{ip} rule show")
        assert f"not from all fwmark {fwmark} lookup {table}" in rules, f"{ip} rule: {rules}"
        assert "from all lookup main suppress_prefixlength 0" in rules, f"{ip} rule: {rules}"
        routes = a.sh(f"{ip} route show table {table}")
        assert routes.split()[:3] == ["default", "dev", "wgq0"], f"{ip} route show table {table}: {routes}"
    assert a.sh("sysctl -n net.ipv4.conf.all.src_valid_mark").strip() == "1"

    a.wait_ping("10.9.0.2")
    a.wait_ping("fd09::2")
    for dst in ("10.9.0.2", "fd09::2"):
        res = parse_ping(a.run(f"ping -n -q -f -c 100 -W 5 {shlex.quote(dst)}", timeout=120).output)
        assert (res.transmitted, res.received) == (100, 100), f"flood ping to {dst}:\n{res.output}"

    # addresses beyond B, reachable only by the tunnel's default routes, the endpoint's included
    before = wb.peer(a_key).rx_bytes
    for far in ("10.77.0.1", "fd77::1", "10.88.0.2"):
        route = a.sh(f"ip -o route get {far}")
        assert "dev wgq0" in route, f"the route to {far} does not enter the tunnel: {route}"
        a.ping_ok(far, count=3)
    assert wb.peer(a_key).rx_bytes > before
    # while the tunnel's own packets to 10.88.0.2 went out by the veth, outside the tunnel
    endpoint = wb.peer(a_key).endpoint
    assert endpoint is not None and endpoint.startswith("192.168.9.1:"), f"B sees A at {endpoint}"
    marked = a.sh(f"ip -o route get 10.88.0.2 mark {fwmark}")
    assert "dev veth0" in marked, f"marked packets to the endpoint do not take the veth: {marked}"

    a.sh(f"wg-quick down {conf}")
    assert not a.link_exists("wgq0")
    for ip in ("ip -4", "ip -6"):
        assert "suppress_prefixlength" not in a.sh(f"{ip} rule show")
