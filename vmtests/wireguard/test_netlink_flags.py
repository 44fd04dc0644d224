"""Peer and allowed-IP flags wg(8) 1.0.20210914 cannot send: WGPEER_F_UPDATE_ONLY and
WGALLOWEDIP_F_REMOVE_ME, sent with vmtests/lib/guest_wgnl.py `set`.

     +------------------------------------------+
     | ns a   wg0 :10001 (down; the device set)  |
     |   peer P  (random key)  allowed IPs ...   |
     |   peer Q  (random key)  allowed IPs ...   |
     |   unknown key U: never configured         |
     +------------------------------------------+

Flag values (facts section 2): WGPEER_F_REPLACE_ALLOWEDIPS = 2, WGPEER_F_UPDATE_ONLY = 4,
WGALLOWEDIP_F_REMOVE_ME = 1 (in WGALLOWEDIP_A_FLAGS, attribute 4, new in Linux 6.16).

Checked: UPDATE_ONLY for an unknown peer is accepted and creates nothing; for an existing
peer it adds allowed IPs (and with REPLACE_ALLOWEDIPS replaces them). REMOVE_ME removes
exactly that prefix from that peer, not the same prefix of another peer nor a covering or
covered one; removing an absent prefix is accepted and changes nothing.

REMOVE_ME is skipped where the implementation refuses WGALLOWEDIP_A_FLAGS with EINVAL (as
kernels before 6.16 do: Linux 6.1's own WireGuard parses the allowed-IP nest strictly and
refuses the unknown attribute). Our module accepts it on every kernel.
"""

from __future__ import annotations

import base64
import errno
import os
import shlex

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface

REPLACE_ALLOWEDIPS, UPDATE_ONLY = 2, 4
REMOVE_ME = "@1"


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def nl_set(topo: Topology, ns: Netns, key: str, flags: int, *specs: str) -> int:
    """One SET with one peer entry; the errno the kernel answered (0 = accepted)."""
    tool = f"{topo.workdir}/guest_wgnl.py"
    if not ns.run(f"test -f {tool}").ok:
        topo.put_tool("guest_wgnl.py")
    out = ns.sh(shlex.join(["timeout", "60", "python3", tool, "set", "wg0", key, str(flags), *specs]))
    fields = dict(f.split("=", 1) for f in out.split() if "=" in f)
    return int(fields["errno"])


def ips(w: WgInterface) -> dict[str, set[str]]:
    return {k: set(s.allowed_ips) for k, s in w.show().peers.items()}


def setup(topo: Topology) -> tuple[Netns, WgInterface, str, str]:
    a = topo.netns("a")
    w = topo.wireguard(a, listen_port=10001, up=False)
    p, q = random_key(), random_key()
    w.add_peer(p, ["10.5.0.0/24", "10.6.0.1/32", "fd00:5::/64", "10.7.0.0/16"], persistent_keepalive=7)
    w.add_peer(q, ["10.8.0.0/24", "fd00:8::/64"])
    return a, w, p, q


def test_update_only_never_creates_a_peer(topo: Topology) -> None:
    a, w, p, q = setup(topo)
    before = w.show()
    unknown = random_key()
    assert nl_set(topo, a, unknown, UPDATE_ONLY, "10.50.0.0/24") == 0
    assert nl_set(topo, a, unknown, UPDATE_ONLY | REPLACE_ALLOWEDIPS) == 0
    after = w.show()
    assert after == before, f"an UPDATE_ONLY request for an unknown peer changed the device:\n{after}"
    # control: the same request without the flag does create it
    assert nl_set(topo, a, unknown, 0, "10.50.0.0/24") == 0
    assert ips(w)[unknown] == {"10.50.0.0/24"}


def test_update_only_updates_an_existing_peer(topo: Topology) -> None:
    a, w, p, q = setup(topo)
    assert nl_set(topo, a, p, UPDATE_ONLY, "10.60.0.0/24", "fd00:60::/64") == 0
    got = ips(w)
    assert got[p] == {"10.5.0.0/24", "10.6.0.1/32", "fd00:5::/64", "10.7.0.0/16", "10.60.0.0/24", "fd00:60::/64"}
    assert got[q] == {"10.8.0.0/24", "fd00:8::/64"}
    assert w.peer(p).persistent_keepalive == 7, "an update without a keepalive attribute changed it"
    # UPDATE_ONLY with REPLACE_ALLOWEDIPS replaces the list of the existing peer; a prefix
    # of Q's moves to P
    assert nl_set(topo, a, p, UPDATE_ONLY | REPLACE_ALLOWEDIPS, "10.70.0.0/24", "10.8.0.0/24") == 0
    got = ips(w)
    assert got == {p: {"10.70.0.0/24", "10.8.0.0/24"}, q: {"fd00:8::/64"}}, got


def test_remove_me_removes_exactly_that_prefix(topo: Topology) -> None:
    a, w, p, q = setup(topo)
    first = nl_set(topo, a, p, 0, "10.6.0.1/32" + REMOVE_ME)
    if first == errno.EINVAL and ips(w)[p] == {"10.5.0.0/24", "10.6.0.1/32", "fd00:5::/64", "10.7.0.0/16"}:
        pytest.skip("this WireGuard refuses WGALLOWEDIP_A_FLAGS (EINVAL): WGALLOWEDIP_F_REMOVE_ME is Linux 6.16+")
    assert first == 0, f"REMOVE_ME of an existing prefix: errno {first}"
    want = {p: {"10.5.0.0/24", "fd00:5::/64", "10.7.0.0/16"}, q: {"10.8.0.0/24", "fd00:8::/64"}}
    assert ips(w) == want
    # v6 too
    assert nl_set(topo, a, p, 0, "fd00:5::/64" + REMOVE_ME) == 0
    want[p].discard("fd00:5::/64")
    assert ips(w) == want
    # absent prefixes: one nobody has, Q's prefix asked of P, a prefix inside and one around P's
    # 10.7.0.0/16, the same network with another length: accepted, nothing changes
    for spec in ("10.99.0.0/16", "10.8.0.0/24", "fd00:8::/64", "10.7.1.0/24", "10.0.0.0/8", "10.7.0.0/17",
                 "10.6.0.1/32"):
        assert nl_set(topo, a, p, 0, spec + REMOVE_ME) == 0, f"REMOVE_ME of absent {spec} refused"
        assert ips(w) == want, f"REMOVE_ME of {spec}, which P does not have, changed the allowed IPs"
    # removals and additions in one request; the peer's other settings stay
    assert nl_set(topo, a, p, 0, "10.5.0.0/24" + REMOVE_ME, "10.55.0.0/24") == 0
    want[p] = {"10.7.0.0/16", "10.55.0.0/24"}
    assert ips(w) == want
    assert w.peer(p).persistent_keepalive == 7
    # an invalid prefix is still refused
    assert nl_set(topo, a, p, 0, "10.7.0.0/33" + REMOVE_ME) == errno.EINVAL
    assert ips(w) == want
