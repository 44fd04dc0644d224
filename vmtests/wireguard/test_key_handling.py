"""Keys through the configuration interface: read back, cleared, clamped, our own key as a peer,
and the default routes 0.0.0.0/0 and ::/0 moved between peers.

                      ns outer (lo: 127.0.0.1)
          wg0(A) socket :10001            wg0(B) socket :10002
     +-------------------------+          +-------------------------+
     | ns a   wg0  10.9.0.1/24 | <======> | ns b   wg0  10.9.0.2/24 |
     |        fd09::1/64       |          |        fd09::2/64       |
     |  peer C: random key,    |          |                         |
     |  no endpoint (nobody)   |          |                         |
     +-------------------------+          +-------------------------+

Checked: `wg show` gives back each private, public and preshared key exactly; /dev/null
clears the private key (no public key is left, the tunnel stops, and works again once the
key is back) and a preshared key; a peer with the device's own public key is not added,
and a new private key whose public key is a configured peer's removes that peer; an
unclamped private key reads back clamped (RFC 7748 section 5), with the public key of the
clamped scalar; 0.0.0.0/0 and ::/0 move whole from one peer to another, and the traffic
goes where the dump says.
"""

from __future__ import annotations

import base64
import os
import shlex

from vmtests.lib.topology import Keypair, Pair, Topology, two_peers


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def clamp(raw: bytes) -> bytes:
    k = bytearray(raw)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return bytes(k)


def test_every_key_reads_back_exactly(topo: Topology) -> None:
    psk = topo.genpsk()
    p = two_peers(topo, psk=psk)
    assert p.wa.keys is not None and p.wb.keys is not None
    assert p.a.sh("wg show wg0 private-key").strip() == p.wa.keys.private
    assert p.a.sh("wg show wg0 public-key").strip() == p.wa.keys.public
    assert p.a.sh("wg show wg0 preshared-keys").split() == [p.wb.public_key, psk]
    state = p.wa.show()
    assert (state.private_key, state.public_key) == (p.wa.keys.private, p.wa.keys.public)
    assert list(state.peers) == [p.wb.public_key] and state.peers[p.wb.public_key].preshared_key == psk
    conf = p.a.sh("wg showconf wg0")
    assert f"PrivateKey = {p.wa.keys.private}" in conf and f"PresharedKey = {psk}" in conf, conf
    # and they are the keys in use: the handshake needs all of them to match
    p.a.wait_ping(Pair.B4)


def test_dev_null_clears_the_private_key_and_a_preshared_key(topo: Topology) -> None:
    psk = topo.genpsk()
    p = two_peers(topo, psk=psk)
    assert p.wa.keys is not None
    p.a.wait_ping(Pair.B4)
    p.a.sh(f"wg set wg0 peer {p.wb.public_key} preshared-key /dev/null")
    assert p.wa.peer(p.wb).preshared_key is None
    assert p.a.sh("wg show wg0 preshared-keys").split() == [p.wb.public_key, "(none)"]
    p.a.sh("wg set wg0 private-key /dev/null")
    state = p.wa.show()
    assert (state.private_key, state.public_key) == (None, None), state
    assert p.a.sh("wg show wg0 private-key").strip() == "(none)"
    assert p.a.sh("wg show wg0 public-key").strip() == "(none)"
    assert "PrivateKey" not in p.a.sh("wg showconf wg0")
    assert list(state.peers) == [p.wb.public_key], "clearing the private key removed peers"
    # without an identity A has no session (its keys were expired) and cannot make one
    assert p.a.ping(Pair.B4, count=2, wait=1).received == 0
    # the key back, and B's preshared key cleared too: the tunnel works again
    p.b.sh(f"wg set wg0 peer {p.wa.public_key} preshared-key /dev/null")
    p.wa.set_private_key(p.wa.keys)
    assert p.wa.show().public_key == p.wa.keys.public
    p.a.wait_ping(Pair.B4)


