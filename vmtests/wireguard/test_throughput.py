"""Load through the tunnel: flood pings and iperf3 (TCP, UDP, parallel streams, outer IPv6, a big MTU).

Flood pings and most iperf3 runs use the usual pair (sockets in outer):

                      ns outer (lo: 127.0.0.1 or ::1)
          wg0(A) socket :10001            wg0(B) socket :10002
                 |   UDP over outer's loopback (v4 or v6)   |
     +-----------+-------------+          +-----------------+-----+
     | ns a   wg0              |          | ns b   wg0            |
     |   10.9.0.1/24 fd09::1/64| <======> |   10.9.0.2/24 fd09::2 |
     |   ping -f / iperf3 -c   |          |   iperf3 -s -1        |
     +-------------------------+          +-----------------------+

The big-MTU run puts the sockets on a veth of MTU 9000 instead:

     +----------------------------------+   veth mtu 9000   +----------------------------------+
     | ns a   veth0 192.168.1.1/24      |-------------------|   veth0 192.168.1.2/24    ns b   |
     |        wg0 mtu 8940  10.9.0.1/24 |                   |   wg0 mtu 8940  10.9.0.2/24      |
     +----------------------------------+                   +----------------------------------+

What is checked:
- a flood ping (`ping -f`, 300 echoes) v4 and v6, each direction: every reply arrives, and the
  sender's `wg show transfer` grows by exactly 300 data messages of the padded size (a passive
  keepalive or two aside), which is what the receiver counts on its side;
- iperf3 TCP v4 and v6, each direction (-R), with -n: the sender sent exactly what was asked, the
  receiver's WireGuard carried at least what the receiving iperf3 read, wg0 counts no errors;
- iperf3 UDP at full rate (-u -b 0): the server received datagrams, wg0 counts no errors;
- 4 and 50 parallel TCP streams: every stream carried data;
- the same TCP run over an outer IPv6 path, and over a 9000-byte veth with wg0's MTU raised.

Throughput is never asserted (the guest is emulated).
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from vmtests.lib.topology import Netns, Pair, Topology, WgInterface, parse_ping, two_peers, veth_peers, wait_until

FLOOD = 300
# An echo of 56 bytes: 84 bytes of IPv4 inside, padded to 96, in a 16 + 96 + 16 = 128-byte
# data message; IPv6: 104 bytes, padded to 112, a 144-byte message (facts §1.2). A passive
# keepalive is 32 bytes.
MESSAGE = {4: 16 + 96 + 16, 6: 16 + 112 + 16}
KEEPALIVE = 32
MiB = 1024 * 1024


def flood(ns: Netns, address: str, count: int) -> tuple[int, int, str]:
    out = ns.run(f"ping -n -q -f -c {count} -W 5 {shlex.quote(address)}", timeout=300).output
    res = parse_ping(out)
    assert res.transmitted, f"ping -f printed no statistics:\n{out}"
    return res.transmitted, res.received, out


def settled_transfer(p: Pair) -> tuple[tuple[int, int], tuple[int, int]]:
    """A's and B's (rx, tx) for each other, once what one sent is what the other received."""
    def agree() -> tuple[tuple[int, int], tuple[int, int]] | None:
        a, b = p.wa.transfer()[p.wb.public_key], p.wb.transfer()[p.wa.public_key]
        return (a, b) if a == (b[1], b[0]) else None
    return wait_until(agree, 30, "A's and B's transfer counters to agree")


@pytest.mark.parametrize("family", [4, 6], ids=["v4", "v6"])
@pytest.mark.parametrize("direction", ["a-to-b", "b-to-a"])
def test_flood_ping_loses_nothing_and_transfer_counts_every_message(topo: Topology, family: int,
                                                                    direction: str) -> None:
    p = two_peers(topo)
    src, dst_addr = (p.a, Pair.B4 if family == 4 else Pair.B6) if direction == "a-to-b" \
        else (p.b, Pair.A4 if family == 4 else Pair.A6)
    wsrc, wdst = (p.wa, p.wb) if direction == "a-to-b" else (p.wb, p.wa)
    src.wait_ping(dst_addr)
    (a0, b0) = settled_transfer(p)
    before = {p.wa: a0, p.wb: b0}

    sent, received, out = flood(src, dst_addr, FLOOD)
    assert (sent, received) == (FLOOD, FLOOD), f"flood ping to {dst_addr}: {received}/{sent} replies\n{out}"

    (a1, b1) = settled_transfer(p)
    after = {p.wa: a1, p.wb: b1}
    src_tx = after[wsrc][1] - before[wsrc][1]
    src_rx = after[wsrc][0] - before[wsrc][0]
    # the requests and the replies are the same size; each side may add a passive keepalive or two
    for what, grew in (("sent", src_tx), ("received", src_rx)):
        extra = grew - FLOOD * MESSAGE[family]
        assert extra in (0, KEEPALIVE, 2 * KEEPALIVE), \
            f"the flood's sender {what} {grew} bytes, not {FLOOD} messages of {MESSAGE[family]} bytes"
    # what the sender sent, the receiver received (settled_transfer), and nothing is an error
    assert after[wdst][0] - before[wdst][0] == src_tx
    for w in (p.wa, p.wb):
        c = w.counters()
        assert (c.rx_errors, c.tx_errors) == (0, 0), f"{w} counts errors: {c}"


# ---------------------------------------------------------------------------
# iperf3
# ---------------------------------------------------------------------------

def iperf3(topo: Topology, server: Netns, client: Netns, address: str, args: str, port: int = 5201,
           timeout: float = 300) -> dict[str, Any]:
    """One iperf3 test from ``client`` to ``address`` (in ``server``); the client's JSON report."""
    quoted = shlex.quote(address)
    pid = server.spawn(f"iperf3 -s -1 -J -B {quoted} -p {port}", log=f"{topo.workdir}/iperf3-server-{port}.log")
    wait_until(lambda: f":{port} " in server.sh("ss -Hltn") + " ", 30, f"iperf3 listening on {address}:{port}")
    r = client.run(f"iperf3 -c {quoted} -p {port} -J {args} 2>{topo.workdir}/iperf3-client.err", timeout=timeout)
    try:
        report: dict[str, Any] = json.loads(r.output)
    except ValueError:
        raise AssertionError(f"iperf3 -c {address} {args} (exit {r.status}) printed no JSON:\n{r.output}") from None
    assert r.status == 0 and "error" not in report, f"iperf3 -c {address} {args} failed: {report.get('error')}"
    wait_until(lambda: not topo.alive(pid), 60, "the iperf3 server to finish its one test")
    return report


