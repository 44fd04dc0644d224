"""A sender behind NAT into the tunnel learns "unreachable" once the peer for its destination is gone.

     +-----------------------------+  veth  +------------------------------------+  veth  +-------------------------+
     | ns c (a client)             |--------| ns a (router)                      |--------| ns b                    |
     |   veth0 192.168.7.2/24      |        |   veth1 192.168.7.1/24 fd07::1/64  |        |   veth0 192.168.1.2/24  |
     |         fd07::2/64          |        |   veth0 192.168.1.1/24             |        |   wg0 :10002            |
     |   default via a             |        |   wg0 :10001 10.9.0.1/24 fd09::1   | <====> |     10.9.0.2 fd09::2    |
     |   ping / UDP to 10.9.0.2,   |        |   forwarding on; MASQUERADE -o wg0 |        |   peer A: 10.9.0.1/32,  |
     |   fd09::2                   |        |   (v4 and v6)                      |        |           fd09::1/128   |
     +-----------------------------+        +------------------------------------+        +-------------------------+

B allows only A's own tunnel addresses, so c reaches B only because a masquerades c's packets
behind 10.9.0.1 / fd09::1. Once a removes peer B, c's packets still enter a's wg0, which has no
peer to send them to and answers with ICMP "destination unreachable" (host / address
unreachable), addressed to the packet's original, pre-NAT sender. Checked from c: ping reports
the error ("+1 errors", "Unreachable") instead of a plain timeout, and a connected UDP socket
with IP_RECVERR / IPV6_RECVERR (unreachable hosts are soft errors, reported only then) gets
EHOSTUNREACH; v4 and v6.
"""

from __future__ import annotations

import re
import shlex

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface

UDP_PROBE = """
import errno, socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
# host/address unreachable is a soft error: a UDP socket hears of it only with IP(V6)_RECVERR
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, 25, 1)    # IPV6_RECVERR
else:
    s.setsockopt(socket.IPPROTO_IP, 11, 1)      # IP_RECVERR
s.settimeout(5)
s.connect((sys.argv[1], 9))
s.send(b"probe")
try:
    s.recv(100)
    print("result=data")
except socket.timeout:
    print("result=timeout")
except OSError as e:
    print("result=" + errno.errorcode.get(e.errno, str(e.errno)))
"""


def setup(topo: Topology) -> tuple[Netns, Netns, Netns, WgInterface, WgInterface]:
    c, a, b = topo.netnses("c", "a", "b")
    topo.veth(c, "veth0", a, "veth1")
    topo.veth(a, "veth0", b, "veth0")
    c.addr("veth0", "192.168.7.2/24", "fd07::2/64")
    c.sh("ip route add default via 192.168.7.1 && ip -6 route add default via fd07::1")
    a.addr("veth1", "192.168.7.1/24", "fd07::1/64")
    a.addr("veth0", "192.168.1.1/24")
    a.sysctl(net__ipv4__ip_forward=1, net__ipv6__conf__all__forwarding=1)
    a.sh("iptables -t nat -A POSTROUTING -o wg0 -j MASQUERADE && "
         "ip6tables -t nat -A POSTROUTING -o wg0 -j MASQUERADE")
    b.addr("veth0", "192.168.1.2/24")
    wa = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24", "fd09::1/64"])
    wb = topo.wireguard(b, listen_port=10002, addresses=["10.9.0.2/24", "fd09::2/64"])
    wa.add_peer(wb, ["10.9.0.2/32", "fd09::2/128"], endpoint="192.168.1.2:10002")
    wb.add_peer(wa, ["10.9.0.1/32", "fd09::1/128"])
    return c, a, b, wa, wb


@pytest.mark.parametrize("dst", ["10.9.0.2", "fd09::2"], ids=["v4", "v6"])
def test_unreachable_reaches_the_sender_behind_nat(topo: Topology, dst: str) -> None:
    c, a, b, wa, wb = setup(topo)
    c.wait_ping(dst, what=f"c's ping to {dst} through a's NAT and the tunnel")
    probe = f"{topo.workdir}/udp_probe.py"
    topo.put_text(probe, UDP_PROBE)
    # before: B is there; the UDP probe to a closed port gets B's port unreachable
    before = c.sh(f"python3 {probe} {shlex.quote(dst)}")
    assert "result=ECONNREFUSED" in before, f"UDP probe through the tunnel: {before}"

    wa.remove_peer(wb)
    errors = wa.counters().tx_errors
    r = c.run(f"ping -n -c 1 -W 3 {shlex.quote(dst)}")
    m = re.search(r"\+(\d+) errors", r.output)
    assert r.status != 0 and m and int(m.group(1)) == 1, f"ping got no ICMP error back:\n{r.output}"
    assert "unreachable" in r.output.lower(), r.output
    after = c.sh(f"python3 {probe} {shlex.quote(dst)}")
    assert "result=EHOSTUNREACH" in after, f"UDP probe after the peer's removal: {after}"
    assert wa.counters().tx_errors - errors == 2, "a's wg0 did not count the two packets it could not send"
