"""Scenario 8b: interop between two guests -- the implementation under test against the kernel's own.

     +--------------------------------+   QEMU socket network   +--------------------------------+
     | guest vm1: --implementation    |   (UDP on the host's    | guest vm2: the kernel's own    |
     |   eth0 10.77.0.1/24            |    127.0.0.1)           |   eth0 10.77.0.2/24            |
     |   wg0  10.9.0.1/24 :51820      |<======================>|   wg0  10.9.0.2/24 :51820      |
     +--------------------------------+                         +--------------------------------+

Both guests boot the same kernel; vm1 gets our module when --implementation is
ours, vm2 always loads /lib/modules/reference/wireguard.ko. Each side initiates once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vmtests.lib.implementation import ensure_loaded
from vmtests.lib.topology import parse_dump, sh, wait_until
from vmtests.lib.two_guests import genkey, ping, setup_wg


@pytest.fixture
def two_guests(request: pytest.FixtureRequest, implementation: str, kernel_build: Any,
               console_logs: Any) -> Iterator[tuple[Any, Any]]:
    from wgcompat.run.guests import start_wired_guests

    ours = request.getfixturevalue("module_build") if implementation == "ours" else None
    with start_wired_guests(kernel_build, console_logs / "interop-vms", first=ours) as (vm1, vm2):
        ensure_loaded(vm1, implementation)
        ensure_loaded(vm2, "reference")
        yield vm1, vm2


@pytest.mark.destructive
def test_both_directions_against_the_kernels_own_wireguard_in_another_guest(two_guests: tuple[Any, Any]) -> None:
    vm1, vm2 = two_guests
    k1, k2 = genkey(vm1), genkey(vm2)
    setup_wg(vm1, k1, "10.9.0.1", k2, "10.9.0.2", "10.77.0.2:51820")
    setup_wg(vm2, k2, "10.9.0.2", k1, "10.9.0.1", "10.77.0.1:51820")
    # vm1 initiates
    wait_until(lambda: ping(vm1, "10.9.0.2"), 60, "vm1 to reach vm2 through the tunnel")
    assert parse_dump(sh(vm1, "wg show wg0 dump")).peers[k2.public].latest_handshake > 0
    assert ping(vm2, "10.9.0.1")
    # start over, and vm2 initiates
    for vm, peer in ((vm1, k2), (vm2, k1)):
        sh(vm, f"wg set wg0 peer {peer.public} remove")
    setup_peer = "wg set wg0 peer {pub} allowed-ips {ip}/32 endpoint {ep}"
    sh(vm1, setup_peer.format(pub=k2.public, ip="10.9.0.2", ep="10.77.0.2:51820"))
    sh(vm2, setup_peer.format(pub=k1.public, ip="10.9.0.1", ep="10.77.0.1:51820"))
    wait_until(lambda: ping(vm2, "10.9.0.1"), 60, "vm2 to reach vm1 through the tunnel")
    d1 = parse_dump(sh(vm1, "wg show wg0 dump")).peers[k2.public]
    # vm1 received vm2's initiation (148) and sent the response (92); the rest is data,
    # 128-byte pings and 32-byte keepalives. Had vm1 initiated, both would be 56 off.
    assert d1.latest_handshake > 0 and d1.rx_bytes >= 148, "vm1 did not receive vm2's initiation"
    assert (d1.rx_bytes - 148) % 32 == 0 and (d1.tx_bytes - 92) % 32 == 0, \
        f"vm1 received {d1.rx_bytes} and sent {d1.tx_bytes} bytes: vm2 was not the initiator"
    assert ping(vm1, "10.9.0.2")
