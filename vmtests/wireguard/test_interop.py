"""Scenario 8: interop with wireguard-go (Debian's package), configured with `wg` over its socket.

     +----------------------------------+   veth   +-------------------------------------+
     | ns a: the kernel WireGuard       |----------| ns b: wireguard-go (userspace, TUN) |
     |   veth0 192.168.1.1/24 fd10::1   |          |   veth0 192.168.1.2/24 fd10::2      |
     |   wg0  10.9.0.1/24 fd09::1 :10001|          |   wgoN 10.9.0.2/24 fd09::2 :10002   |
     +----------------------------------+          +-------------------------------------+
     wireguard-go's UAPI socket: /var/run/wireguard/wgoN.sock (global, so each test uses its own N)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from vmtests.lib.topology import Netns, Topology, WgInterface, guest_has, run, send_stream, wait_until

_names = itertools.count(1)
INITIATION, RESPONSE, PING4_MESSAGE = 148, 92, 128


@dataclass
class Interop:
    a: Netns
    b: Netns
    kernel: WgInterface
    go: WgInterface


def with_wireguard_go(topo: Topology) -> Interop:
    # Both are part of every test guest (the image's package list, kconfigs/base.config):
    # a guest without them is a broken harness, not a reason to skip.
    if not guest_has(topo.vm, "wireguard-go"):
        pytest.fail("wireguard-go is not installed in the guest: the guest image lost the package")
    if not run(topo.vm, "test -d /proc/sys/fs/inotify").ok:
        pytest.fail("the guest kernel has no inotify (CONFIG_INOTIFY_USER, asked for by kconfigs/base.config), "
                    "which wireguard-go's UAPI socket needs ('Failed to listen on uapi socket: function not "
                    "implemented')")
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.1.1/24", "fd10::1/64")
    b.addr("veth0", "192.168.1.2/24", "fd10::2/64")
    kernel = topo.wireguard(a, listen_port=10001, addresses=["10.9.0.1/24", "fd09::1/64"])
    name = f"wgo{next(_names)}"
    sock = f"/var/run/wireguard/{name}.sock"
    topo.cleanups.append(f"rm -f {sock}")
    b.spawn(f"env WG_PROCESS_FOREGROUND=1 WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go {name}",
            log=f"{topo.workdir}/{name}.log")
    wait_until(lambda: b.run(f"test -S {sock} && test -e /sys/class/net/{name}").ok, 60,
               f"wireguard-go to create {name} and its socket")
    keys = topo.genkey()
    go = WgInterface(topo, b, name, keys, 10002, b)
    b.sh(f"wg set {name} listen-port 10002 private-key <(printf '%s\\n' {keys.private}) && "
         f"ip addr add 10.9.0.2/24 dev {name} && ip addr add fd09::2/64 dev {name} nodad && ip link set {name} up")
    assert b.sh(f"wg show {name} public-key").strip() == keys.public
    return Interop(a, b, kernel, go)


@pytest.mark.parametrize("initiator", ["kernel", "wireguard-go"])
def test_handshake_and_traffic_with_wireguard_go(topo: Topology, initiator: str) -> None:
    t = with_wireguard_go(topo)
    # both know each other's endpoint, so either can start
    t.kernel.add_peer(t.go, ["10.9.0.2/32", "fd09::2/128"], endpoint="192.168.1.2:10002")
    t.go.add_peer(t.kernel, ["10.9.0.1/32", "fd09::1/128"], endpoint="[fd10::1]:10001")
    if initiator == "kernel":
        t.a.wait_ping("10.9.0.2")
        # The kernel side initiated: it sent one initiation and received one response,
        # the rest being data (128-byte pings, 32-byte keepalives: multiples of 32).
        # Had wireguard-go initiated, the remainders would be 148 - 92 = 56 off.
        rx, tx = t.kernel.transfer()[t.go.public_key]
        assert rx >= RESPONSE + PING4_MESSAGE and tx >= INITIATION + PING4_MESSAGE
        assert (rx - RESPONSE) % 32 == 0 and (tx - INITIATION) % 32 == 0, \
            f"rx {rx}, tx {tx}: not one response received and one initiation sent plus data"
    else:
        t.b.wait_ping("10.9.0.1")
        rx, tx = t.kernel.transfer()[t.go.public_key]
        assert rx >= INITIATION + PING4_MESSAGE and tx >= RESPONSE + PING4_MESSAGE
        assert (rx - INITIATION) % 32 == 0 and (tx - RESPONSE) % 32 == 0, \
            f"rx {rx}, tx {tx}: not one initiation received and one response sent plus data"
        assert t.kernel.endpoints()[t.go.public_key] == "[fd10::2]:10002"
    assert t.kernel.latest_handshakes()[t.go.public_key] > 0
    assert t.go.latest_handshakes()[t.kernel.public_key] > 0
    t.a.ping_ok("fd09::2", count=3)
    t.b.ping_ok("fd09::1", count=3)
    send_stream(topo, t.a, t.b, "10.9.0.2", 512 * 1024)
    send_stream(topo, t.b, t.a, "fd09::1", 512 * 1024, port=5202)
