"""Tearing tunnels down while they carry traffic: interface deletion, peer removal, namespace deletion.

The first two tests use the usual pair (sockets in outer), with a flood ping running in a:

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     |   ping -f -w 120 B      |          |                         |
     +-------------------------+          +-------------------------+

The last one crosses two interfaces between two namespaces, each created in one and moved to
the other, so each namespace holds one interface and the other one's UDP socket:

     +-------------------------------------+  veth   +-------------------------------------+
     | ns one   veth0 192.168.5.1/24       |---------|   veth0 192.168.5.2/24     ns two   |
     |   socket of wgxa :10001             |         |   socket of wgxb :10002             |
     |   wgxb 10.9.0.2/24 (made in two)    |         |   wgxa 10.9.0.1/24 (made in one)    |
     +-------------------------------------+         +-------------------------------------+

Checked (a kernel report during any command fails the test: the harness raises KernelSplat):
- `ip link del wg0` under a flood: the command returns, the interface and its UDP port are
  gone, the flood gets no reply any more and ends on SIGINT (it is not stuck in the kernel);
  an interface created again on the same port works;
- `wg set wg0 peer B remove` under a flood: the peer is gone, the flood ping gets "destination
  unreachable" errors for its packets and, as `ping -w` does on errors, ends by itself reporting
  them; the interface stays and works again once the peer is back;
- the crossed pair with live sessions (keepalives every second): both `ip netns del` return,
  the two interfaces are destroyed (their `wg-crypt-<name>` kernel threads end), and the module
  still creates a working interface afterwards.
"""

from __future__ import annotations

import re

from vmtests.lib.topology import Netns, Pair, Topology, parse_ping, run, sh, two_peers, wait_until


def start_flood(topo: Topology, p: Pair) -> tuple[int, str]:
    """A flood ping from a to B (iputils, not the applet busybox's setsid would pick)."""
    log = f"{topo.workdir}/flood.log"
    pid = p.a.spawn(f"/bin/ping -n -f -w 120 {Pair.B4}", log=log)
    base = p.wb.peer(p.wa).rx_bytes
    # the flood is under way once B has received a few hundred of its echoes
    wait_until(lambda: p.wb.peer(p.wa).rx_bytes - base > 300 * 128, 60, "the flood to reach B")
    return pid, log


def udp_ports(ns: Netns) -> set[int]:
    return {int(f[3].rsplit(":", 1)[1]) for f in (ln.split() for ln in ns.sh("ss -Hlun").splitlines()) if len(f) >= 4}


def test_deleting_the_interface_under_a_flood(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    pid, log = start_flood(topo, p)

    p.a.sh("ip link del wg0")
    assert not p.a.link_exists("wg0")
    assert p.a.sh("wg show interfaces").split() == []
    wait_until(lambda: 10001 not in udp_ports(p.outer), 30, "A's UDP port 10001 to be released")
    # nothing reaches B any more
    rx = p.wb.peer(p.wa).rx_bytes
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    assert p.wb.peer(p.wa).rx_bytes == rx
    # the flood ping is still a live process, not stuck: it ends on SIGINT with its statistics
    p.a.sh(f"kill -INT {pid}")
    wait_until(lambda: not topo.alive(pid), 30, "the flood ping to end on SIGINT")
    res = parse_ping(p.a.sh(f"cat {log}"))
    assert res.transmitted >= res.received > 0, f"flood ping statistics: {res.output[-400:]}"

    # the same port can be bound again, and the tunnel works again
    sh(topo.vm, p.wa.create_command([f"{Pair.A4}/24"]))
    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b)
    p.a.wait_ping(Pair.B4)


def test_removing_the_peer_under_a_flood(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    errors = p.wa.counters().tx_errors
    pid, log = start_flood(topo, p)

    p.wa.remove_peer(p.wb)
    assert p.wa.show().peers == {}
    # with no peer for 10.9.0.2, A answers its own packets with "destination unreachable":
    # ping counts them as errors, and with -w it stops at the first
    wait_until(lambda: not topo.alive(pid), 60, "the flood ping to end on its errors")
    out = p.a.sh(f"cat {log}")
    m = re.search(r"\+(\d+) errors", out)
    assert m and int(m.group(1)) >= 1, f"the flood ping reported no errors:\n{out[-600:]}"
    assert p.wa.counters().tx_errors > errors
    assert p.a.link_exists("wg0")

    p.wa.add_peer(p.wb, [f"{Pair.B4}/32"], endpoint=p.endpoint_b)
    p.a.wait_ping(Pair.B4)


def crypt_threads(topo: Topology, *names: str) -> set[str]:
    """Which of the interfaces ``names`` still have their wg-crypt-<name> workqueue's kernel thread."""
    comms = set(run(topo.vm, "ps -e -o comm=").output.split())
    return {n for n in names if f"wg-crypt-{n}" in comms}


def test_crossed_interfaces_then_both_namespaces_deleted(topo: Topology) -> None:
    one, two = topo.netnses("one", "two")
    topo.veth(one, "veth0", two, "veth0")
    one.addr("veth0", "192.168.5.1/24")
    two.addr("veth0", "192.168.5.2/24")
    wa = topo.wireguard(two, name="wgxa", created_in=one, listen_port=10001, addresses=["10.9.0.1/24"])
    wb = topo.wireguard(one, name="wgxb", created_in=two, listen_port=10002, addresses=["10.9.0.2/24"])
    # wgxa's socket is in one: it reaches wgxb's socket at two's address, and the other way round
    wa.add_peer(wb, ["10.9.0.2/32"], endpoint="192.168.5.2:10002", persistent_keepalive=1)
    wb.add_peer(wa, ["10.9.0.1/32"], endpoint="192.168.5.1:10001", persistent_keepalive=1)
    assert 10001 in udp_ports(one) and 10002 in udp_ports(two)
    two.wait_ping("10.9.0.2")
    one.ping_ok("10.9.0.1", count=3)
    wa.wait_handshake(wb)
    wb.wait_handshake(wa)
    assert crypt_threads(topo, "wgxa", "wgxb") == {"wgxa", "wgxb"}, "no wg-crypt-<name> threads to watch"

    sh(topo.vm, f"ip netns del {one.name} && ip netns del {two.name}", timeout=60)
    topo.namespaces.remove(one)
    topo.namespaces.remove(two)
    assert one.name not in sh(topo.vm, "ip netns list") and two.name not in sh(topo.vm, "ip netns list")
    wait_until(lambda: not crypt_threads(topo, "wgxa", "wgxb"), 120,
               "both interfaces to be destroyed with their namespaces (their wg-crypt threads to end)")

    # the module is still usable
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
