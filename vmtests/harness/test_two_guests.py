"""Two guests wired together, for tests that need two machines.

Topology: two VMs whose eth0 are joined by a UDP socket pair on the host's
loopback (QEMU's socket backend); nothing else is reachable from either.

    vm1 eth0 10.77.0.1/24 <== 127.0.0.1:A <-> 127.0.0.1:B ==> vm2 eth0 10.77.0.2/24
"""

from __future__ import annotations

import re

import pytest

from wgcompat.run.guests import start_wired_guests


@pytest.mark.destructive
def test_wired_guests_reach_each_other_and_nothing_else(kernel_build, console_logs):
    with start_wired_guests(kernel_build, console_logs / "wired-pair") as (vm1, vm2):
        ping = vm1.run("ping -c 3 -W 5 10.77.0.2", timeout=60)
        assert ping.status == 0 and re.search(r"3 packets transmitted, 3 received", ping.output), ping.output
        seen = vm2.run("cat /sys/class/net/eth0/statistics/rx_packets", timeout=30)
        assert int(seen.output) >= 3
        routes = vm1.run("ip -4 route show default", timeout=30)
        assert routes.output.strip() == "", "a guest must have no route out of the pair"
