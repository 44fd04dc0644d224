"""User namespaces: what a process that is root only in its own user namespace may do.

     init user ns                              user ns U (unshare -U -r, uid 65534 outside
     +---------------------------+             or root outside, as noted)
     | ns a                      |             +------------------------------+
     |   wg0 :10001  peer P      |  ip link    | ns u (owned by U)             |
     |   (keys of root's)        |  set netns  |   wg0 created in U's ns       |
     |   wg1 created here -------+-----------> |   wg1 (socket stays in ns a)  |
     +---------------------------+             +------------------------------+

Checked: from a new user namespace (as uid 65534), ns a's wg0 is refused: no dump, no
private key, no change; in a network namespace of its own (unshare -U -r -n) it creates
and configures its own interface (keys read back, the port listens); a device created in
ns a and moved into a namespace owned by U can have its peers changed from U, but not its
listen port or fwmark (those need CAP_NET_ADMIN where its socket lives, ns a): EPERM.
"""

from __future__ import annotations

import shlex

import pytest

from vmtests.lib.topology import Topology, run, wait_until

# (the guest's setpriv is BusyBox's, without --reuid)
AS_NOBODY = ("python3 -c 'import os,sys; os.setgroups([]); os.setgid(65534); os.setuid(65534); "
             "os.execvp(sys.argv[1], sys.argv[1:])' ")


def userns_allowed(topo: Topology) -> None:
    r = run(topo.vm, AS_NOBODY + "unshare -U -r -n true")
    if not r.ok:
        pytest.skip(f"this kernel gives an unprivileged user no user namespace: {r.output.strip()}")


def test_other_namespace_keys_are_not_readable_from_a_user_namespace(topo: Topology) -> None:
    userns_allowed(topo)
    a = topo.netns("a")
    w = topo.wireguard(a, listen_port=10001)
    assert w.keys is not None
    peer = topo.genkey().public
    w.add_peer(peer, ["10.9.0.2/32"])
    before = w.show()
    # root inside its own user namespace, but in ns a (owned by the initial user namespace)
    for args in ("show wg0 private-key", "show wg0 dump", "showconf wg0", f"set wg0 peer {peer} remove",
                 "set wg0 listen-port 4242"):
        r = a.run(AS_NOBODY + "unshare -U -r " + f"wg {args}")
        assert not r.ok and "Operation not permitted" in r.output, f"wg {args} from a user namespace: {r.output}"
        assert w.keys.private not in r.output
    assert w.show() == before


def test_a_user_namespace_configures_its_own_interface(topo: Topology) -> None:
    userns_allowed(topo)
    keys = topo.genkey()
    peer = topo.genkey().public
    script = " && ".join([
        "ip link add wg0 type wireguard",
        f"wg set wg0 private-key <(printf '%s\\n' {shlex.quote(keys.private)}) listen-port 4242 fwmark 0x42 "
        f"peer {peer} allowed-ips 10.9.0.2/32 endpoint 127.0.0.1:4243 persistent-keepalive 30",
        "ip link set lo up && ip addr add 10.9.0.1/24 dev wg0 && ip link set wg0 up",
        "wg show wg0 dump", "echo ---", "ss -Huln",
    ])
    r = run(topo.vm, AS_NOBODY + "unshare -U -r -n bash -c " + shlex.quote(script))
    assert r.ok, r.output
    dump, _, sockets = r.output.partition("---")
    lines = [ln.split("\t") for ln in dump.strip().splitlines()]
    assert lines[0] == [keys.private, keys.public, "4242", "0x42"], lines[0]
    assert lines[1][0] == peer and lines[1][2:4] == ["127.0.0.1:4243", "10.9.0.2/32"] and lines[1][7] == "30", lines[1]
    assert "0.0.0.0:4242" in sockets and "[::]:4242" in sockets, sockets


def test_device_moved_into_a_user_namespace_keeps_port_and_fwmark_out_of_reach(topo: Topology) -> None:
    a = topo.netns("a")
    # root outside, mapped to root inside: the user namespace and its network namespace live
    # as long as this process
    pid = a.spawn("unshare -U -r -n sleep 600")
    wait_until(lambda: run(topo.vm, f"readlink /proc/{pid}/ns/user").output.strip() !=
               run(topo.vm, "readlink /proc/self/ns/user").output.strip(), 30, "the user namespace to exist")
    w = topo.wireguard(a, name="wg1", listen_port=10001)
    assert w.keys is not None
    w.set("fwmark 0x7")
    old_peer, new_peer = (k.public for k in topo.genkeys(2))
    w.add_peer(old_peer, ["10.9.0.2/32"])
    a.sh(f"ip link set wg1 netns {pid}")
    inside = f"nsenter -t {pid} -U -n "

    def wg(args: str) -> tuple[bool, str]:
        r = run(topo.vm, inside + f"wg {args}")
        return r.ok, r.output

    ok, out = wg("show wg1 dump")
    assert ok, out
    assert out.splitlines()[0].split("\t") == [w.keys.private, w.keys.public, "10001", "0x7"], out
    # peers may change
    ok, out = wg(f"set wg1 peer {old_peer} remove peer {new_peer} allowed-ips 10.9.0.3/32 endpoint 127.0.0.1:4243")
    assert ok, out
    ok, out = wg("show wg1 dump")
    peers = [ln.split("\t") for ln in out.strip().splitlines()[1:]]
    assert [(f[0], f[2], f[3]) for f in peers] == [(new_peer, "127.0.0.1:4243", "10.9.0.3/32")], out
    # the socket stays in ns a: its port and mark are not U's to change
    for args in ("set wg1 listen-port 4242", "set wg1 fwmark 0x8", "set wg1 listen-port 10001"):
        ok, out = wg(args)
        assert not ok and "Operation not permitted" in out, f"wg {args} from the user namespace: {out}"
    ok, out = wg("show wg1 dump")
    assert out.splitlines()[0].split("\t")[2:] == ["10001", "0x7"], out
    # the move took the device down; brought up from U, its socket opens in ns a, where it was created
    r = run(topo.vm, inside + "ip link set wg1 up")
    assert r.ok, r.output
    assert "0.0.0.0:10001" in a.sh("ss -Huln")
    assert "10001" not in run(topo.vm, inside + "ss -Huln").output
