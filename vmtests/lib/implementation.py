"""Which WireGuard is loaded in a guest: ours (the module path) or the kernel's own (reference)."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator

import pytest

from vmtests.lib.topology import Guest, Netns, run
from wgcompat.vm.shell import chain, cmd, in_turn, redirect

IMPLEMENTATIONS = ("ours", "reference")
REFERENCE_KO = "/lib/modules/reference/wireguard.ko"


def _loaded_srcversion(vm: Guest) -> str | None:
    r = run(vm, "cat /sys/module/wireguard/srcversion 2>/dev/null || "
                "{ test -d /sys/module/wireguard && echo builtin; }", timeout=30)
    value = r.output.strip()
    return value or None


_wanted: dict[tuple[int, str], str] = {}


def _wanted_srcversion(vm: Guest, implementation: str) -> str:
    """The srcversion of the module file ``implementation`` names in this guest (looked up once)."""
    key = (id(vm), implementation)
    if key in _wanted:
        return _wanted[key]
    if implementation == "reference":
        if not run(vm, cmd("test", "-f", REFERENCE_KO)).ok:
            pytest.skip(f"this kernel has no in-tree WireGuard to use as the reference ({REFERENCE_KO} is absent)")
        path = REFERENCE_KO
    else:
        r = run(vm, "modinfo -n wireguard", timeout=30)
        path = r.output.strip()
        if r.status != 0 or "/updates/" not in path:
            pytest.fail(f"our wireguard.ko is not installed in the guest (modinfo -n wireguard: {path!r})",
                        pytrace=False)
    _wanted[key] = run(vm, cmd("modinfo", "-F", "srcversion", path), timeout=30).output.strip()
    return _wanted[key]


def ensure_loaded(vm: Guest, implementation: str) -> None:
    """Make ``implementation`` the loaded wireguard, unloading the other one first."""
    wanted = _wanted_srcversion(vm, implementation)
    current = _loaded_srcversion(vm)
    if current == wanted:
        return
    if current is not None:
        r = run(vm, "ip -o link show type wireguard | cut -d: -f2 | xargs -rn1 ip link del; rmmod wireguard",
                timeout=120)
        if r.status != 0:
            pytest.fail(f"cannot unload the loaded wireguard ({current}) to load {implementation}: {r.output}",
                        pytrace=False)
    # the guest's own loader of the kernel's WireGuard (wgcompat/image/files/wgc-load-reference)
    r = run(vm, "wgc-load-reference" if implementation == "reference" else "modprobe wireguard", timeout=120)
    if r.status != 0 or _loaded_srcversion(vm) != wanted:
        pytest.fail(f"loading the {implementation} wireguard failed: {r.output.strip()}", pytrace=False)


DEBUG_PARAMETERS = "/sys/module/wireguard/parameters"


def require_debug_parameter(vm: Guest, implementation: str, name: str, what: str) -> str:
    """The path of our WG_DEBUG build's parameter ``name``; skips the test, naming why, against
    the reference (which has no such parameter) or a release build of ours. ``what`` says
    what the parameter is for, in the skip message."""
    path = f"{DEBUG_PARAMETERS}/{name}"
    if implementation == "reference":
        pytest.skip(f"the reference WireGuard has no {what} ({name}); ours only")
    if not run(vm, cmd("test", "-e", path)).ok:
        pytest.skip(f"our module was built without its debug parameters ({path} is absent: not WG_DEBUG=1)")
    return path


@contextlib.contextmanager
def debug_parameter(vm: Guest, implementation: str, name: str, value: int, normal: int,
                    what: str) -> Iterator[int]:
    """Our WG_DEBUG build's parameter ``name`` set to ``value`` for the body, back to ``normal``
    after it (see require_debug_parameter for when the test is skipped instead)."""
    path = require_debug_parameter(vm, implementation, name, what)
    run(vm, redirect(cmd("echo", int(value)), stdout=path), timeout=30)
    try:
        yield value
    finally:
        run(vm, redirect(cmd("echo", int(normal)), stdout=path), timeout=30)


def log_times(vm: Guest, text: str) -> list[float]:
    """When (the guest's seconds since boot) each kernel log line containing ``text`` was logged."""
    out = run(vm, f"dmesg | grep -F {shlex.quote(text)}", timeout=30).output
    return [float(line.split("]")[0].strip("[ ")) for line in out.splitlines() if text in line]


def inside_the_next_hold(ns: Netns, held: str, hold_ms: int, trigger: str, command: str,
                         timeout: int = 30) -> bool:
    """Runs ``trigger`` in ``ns`` (in the background), waits in the guest for the hold it makes
    one of our debug parameters log (the first log line containing ``held`` after those already
    there), then runs ``command`` in ``ns`` at once. All in one guest command: the module spins
    with BH off through a hold, so a host round trip started meanwhile (whose console work may
    be queued on the spinning CPU) would arrive only after it. Returns whether ``command``
    began inside that hold, on the guest's clock; fails the test, naming the hold, if none is
    logged in ``timeout`` s."""
    seen = len(log_times(ns.topo.vm, held))
    wait = f"until [ \"$(dmesg | grep -cF {shlex.quote(held)})\" -gt {seen} ]; do :; done"
    acted = chain(cmd("timeout", timeout, "sh", "-c", wait), "cut -d' ' -f1 /proc/uptime", command)
    r = ns.run(f"{{ {trigger}; }} >/dev/null 2>&1 & " + in_turn(acted, "status=$?", "wait", "exit $status"),
               timeout=timeout + 60)
    if r.status != 0:
        pytest.fail(f"no hold ({held!r}) was logged within {timeout} s of {trigger}, or the command run "
                    f"inside it failed (exit {r.status}): {command}\n{r.output.strip()}", pytrace=False)
    started = float(r.output.split()[0])
    return started < log_times(ns.topo.vm, held)[seen] + hold_ms / 1000
