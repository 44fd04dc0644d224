"""Netlink replies split across messages: a dump too large for one message comes back whole.

     +-----------------------------------------+      +-----------------------------+
     | ns a   wg0 :10001 (the device dumped)   |      | ns b   wg1 (down)           |
     |        peers with many allowed IPs      | ---> |        set from `wg showconf`|
     +-----------------------------------------+      |        of a's wg0           |
                                                      +-----------------------------+
     (no traffic: the peers' keys are random 32-byte strings, nobody holds them)

Each configuration is set with `wg setconf` and read back twice:
- with `wg` (which reassembles a peer whose allowed IPs were split over several
  messages): the peers and every peer's allowed-IP set are exactly what was set;
- raw, with vmtests/lib/guest_wgnl.py `dump` (one receive buffer of 1 MiB, so the kernel
  fills messages of its own choosing): the reply really is split over several messages,
  each carries WGDEVICE_A_PEERS, a peer continued in a later message carries only its
  public key and more allowed IPs, its entries are adjacent, and no allowed IP is sent twice.

Configurations: one peer with 131,512 allowed IPs (also round-tripped through
`wg showconf` into another device), 40 peers with 52 allowed IPs each, 29 peers without
allowed IPs followed by one with 1,500, and 2,000 peers.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import shlex
from dataclasses import dataclass, field

from vmtests.lib.topology import Netns, Topology, WgInterface

WGDEVICE_A_PEERS = 8
WGPEER_A_PUBLIC_KEY, WGPEER_A_ALLOWEDIPS = 1, 9

# Written to the guest and run there: the 131,512-prefix configuration and the sorted list
# `wg show allowed-ips` must give back. Every prefix is written in its canonical form (no
# host bits; v6 without zero groups but the /48 ones, which end in "::").
BIG_CONF_GENERATOR = r'''
import sys
private, peer, conf, want = sys.argv[1:5]
ips = ["10.%d.%d.%d/32" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(100000)]
ips += ["fd00:1:2:3:4:5:%x:%x/128" % (1 + j // 1000, 1 + j % 1000) for j in range(31000)]
ips += ["172.16.%d.0/24" % k for k in range(256)]
ips += ["fd01:%x::/48" % (k + 1) for k in range(256)]
with open(conf, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 10001\n\n[Peer]\nPublicKey = %s\n" % (private, peer))
    f.write("AllowedIPs = " + ",".join(ips) + "\n")
with open(want, "w") as f:
    f.write("\n".join(sorted(ips)) + "\n")
'''
BIG_COUNT = 100000 + 31000 + 256 + 256


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def canonical(cidrs: list[str] | tuple[str, ...]) -> set[str]:
    return {str(ipaddress.ip_network(c, strict=False)) for c in cidrs}


@dataclass
class RawDump:
    """What guest_wgnl.py `dump` saw: the messages' attribute types, the peer entries in order."""

    messages: list[list[int]] = field(default_factory=list)
    entries: list[tuple[int, str, list[int], int]] = field(default_factory=list)   # message, key, attrs, ips
    peers: dict[str, tuple[int, int, int]] = field(default_factory=dict)          # key: entries, ips, distinct


def kv(line: str) -> dict[str, str]:
    return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)


def raw_dump(topo: Topology, ns: Netns, ifname: str = "wg0") -> RawDump:
    tool = f"{topo.workdir}/guest_wgnl.py"
    if not ns.run(f"test -f {tool}").ok:
        topo.put_tool("guest_wgnl.py")
    out = ns.sh(f"timeout 300 python3 {tool} dump {shlex.quote(ifname)}", timeout=330)
    dump = RawDump()
    for line in out.splitlines():
        f = kv(line)
        types = lambda s: [int(t) for t in s.split(",") if t]  # noqa: E731
        if line.startswith("message "):
            dump.messages.append(types(f["attrs"]))
        elif line.startswith("entry "):
            key = base64.b64encode(bytes.fromhex(f["key"])).decode()
            dump.entries.append((int(f["message"]), key, types(f["attrs"]), int(f["ips"])))
        elif line.startswith("peer "):
            key = base64.b64encode(bytes.fromhex(f["key"])).decode()
            dump.peers[key] = (int(f["entries"]), int(f["ips"]), int(f["distinct"]))
    return dump


