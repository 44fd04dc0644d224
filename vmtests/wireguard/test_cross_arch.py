"""Interop across architectures and byte orders: this run's guest against a guest of another
architecture (--peer-arch; s390x is big-endian), both running the same kernel series.

     +--------------------------------+   QEMU socket network   +--------------------------------+
     | guest vm1: this run's kernel   |   (UDP on the host's    | guest vm2: the same series     |
     |   and --implementation         |    127.0.0.1: Ethernet  |   built for --peer-arch, our   |
     |   eth0 10.77.0.1/24            |    frames, whoever      |   module or its kernel's own   |
     |   wg0  10.9.0.1/24 :51820      |<=== sends them) =======>|   eth0 10.77.0.2/24            |
     +--------------------------------+                         |   wg0  10.9.0.2/24 :51820      |
                                                                +--------------------------------+

A counter or a length written in host order, an unaligned load, a structure laid out
differently: each passes between two peers of one byte order and breaks between a
little-endian and a big-endian one. vm2's kernel and module are planned like the run's own
(the same series, flavour and crypto, built for --peer-arch; cached after the first time).
Each side initiates once; pings of every padding remainder cross in both directions, and
each side's byte counters agree with the other's: what one sent is what the other received.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vmtests.lib.implementation import ensure_loaded
from vmtests.lib.topology import parse_dump, sh, wait_until
from vmtests.lib.two_guests import genkey, ping, setup_wg

# ICMP payloads whose inner packets (28 bytes of headers more) leave every remainder modulo
# 16, the padding unit, and the largest that fits a 1420-byte tunnel MTU
SIZES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1000, 1392)


@pytest.fixture(scope="module")
def peer_artefacts(pytestconfig: pytest.Config, artefacts: Any) -> Any:
    from wgcompat.errors import UserError
    from wgcompat.kernel.select import selection
    from wgcompat.run.plan import RunRequest, plan_run

    peer = pytestconfig.getoption("--peer-arch")
    if not peer:
        pytest.skip("needs --peer-arch (e.g. s390x, big-endian): the architecture of the other guest")
    kernel = artefacts.kernel
    if peer == kernel.arch:
        pytest.fail(f"--peer-arch {peer} is the run's own architecture: name another one", pytrace=False)
    try:
        request = RunRequest(selection(kernel.version, config=kernel.flavour, arch=peer),
                             crypto=artefacts.request.crypto, debug_module=artefacts.request.debug_module)
        return plan_run(request).require()
    except UserError as exc:
        pytest.fail(f"the {peer} guest cannot be built: {exc.cause}\nfix: {exc.fix}", pytrace=False)


@pytest.fixture(params=["ours", "reference"], ids=lambda p: f"peer-{p}")
def cross_guests(request: pytest.FixtureRequest, implementation: str, artefacts: Any, peer_artefacts: Any,
                 console_logs: Any) -> Iterator[tuple[Any, Any]]:
    from wgcompat.run.guests import start_wired_guests

    ours = artefacts.module if implementation == "ours" else None
    theirs = peer_artefacts.module if request.param == "ours" else None
    with start_wired_guests(artefacts.kernel, console_logs / f"cross-arch-{request.param}", first=ours,
                            second=theirs, second_kernel=peer_artefacts.kernel) as (vm1, vm2):
        ensure_loaded(vm1, implementation)
        ensure_loaded(vm2, request.param)
        yield vm1, vm2


def counters_agree(vm1: Any, vm2: Any, k1: Any, k2: Any) -> bool:
    one = parse_dump(sh(vm1, "wg show wg0 dump")).peers[k2.public]
    two = parse_dump(sh(vm2, "wg show wg0 dump")).peers[k1.public]
    return one.tx_bytes == two.rx_bytes and two.tx_bytes == one.rx_bytes


@pytest.mark.destructive
def test_a_guest_of_another_byte_order_or_word_size_interoperates(cross_guests: tuple[Any, Any]) -> None:
    vm1, vm2 = cross_guests
    machines = sh(vm1, "uname -m").strip(), sh(vm2, "uname -m").strip()
    assert machines[0] != machines[1], f"both guests run on {machines[0]}"
    k1, k2 = genkey(vm1), genkey(vm2)
    setup_wg(vm1, k1, "10.9.0.1", k2, "10.9.0.2", "10.77.0.2:51820")
    setup_wg(vm2, k2, "10.9.0.2", k1, "10.9.0.1", "10.77.0.1:51820")
    wait_until(lambda: ping(vm1, "10.9.0.2"), 120, f"vm1 ({machines[0]}) to reach vm2 ({machines[1]})")
    for size in SIZES:
        assert ping(vm1, "10.9.0.2", size), f"a {size}-byte ping from {machines[0]} got no reply"
        assert ping(vm2, "10.9.0.1", size), f"a {size}-byte ping from {machines[1]} got no reply"
    wait_until(lambda: counters_agree(vm1, vm2, k1, k2), 60, "the two sides' byte counters to agree")
    # start over, and vm2 initiates
    for vm, peer in ((vm1, k2), (vm2, k1)):
        sh(vm, f"wg set wg0 peer {peer.public} remove")
    sh(vm1, f"wg set wg0 peer {k2.public} allowed-ips 10.9.0.2/32 endpoint 10.77.0.2:51820")
    sh(vm2, f"wg set wg0 peer {k1.public} allowed-ips 10.9.0.1/32 endpoint 10.77.0.1:51820")
    wait_until(lambda: ping(vm2, "10.9.0.1"), 120, f"vm2 ({machines[1]}) to reach vm1 ({machines[0]})")
    d1 = parse_dump(sh(vm1, "wg show wg0 dump")).peers[k2.public]
    # vm1 received vm2's initiation (148 bytes) and answered it (92); had vm1 initiated, both
    # would be 56 off the multiples of 32 that data and keepalives of this size add
    assert d1.latest_handshake > 0 and (d1.rx_bytes - 148) % 32 == 0 and (d1.tx_bytes - 92) % 32 == 0, \
        f"vm1 received {d1.rx_bytes} and sent {d1.tx_bytes} bytes: vm2 was not the initiator"
    assert ping(vm1, "10.9.0.2", 1392)
    wait_until(lambda: counters_agree(vm1, vm2, k1, k2), 60, "the two sides' byte counters to agree")
