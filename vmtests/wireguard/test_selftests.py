"""The WG_DEBUG build's load-time self-tests, one test result each.

     +--------------------------------------------+
     | guest: modprobe wireguard (WG_DEBUG build)  |
     |   -> "wireguard: selftest <name>: pass|FAIL" |
     +--------------------------------------------+

With WG_DEBUG=1 the module runs its self-tests when it loads (allowed-IPs trie,
replay window, rate limiter, message sizes, cookies, the handshake, the crypto
vectors) and prints one verdict line per test. The names come from the sources
(every ``wg_selftest_report("<name>", ...)`` call), so a self-test added to the
module is a test here without a second list; a failing one is named, not
reported as "modprobe failed". Only for ``--debug-module`` runs of ours: the
release build and the kernel's own WireGuard run no self-tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

MODULE = Path(__file__).resolve().parents[2] / "module"
VERDICT = re.compile(r"wireguard: selftest ([a-z0-9-]+): (pass|FAIL)")
CHECK = re.compile(r"wireguard: selftest ([a-z0-9-]+): check failed: .*")


def selftest_names() -> list[str]:
    names = {m.group(1) for src in MODULE.rglob("*.c")
             for m in re.finditer(r'wg_selftest_report\("([a-z0-9-]+)"', src.read_text())}
    return sorted(names)


@pytest.fixture(scope="module")
def kernel_log(request: pytest.FixtureRequest, implementation: str) -> str:
    if implementation != "ours":
        pytest.skip("the kernel's own WireGuard has no load-time self-tests")
    if not request.getfixturevalue("artefacts").request.debug_module:
        pytest.skip("the release build runs no self-tests: run with --debug-module")
    vm: Any = request.getfixturevalue("wg_vm")
    # A fresh load, so the verdicts are in the log whatever ran before.
    out = vm.run("rmmod wireguard; modprobe wireguard && dmesg", timeout=600)
    assert out.status == 0, f"modprobe of the WG_DEBUG build failed:\n{out.output[-3000:]}"
    return str(out.output)


def test_the_sources_name_self_tests() -> None:
    assert len(selftest_names()) >= 8, selftest_names()


@pytest.mark.parametrize("name", selftest_names())
def test_selftest(kernel_log: str, name: str) -> None:
    verdicts = [m.group(2) for m in VERDICT.finditer(kernel_log) if m.group(1) == name]
    checks = [m.group(0) for m in CHECK.finditer(kernel_log) if m.group(1) == name]
    assert verdicts, f"the module printed no verdict for self-test {name!r}"
    assert verdicts[-1] == "pass", f"self-test {name!r} failed:\n" + "\n".join(checks)