def check_split(dump: RawDump, want_ips: dict[str, int]) -> None:
    """The reply took several messages and reassembles to ``want_ips`` ({key: number of IPs})."""
    assert len(dump.messages) > 1, f"the reply fit in one message ({dump.messages}): nothing was split"
    # (whether later messages repeat the device's attributes differs: 6.1's own module repeats
    # them while the peer the dump resumes at is the first one; `wg` ignores them there)
    missing = [i for i, m in enumerate(dump.messages) if WGDEVICE_A_PEERS not in m]
    assert not missing, f"messages without WGDEVICE_A_PEERS: {missing[:10]}"
    assert set(dump.peers) == set(want_ips), \
        f"raw dump: {len(dump.peers)} distinct peers, {len(want_ips)} configured"
    wrong = {k: v for k, v in dump.peers.items() if v[1:] != (want_ips[k], want_ips[k])}
    assert not wrong, f"raw dump (entries, ips, distinct ips) differ from what was set: {list(wrong.items())[:5]}"
    # a peer continued in another message repeats only its key, then more allowed IPs; and its
    # entries are adjacent (the next peer starts only when the previous one is complete)
    seen: set[str] = set()
    previous = None
    for message, key, attrs, _ips in dump.entries:
        if key == previous:
            assert set(attrs) == {WGPEER_A_PUBLIC_KEY, WGPEER_A_ALLOWEDIPS}, \
                f"continued entry of {key} in message {message} carries attributes {attrs}"
        else:
            assert key not in seen, f"peer {key} comes back in message {message} after other peers"
        seen.add(key)
        previous = key


def write_conf(topo: Topology, w: WgInterface, peers: list[tuple[str, list[str]]], extra: dict[str, list[str]] | None
               = None) -> str:
    assert w.keys is not None
    lines = ["[Interface]", f"PrivateKey = {w.keys.private}", "ListenPort = 10001", ""]
    for key, ips in peers:
        lines += ["[Peer]", f"PublicKey = {key}"]
        if ips:
            lines.append("AllowedIPs = " + ", ".join(ips))
        lines += (extra or {}).get(key, [])
        lines.append("")
    path = f"{topo.workdir}/peers.conf"
    topo.put_text(path, "\n".join(lines))
    return path


def set_and_check(topo: Topology, a: Netns, wa: WgInterface, peers: list[tuple[str, list[str]]]) -> None:
    conf = write_conf(topo, wa, peers)
    a.sh(f"wg setconf wg0 {conf}", timeout=300)
    state = wa.show()
    assert set(state.peers) == {k for k, _ in peers}, f"{len(state.peers)} peers dumped, {len(peers)} set"
    wrong = [k for k, ips in peers if canonical(state.peers[k].allowed_ips) != canonical(ips)
             or len(state.peers[k].allowed_ips) != len(ips)]
    assert not wrong, f"{len(wrong)} peers read back with other allowed IPs, e.g. {wrong[:1]}"
    check_split(raw_dump(topo, a), {k: len(ips) for k, ips in peers})