def no_errors(*ifaces: WgInterface) -> None:
    for w in ifaces:
        c = w.counters()
        assert (c.rx_errors, c.tx_errors) == (0, 0), f"{w} counts errors: {c}"


def received_by(receiver: WgInterface, sender: WgInterface) -> int:
    return receiver.peer(sender).rx_bytes


def tcp_run(topo: Topology, p: Pair, address: str, reverse: bool, size: int = 4 * MiB) -> None:
    """iperf3 -n ``size`` from a to ``address`` in b (b to a with -R); check bytes and counters."""
    sender, receiver = (p.wb, p.wa) if reverse else (p.wa, p.wb)
    carried = received_by(receiver, sender)
    report = iperf3(topo, p.b, p.a, address, f"-n {size}" + (" -R" if reverse else ""))
    sent, got = report["end"]["sum_sent"]["bytes"], report["end"]["sum_received"]["bytes"]
    assert sent == size, f"iperf3 sent {sent} bytes, asked for {size}"
    # What the receiving iperf3 read had come through the receiver's wg0. (iperf3 stops
    # reading when the sender says it is done, so `got` may be short of `size`.)
    assert got > 0, "the receiving iperf3 read nothing"
    assert received_by(receiver, sender) - carried > got, "WireGuard carried less than iperf3 received"
    no_errors(p.wa, p.wb)


@pytest.mark.parametrize("family", [4, 6], ids=["v4", "v6"])
@pytest.mark.parametrize("reverse", [False, True], ids=["a-sends", "b-sends"])
def test_iperf3_tcp_inside(topo: Topology, family: int, reverse: bool) -> None:
    p = two_peers(topo)
    address = Pair.B4 if family == 4 else Pair.B6
    p.a.wait_ping(address)
    tcp_run(topo, p, address, reverse)


def test_iperf3_tcp_over_an_ipv6_outer_path(topo: Topology) -> None:
    p = two_peers(topo, outer_family=6)
    p.a.wait_ping(Pair.B4)
    assert p.wa.peer(p.wb).endpoint == "[::1]:10002"
    tcp_run(topo, p, Pair.B4, reverse=False)
    tcp_run(topo, p, Pair.B6, reverse=True)


def test_iperf3_tcp_with_a_big_mtu(topo: Topology) -> None:
    p = veth_peers(topo)
    for ns in (p.a, p.b):
        # 9000 on the wire: 8940 inside + 32 + 8 + 20
        ns.sh("ip link set veth0 mtu 9000 && ip link set wg0 mtu 8940")
    p.a.wait_ping("10.9.0.2")
    # a full-size packet passes unfragmented, so the big MTU is really in use
    p.a.ping_ok("10.9.0.2", count=1, size=8940 - 28, extra="-M do")
    tcp_run(topo, p, "10.9.0.2", reverse=False)
    tcp_run(topo, p, "fd09::2", reverse=True)


def test_iperf3_udp_at_full_rate(topo: Topology) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    carried = received_by(p.wb, p.wa)
    report = iperf3(topo, p.b, p.a, Pair.B4, "-u -b 0 -l 1200 -t 2 --get-server-output")
    # (iperf3 3.12's server reports `bytes` 0 in its UDP summary.) Its `packets` is the
    # highest sequence number seen, lost ones included: at full rate some are dropped on the
    # way (socket buffers), so what the server read is `packets` - `lost_packets`.
    server = report["server_output_json"]["end"]["sum"]
    read = server["packets"] - server["lost_packets"]
    assert read > 0, f"the UDP server received nothing: {server}"
    # each of the 1200-byte datagrams it read came through B's wg0
    assert received_by(p.wb, p.wa) - carried > read * 1200, f"iperf3's server: {server}"
    no_errors(p.wa, p.wb)
    # and the tunnel still answers after the flood
    p.a.wait_ping(Pair.B4)


@pytest.mark.parametrize("streams", [4, 50])
def test_iperf3_parallel_tcp_streams(topo: Topology, streams: int) -> None:
    p = two_peers(topo)
    p.a.wait_ping(Pair.B4)
    report = iperf3(topo, p.b, p.a, Pair.B4, f"-P {streams} -t 2", timeout=600)
    per_stream = [s["sender"]["bytes"] for s in report["end"]["streams"]]
    assert len(per_stream) == streams, f"iperf3 ran {len(per_stream)} streams, asked for {streams}"
    assert all(n > 0 for n in per_stream), f"streams that carried nothing: {per_stream}"
    assert report["end"]["sum_received"]["bytes"] > 0
    no_errors(p.wa, p.wb)
