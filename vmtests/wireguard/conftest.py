"""Fixtures of the WireGuard scenario suite.

--implementation ours|reference selects which WireGuard the scenarios drive:
  ours       our wireguard.ko, installed in the guest's module path (the `vm` fixture)
  reference  the kernel's own WireGuard, /lib/modules/reference/wireguard.ko, in a guest
             that does not need our module to build

Fixtures:
  implementation  the chosen name
  wg_vm           a shared guest with that implementation loaded (and the other unloaded)
  topo            a fresh Topology on wg_vm for one test, torn down afterwards
  fresh_wg_vm     a guest of its own for tests marked destructive
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from vmtests.conftest import leak_checked  # noqa: E402
from vmtests.lib.implementation import IMPLEMENTATIONS, ensure_loaded  # noqa: E402
from vmtests.lib.topology import Topology  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wgcompat")
    group.addoption(
        "--implementation", default="ours", choices=IMPLEMENTATIONS,
        help="which WireGuard the scenarios run against: ours (default) or reference (the kernel's own)")
    group.addoption("--churn-cycles", type=int, default=1000,
                    help="interface lifetimes of the churn test (test_churn.py)")
    group.addoption("--churn-loads", type=int, default=100,
                    help="module load/unload cycles of the churn test (test_churn.py)")


@pytest.fixture(scope="session")
def implementation(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--implementation", default="ours"))


@pytest.fixture(scope="session")
def wg_vm(request: pytest.FixtureRequest, implementation: str) -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        if implementation == "ours":
            vm = request.getfixturevalue("vm")  # scanned for leaks when it retires
        else:
            from wgcompat.run.guests import start_guest

            kernel_build = request.getfixturevalue("kernel_build")
            logs = request.getfixturevalue("console_logs")
            vm = stack.enter_context(leak_checked(start_guest(kernel_build, None, [], logs / "reference-vm")))
        ensure_loaded(vm, implementation)
        yield vm


@pytest.fixture
def fresh_wg_vm(request: pytest.FixtureRequest, implementation: str) -> Iterator[Any]:
    """A guest of its own (tests marked destructive), with the implementation loaded."""
    with contextlib.ExitStack() as stack:
        if implementation == "ours":
            vm = request.getfixturevalue("fresh_vm")
        else:
            from wgcompat.run.guests import start_guest

            kernel_build = request.getfixturevalue("kernel_build")
            logs = request.getfixturevalue("console_logs")
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)[:100]
            vm = stack.enter_context(leak_checked(start_guest(kernel_build, None, [], logs / f"reference-{name}")))
        ensure_loaded(vm, implementation)
        yield vm


@pytest.fixture
def topo(request: pytest.FixtureRequest, wg_vm: Any, implementation: str) -> Iterator[Topology]:
    ensure_loaded(wg_vm, implementation)
    with Topology(wg_vm, request.node.originalname or request.node.name) as t:
        yield t
