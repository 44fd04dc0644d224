"""The shared guest survives a test that breaks it.

Topology: the session's shared guest (`vm`), no network.
"""

from __future__ import annotations

import pytest

from wgcompat.vm.console import CommandTimeout


def test_a_timed_out_command_costs_only_that_command(vm):
    before = vm.boots
    vm.run("true", timeout=60)
    with pytest.raises(CommandTimeout):
        vm.run("sleep 600", timeout=3)
    result = vm.run("echo alive", timeout=60)  # a fresh guest answers
    assert result.output.strip() == "alive"
    assert vm.boots == max(before, 1) + 1