def test_one_peer_with_131512_allowed_ips_round_trips(topo: Topology) -> None:
    a, b = topo.netnses("a", "b")
    wa = topo.wireguard(a, listen_port=10001, up=False)
    assert wa.keys is not None
    peer = random_key()
    work = topo.workdir
    topo.put_text(f"{work}/gen.py", BIG_CONF_GENERATOR)
    a.sh(shlex.join(["python3", f"{work}/gen.py", wa.keys.private, peer, f"{work}/big.conf", f"{work}/want"]),
         timeout=300)
    a.sh(f"wg setconf wg0 {work}/big.conf", timeout=300)
    listing = f"cut -f2 | tr ' ' '\\n' | sort > {work}/got && wc -l < {work}/got && cmp {work}/got {work}/want"
    r = a.run(f"wg show wg0 allowed-ips | {listing}", timeout=300)
    assert r.ok and r.output.split()[0] == str(BIG_COUNT), \
        f"`wg show allowed-ips` does not give back the {BIG_COUNT} prefixes set:\n{r.output}\n" + \
        a.run(f"diff {work}/got {work}/want | head -20").output
    assert a.sh("wg show wg0 peers").split() == [peer]
    # the raw reply: split, and every prefix exactly once
    check_split(raw_dump(topo, a), {peer: BIG_COUNT})
    # `wg showconf` of it configures another device identically
    a.sh(f"wg showconf wg0 > {work}/shown.conf", timeout=300)
    b.sh(f"ip link add wg1 type wireguard && wg setconf wg1 {work}/shown.conf", timeout=300)
    r = b.run(f"wg show wg1 allowed-ips | {listing.replace('/got', '/got1')}", timeout=300)
    assert r.ok and r.output.split()[0] == str(BIG_COUNT), \
        f"wg1, set from wg0's `wg showconf`, does not hold the same {BIG_COUNT} prefixes:\n{r.output}"
    assert b.sh("wg show wg1 peers").split() == [peer]
    assert b.sh("wg show wg1 private-key").strip() == wa.keys.private


def test_40_peers_with_52_allowed_ips_each(topo: Topology) -> None:
    a = topo.netns("a")
    wa = topo.wireguard(a, listen_port=10001, up=False)
    peers = []
    for i in range(40):
        ips = [f"10.{i}.{j}.1/32" for j in range(20)]
        ips += [f"fd00:{i + 1:x}::{j + 1:x}/128" for j in range(20)]
        ips += [f"172.{16 + i % 16}.{i * 6 + j}.0/24" for j in range(6)]
        ips += [f"fd10:{i + 1:x}:{j + 1:x}::/64" for j in range(6)]
        assert len(ips) == 52
        peers.append((random_key(), ips))
    set_and_check(topo, a, wa, peers)


def test_29_empty_peers_then_one_with_1500_allowed_ips(topo: Topology) -> None:
    a = topo.netns("a")
    wa = topo.wireguard(a, listen_port=10001, up=False)
    last = [f"10.{200 + (i >> 8)}.{i & 255}.0/24" for i in range(1000)]
    last += [f"fd00:{i + 1:x}::/32" for i in range(500)]
    peers = [(random_key(), []) for _ in range(29)] + [(random_key(), last)]
    set_and_check(topo, a, wa, peers)
    state = wa.show()
    assert [len(state.peers[k].allowed_ips) for k, _ in peers] == [0] * 29 + [1500]


def test_2000_peers(topo: Topology) -> None:
    a = topo.netns("a")
    wa = topo.wireguard(a, listen_port=10001, up=False)
    peers = [(random_key(), [f"10.{100 + (i >> 8)}.{i & 255}.1/32"]) for i in range(2000)]
    extra = {k: ([f"PresharedKey = {random_key()}"] if i % 7 == 0 else [])
             + ([f"Endpoint = 192.0.2.{1 + i % 200}:{30000 + i}"] if i % 3 == 0 else [])
             + (["PersistentKeepalive = 25"] if i % 11 == 0 else [])
             for i, (k, _) in enumerate(peers)}
    conf = write_conf(topo, wa, peers, extra)
    a.sh(f"wg setconf wg0 {conf}", timeout=300)
    state = wa.show()
    assert set(state.peers) == {k for k, _ in peers}, f"{len(state.peers)} peers dumped, 2000 set"
    for i, (key, ips) in enumerate(peers):
        got = state.peers[key]
        want_psk = extra[key][0].split(" = ")[1] if i % 7 == 0 else None
        assert got.allowed_ips == tuple(ips), f"allowed IPs of peer {i}: {got.allowed_ips}"
        assert got.preshared_key == want_psk, f"preshared key of peer {i}"
        assert got.endpoint == (f"192.0.2.{1 + i % 200}:{30000 + i}" if i % 3 == 0 else None), f"endpoint of peer {i}"
        assert got.persistent_keepalive == (25 if i % 11 == 0 else None), f"keepalive of peer {i}"
    check_split(raw_dump(topo, a), {k: 1 for k, _ in peers})
