"""Churn: interfaces made, used and deleted many times leave nothing behind.

     --churn-cycles times (default 1,000):
     +----------------------------+  veth 10.76.0.0/24  +----------------------------+
     | ns churn-a  wg0 10.77.0.1  | <================> | ns churn-b  wg0 10.77.0.2  |
     +----------------------------+                    +----------------------------+
       create both, configure, one ping through the tunnel, delete both namespaces

     then --churn-loads times (default 100): modprobe, an interface with a peer and an
     address, rmmod.

Our WG_DEBUG build counts its live objects (the read-only module parameter
``objects``: devices, peers, keypairs, allowed-IP trie nodes). After the cycles
every count is back where it started; every cycle's ping got its reply; the module
then loads and unloads with a configured interface present each time (rmmod succeeds,
the interface goes with it). On a debug
kernel the guest's kmemleak scan at the end of its life covers the same ground for
every allocation, ours or the kernel's. The cycles run in one guest-side script
(vmtests/lib/churn.sh), so the count is not bounded by the console's round trips.

Ours only: the kernel's own WireGuard has no object counters.
"""

from __future__ import annotations

import shlex

import pytest

from vmtests.lib.implementation import DEBUG_PARAMETERS, require_debug_parameter
from vmtests.lib.topology import Topology, run, wait_until

PARAM = f"{DEBUG_PARAMETERS}/objects"


def objects(topo: Topology) -> dict[str, int]:
    fields = run(topo.vm, f"cat {PARAM}").output.split()
    return {fields[i]: int(fields[i + 1]) for i in range(0, len(fields) - 1, 2)}


@pytest.fixture
def counted(fresh_wg_vm, implementation: str) -> None:
    require_debug_parameter(fresh_wg_vm, implementation, "objects", "object counters")


@pytest.mark.destructive
def test_many_interface_lifetimes_leave_no_object_behind(fresh_wg_vm, counted: None,
                                                         pytestconfig: pytest.Config) -> None:
    cycles = int(pytestconfig.getoption("--churn-cycles"))
    with Topology(fresh_wg_vm, "churn") as topo:
        before = objects(topo)
        assert set(before) == {"devices", "peers", "keypairs", "aip_nodes"}, before
        keys = topo.genkeys(2)
        work = topo.workdir
        for name, k in (("a", keys[0]), ("b", keys[1])):
            topo.vm.run(f"umask 077; printf '%s\\n' {shlex.quote(k.private)} > {work}/key-{name}", timeout=30)
        script = topo.put_tool("churn.sh")
        out = run(topo.vm, shlex.join(["bash", script, "churn", str(cycles), f"{work}/key-a", f"{work}/key-b"]),
                  timeout=10 * cycles + 600).output
        assert f"cycles {cycles} pings {cycles}" in out, out
        # peers and keypairs go after an RCU grace period: wait for the counts, not for time
        wait_until(lambda: objects(topo) == before, 60,
                   f"the object counts to return to {before} after {cycles} cycles")


@pytest.mark.destructive
def test_the_module_loads_and_unloads_with_an_interface_present(fresh_wg_vm, counted: None,
                                                                 pytestconfig: pytest.Config) -> None:
    loads = int(pytestconfig.getoption("--churn-loads"))
    cycle = ("modprobe wireguard && ip link add wgx type wireguard && "
             "wg set wgx listen-port 0 peer "
             "aGVsbG8gd29ybGQsIHRoaXMgaXMgMzIgYnl0ZXMhISE= allowed-ips 10.78.0.2/32 && "
             "ip addr add 10.78.0.1/24 dev wgx && ip link set wgx up && rmmod wireguard")
    out = run(fresh_wg_vm, f"set -e; for i in $(seq {loads}); do {cycle}; done; echo loads done",
              timeout=30 * loads + 600).output
    assert "loads done" in out, out
    assert not run(fresh_wg_vm, "test -e /sys/class/net/wgx").ok, "an interface outlived its module"
    assert not run(fresh_wg_vm, "grep -q '^wireguard ' /proc/modules").ok, "the last rmmod left the module loaded"
    # what the unloads freed, the guest's kmemleak scan (debug kernels) checks as the guest retires


@pytest.mark.destructive
def test_the_read_only_counters_refuse_a_value_at_load(fresh_wg_vm, counted: None) -> None:
    """`objects` is read-only: given a value on the modprobe line, the load fails and names the
    parameter, and the module loads normally afterwards."""
    assert run(fresh_wg_vm, "rmmod wireguard").ok
    refused = run(fresh_wg_vm, "modprobe wireguard objects=1")
    assert not refused.ok, f"the load accepted a value for a read-only parameter: {refused.output}"
    log = run(fresh_wg_vm, "dmesg | tail -n 5").output
    assert "objects" in log, f"the kernel did not name the refused parameter:\n{log}"
    assert run(fresh_wg_vm, "modprobe wireguard && test -r " + PARAM).ok
