"""Scenario 10: the generic netlink API -- large configurations, invalid requests, privileges.

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 |          | ns b   wg0  10.9.0.2/24 |
     +-------------------------+          +-------------------------+
     (A is the device under test; hand-made requests come from
      vmtests/lib/guest_wgnl.py run with python3 inside ns a)
"""

from __future__ import annotations

import base64
import errno
import ipaddress
import os
from pathlib import Path

from vmtests.lib.topology import Pair, Topology, parse_dump, two_peers

GUEST_WGNL = Path(__file__).resolve().parents[1] / "lib" / "guest_wgnl.py"

# what each hand-made request must get back (facts §2.1, §2.2); where kernels differ
# in which policy layer refuses a request, either errno is the refusal
REFUSALS: dict[str, set[int]] = {
    "short_private_key": {errno.EINVAL, errno.ERANGE},
    "short_listen_port": {errno.EINVAL, errno.ERANGE},
    "unknown_device_flag": {errno.EOPNOTSUPP, errno.EINVAL},
    "peer_without_public_key": {errno.EINVAL},
    "peer_short_public_key": {errno.EINVAL, errno.ERANGE},
    "peer_protocol_version_2": {errno.EPFNOSUPPORT},
    "allowedip_cidr_33": {errno.EINVAL},
    "allowedip_v4_with_16_bytes": {errno.EINVAL},
    "set_without_interface": {errno.EBADR},
    "set_on_missing_interface": {errno.ENODEV},
    "set_on_loopback": {errno.EOPNOTSUPP},
    "get_with_name_and_index": {errno.EBADR},
}


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _canonical(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


def test_large_configuration_is_set_and_dumped_back_exactly(topo: Topology) -> None:
    p = two_peers(topo, connect=False)
    peers: dict[str, dict[str, object]] = {}
    for i in range(300):
        ips = [f"10.{100 + (i >> 8)}.{i & 255}.{j}/32" for j in range(8)]
        ips += [f"fd00:{i:x}::{j:x}/128" for j in range(3)]
        ips.append(f"172.{16 + (i >> 8)}.{i & 255}.0/24")
        peers[_key()] = {
            "ips": ips,
            "psk": _key() if i % 3 == 0 else None,
            "endpoint": f"192.0.2.{1 + i % 250}:{20000 + i}" if i % 2 == 0 else None,
            "keepalive": 25 if i % 5 == 0 else None,
        }
    lines = ["[Interface]", f"PrivateKey = {p.wa.keys.private}", "ListenPort = 10001", ""]  # type: ignore[union-attr]
    for key, cfg in peers.items():
        lines += ["[Peer]", f"PublicKey = {key}", "AllowedIPs = " + ", ".join(cfg["ips"])]  # type: ignore[arg-type]
        if cfg["psk"]:
            lines.append(f"PresharedKey = {cfg['psk']}")
        if cfg["endpoint"]:
            lines.append(f"Endpoint = {cfg['endpoint']}")
        if cfg["keepalive"]:
            lines.append(f"PersistentKeepalive = {cfg['keepalive']}")
        lines.append("")
    conf = f"{topo.workdir}/big.conf"
    topo.put_text(conf, "\n".join(lines))
    p.a.sh(f"wg setconf wg0 {conf}", timeout=300)
    state = p.wa.show()
    assert state.public_key == p.wa.public_key
    assert set(state.peers) == set(peers), f"{len(state.peers)} peers dumped, {len(peers)} set"
    total = 0
    for key, cfg in peers.items():
        got = state.peers[key]
        want_ips = {_canonical(c) for c in cfg["ips"]}  # type: ignore[attr-defined]
        assert {_canonical(c) for c in got.allowed_ips} == want_ips, f"allowed IPs of {key}"
        assert got.preshared_key == cfg["psk"], f"preshared key of {key}"
        assert got.endpoint == cfg["endpoint"], f"endpoint of {key}"
        assert got.persistent_keepalive == cfg["keepalive"], f"keepalive of {key}"
        total += len(got.allowed_ips)
    assert total == 300 * 12
    # remove every other peer in one request: the dump follows exactly
    gone = list(peers)[::2]
    p.a.sh("wg set wg0 " + " ".join(f"peer {k} remove" for k in gone), timeout=120)
    state = p.wa.show()
    assert set(state.peers) == set(peers) - set(gone)


def _wgnl(topo: Topology, p: Pair, cases: list[str], peer_key: str) -> dict[str, int]:
    """Run hand-made requests in ns a; {case: errno} (0 = accepted)."""
    out = p.a.sh(f"timeout 60 python3 {topo.workdir}/wgnl.py {','.join(cases)} wg0 {peer_key}")
    results = {}
    for line in out.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "case" in fields:
            results[fields["case"]] = int(fields["errno"])
    return results


def test_invalid_requests_are_refused_and_change_nothing(topo: Topology) -> None:
    p = two_peers(topo)
    topo.put_text(f"{topo.workdir}/wgnl.py", GUEST_WGNL.read_text())
    before = p.a.sh("wg show wg0 dump")
    # a valid request that changes nothing is accepted first: the tool itself works
    got = _wgnl(topo, p, ["accepted_noop", *REFUSALS], p.wb.public_key)
    assert got.get("accepted_noop") == 0, f"a valid no-op request was not accepted: {got}"
    wrong = [f"{case}: got {errno.errorcode.get(got[case], got[case]) if got.get(case) else 'accepted'}, "
             f"want one of {sorted(errno.errorcode[e] for e in allowed)}"
             for case, allowed in REFUSALS.items() if got.get(case) not in allowed]
    assert not wrong, "requests not refused as they should be:\n" + "\n".join(wrong)
    after = p.a.sh("wg show wg0 dump")
    assert parse_dump(after) == parse_dump(before), f"a refused request changed the device:\n{before}\n---\n{after}"


def test_unprivileged_user_cannot_configure_or_read_keys(topo: Topology) -> None:
    p = two_peers(topo)
    as_nobody = ("timeout 30 python3 -c 'import os,sys; os.setgroups([]); os.setgid(65534); os.setuid(65534); "
                 "os.execvp(sys.argv[1], sys.argv[1:])' ")
    # root reads the key (control)
    assert p.a.sh("wg show wg0 private-key").strip() == p.wa.keys.private  # type: ignore[union-attr]
    r = p.a.run(as_nobody + "wg show wg0 private-key")
    assert r.status != 0 and "Operation not permitted" in r.output, r.output
    assert p.wa.keys.private not in r.output  # type: ignore[union-attr]
    r = p.a.run(as_nobody + "wg show wg0 dump")
    assert r.status != 0 and "Operation not permitted" in r.output, r.output
    r = p.a.run(as_nobody + "wg set wg0 listen-port 4242")
    assert r.status != 0 and "Operation not permitted" in r.output, r.output
    r = p.a.run(as_nobody + f"wg set wg0 peer {p.wb.public_key} remove")
    assert r.status != 0 and "Operation not permitted" in r.output, r.output
    state = p.wa.show()
    assert state.listen_port == 10001 and p.wb.public_key in state.peers