def test_own_public_key_as_a_peer(topo: Topology) -> None:
    p = two_peers(topo)
    assert p.wa.keys is not None and p.wb.keys is not None
    old = p.wa.keys
    # a peer with A's own public key: accepted without error, and not added
    r = p.wa.try_wg(f"set wg0 peer {p.wa.public_key} allowed-ips 10.9.0.77/32")
    assert r.ok, r.output
    assert list(p.wa.show().peers) == [p.wb.public_key]
    # A takes, as its new private key, the one whose public key is its peer B's: B is removed
    p.wa.set_private_key(p.wb.keys)
    state = p.wa.show()
    assert state.public_key == p.wb.public_key
    assert state.peers == {}, f"the peer with the device's new public key is still there: {list(state.peers)}"
    # and the old identity, now an ordinary key, can be a peer
    p.wa.add_peer(old.public, ["10.9.0.77/32"])
    assert list(p.wa.show().peers) == [old.public]


def test_unclamped_private_key_reads_back_clamped(topo: Topology) -> None:
    a = topo.netns("a")
    w = topo.wireguard(a, listen_port=10001, with_key=False)
    for raw in (b"\xff" * 32, bytes(range(1, 33)), os.urandom(32)[:31] + b"\x80"):
        given = b64(raw)
        assert clamp(raw) != raw, "the test key must need clamping"
        a.sh(f"wg set wg0 private-key <(printf '%s\\n' {shlex.quote(given)})")
        want_public = a.sh(f"printf '%s\\n' {shlex.quote(b64(clamp(raw)))} | wg pubkey").strip()
        state = w.show()
        assert state.private_key == b64(clamp(raw)), f"{given} read back as {state.private_key}"
        assert state.public_key == want_public
        # wg pubkey clamps as well: the unclamped key has the same public key
        assert a.sh(f"printf '%s\\n' {shlex.quote(given)} | wg pubkey").strip() == want_public
        w.keys = Keypair(private=given, public=want_public)


def test_default_routes_move_between_peers(topo: Topology) -> None:
    p = two_peers(topo, connect=False)
    c = b64(os.urandom(32))
    p.wa.add_peer(c, ["0.0.0.0/0", "::/0"])
    p.wa.add_peer(p.wb, endpoint=p.endpoint_b)
    p.wb.add_peer(p.wa, [f"{Pair.A4}/32", f"{Pair.A6}/128"], endpoint=p.endpoint_a)
    state = p.wa.show()
    assert set(state.peers[c].allowed_ips) == {"0.0.0.0/0", "::/0"} and state.peers[p.wb.public_key].allowed_ips == ()
    # everything routes to C, who has no endpoint: nothing reaches B
    assert p.a.ping(Pair.B4, count=1, wait=1).received == 0
    assert p.wb.transfer()[p.wa.public_key] == (0, 0)
    # B takes both default routes: they leave C
    p.wa.set(f"peer {p.wb.public_key} allowed-ips 0.0.0.0/0,::/0")
    state = p.wa.show()
    assert state.peers[c].allowed_ips == ()
    assert set(state.peers[p.wb.public_key].allowed_ips) == {"0.0.0.0/0", "::/0"}
    p.a.wait_ping(Pair.B4)
    p.a.ping_ok(Pair.B6)
    # only ::/0 goes back to C: v4 still reaches B, v6 no longer does
    p.wa.set(f"peer {c} allowed-ips ::/0")
    state = p.wa.show()
    assert state.peers[c].allowed_ips == ("::/0",) and state.peers[p.wb.public_key].allowed_ips == ("0.0.0.0/0",)
    p.a.ping_ok(Pair.B4)
    b_rx = p.wb.transfer()[p.wa.public_key][0]
    assert p.a.ping(Pair.B6, count=1, wait=1).received == 0
    assert p.wb.transfer()[p.wa.public_key][0] == b_rx, "a v6 packet reached B after ::/0 moved to C"
    # `wg set ... allowed-ips` replaces C's list: ::/0 is given up and goes to nobody
    p.wa.set(f"peer {c} allowed-ips 10.200.0.0/16")
    state = p.wa.show()
    assert state.peers[c].allowed_ips == ("10.200.0.0/16",)
    assert state.peers[p.wb.public_key].allowed_ips == ("0.0.0.0/0",)
