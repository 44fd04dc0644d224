#!/usr/bin/env python3
"""Cookie replies under load, against a live responder.

Boots a harness-built kernel and floods a WireGuard responder (wg0, listening
on 127.0.0.1:51820) with initiations that carry a valid mac1, from a
stdlib-only Python flooder (cookie_flood.py). The flood fills the responder's
handshake queue, so it is under load and answers with cookie replies; the
flooder checks a sample of them against the protocol (receiver index, and
XChaCha20-Poly1305 under the responder's cookie key with the answered mac1 as
associated data).

- Default: the responder is the kernel's own in-tree wireguard.ko (the black
  box). This proves the flooder's checks right against an independent
  implementation.
- With --module: the responder is our wireguard.ko, and a second device of
  ours (wg1, in namespace b, as the responder's peer) brings up a tunnel while
  the flood goes on. Its first initiation gets a cookie reply (counted by an
  iptables rule on the responder's outgoing cookie replies to wg1's port); it
  must take the cookie and retry with a mac2 that the loaded responder
  accepts: the tunnel carries a ping during the flood. This exercises
  wg_cookie_reply_create, wg_cookie_jar_consume and mac2 stamping/validation
  end to end.

Usage (from the repository root):
    .venv/bin/python module/selftest/interop/check_cookie.py \
        --kernel-dir ~/.cache/wgcompat/kernels/6.1.192-normal-<hash> [--module PATH/wireguard.ko]
Exit status 0 and "cookie: pass" when every check held.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from wgcompat.guest.vm import GuestVM  # noqa: E402

FLOOD_MAX_SECONDS = 240


class CheckError(Exception):
    """A precondition is missing; the message says what and how to fix it."""


@dataclass(frozen=True)
class CookieRequest:
    kernel_dir: Path
    log_dir: Path | None
    module: Path | None = None   # our wireguard.ko; None: the kernel's in-tree one


@dataclass(frozen=True)
class CookieResult:
    ok: bool
    failures: list[str]
    transcript: str


def _flood_fields(output: str) -> dict[str, int]:
    match = re.search(r"sent=(\d+) replies=(\d+) checked=(\d+) bad=(\d+) other=(\d+)", output)
    if not match:
        return {}
    keys = ("sent", "replies", "checked", "bad", "other")
    return dict(zip(keys, (int(v) for v in match.groups())))


def _rule_packets(output: str) -> int | None:
    """Packets of the first OUTPUT rule in `iptables -nvxL OUTPUT`."""
    for line in output.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[0].isdigit() and "udp" in fields:
            return int(fields[0])
    return None


def run(request: CookieRequest) -> CookieResult:
    bz = request.kernel_dir / "arch/x86/boot/bzImage"
    modules_root = request.kernel_dir / "modules-root"
    if not bz.is_file() or not modules_root.is_dir():
        raise CheckError(f"{request.kernel_dir} has no arch/x86/boot/bzImage or modules-root; "
                         "build a kernel with `invoke kernel --kernel 6.1` and pass its build folder")
    ours = request.module is not None
    if ours:
        load = ["modprobe wireguard && modinfo -F filename wireguard | grep /updates/"]
    else:
        load = [
            "test -f /lib/modules/reference/wireguard.ko",
            "deps=$(modinfo -F depends /lib/modules/reference/wireguard.ko | tr , ' '); "
            "{ [ -z \"$deps\" ] || modprobe -a $deps; } && insmod /lib/modules/reference/wireguard.ko",
        ]
    steps = [
        *load,
        "ip link set lo up && cd /root && umask 077 && wg genkey > a.key && wg pubkey < a.key > a.pub"
        " && wg genkey > b.key && wg pubkey < b.key > b.pub",
        "ip link add wg0 type wireguard && wg set wg0 private-key /root/a.key listen-port 51820"
        " peer $(cat /root/b.pub) allowed-ips 10.9.0.2/32"
        " && ip addr add 10.9.0.1/24 dev wg0 && ip link set wg0 up",
    ]
    if ours:
        steps += [
            # wg1's socket stays in the namespace it was created in; its tunnel end is in b.
            "ip netns add b && ip link add wg1 type wireguard && ip link set wg1 netns b"
            " && ip netns exec b wg set wg1 private-key /root/b.key listen-port 51821"
            " peer $(cat /root/a.pub) endpoint 127.0.0.1:51820 allowed-ips 10.9.0.1/32"
            " && ip -n b addr add 10.9.0.2/24 dev wg1 && ip -n b link set lo up && ip -n b link set wg1 up",
            # Count wg0's cookie replies (IP length 20 + 8 + 64) to wg1's port.
            "iptables -I OUTPUT -o lo -p udp --sport 51820 --dport 51821 -m length --length 92 -j ACCEPT",
        ]
    steps += [
        "rm -f /tmp/flood.*; (setsid python3 /root/cookie_flood.py 127.0.0.1 51820 $(cat /root/a.pub)"
        f" /tmp/flood {FLOOD_MAX_SECONDS} > /tmp/flood.out 2>&1 &)",
        # The responder is under load once the first cookie reply came back.
        "for i in $(seq 1200); do [ -e /tmp/flood.loaded ] && break; sleep 0.1; done; test -e /tmp/flood.loaded",
    ]
    if ours:
        steps += [
            "ok=1; for i in $(seq 45); do ip netns exec b ping -c 1 -W 2 10.9.0.1 > /dev/null && ok=0 && break;"
            " done; test $ok = 0",
            "ip netns exec b wg show wg1 latest-handshakes",
            "iptables -nvxL OUTPUT",
        ]
    steps += [
        "touch /tmp/flood.stop; for i in $(seq 1200); do grep -q sent= /tmp/flood.out && break; sleep 0.1;"
        " done; cat /tmp/flood.out",
        "wg show wg0",
    ]

    log: list[str] = []
    outputs: dict[str, tuple[int, str]] = {}
    put = [(HERE / "initiator.py", "/root/initiator.py"), (HERE / "cookie_flood.py", "/root/cookie_flood.py")]
    with GuestVM(kernel_image=bz, modules_root=modules_root, wireguard_ko=request.module, put=put,
                 log_dir=request.log_dir, name="cookie") as vm:
        for step in steps:
            result = vm.run(step, timeout=FLOOD_MAX_SECONDS + 120)
            log.append(f"$ {step}\n{result.output}[status {result.status}]")
            outputs[step] = (result.status, result.output)
            if result.status != 0:
                if step.startswith("test -f"):
                    raise CheckError(f"{request.kernel_dir} has no in-tree WireGuard module; "
                                     "build the kernel with CONFIG_WIREGUARD=m")
                if "ping" not in step:
                    return CookieResult(False, [f"step failed: {step}"], "\n".join(log))
                # A failed ping is reported below; stop the flood and collect the rest.

    failures: list[str] = []
    flood = next((_flood_fields(out) for step, (_, out) in outputs.items() if "flood.stop" in step), {})
    if not flood:
        failures.append("the flooder printed no summary")
    else:
        if flood["replies"] == 0:
            failures.append(f"no cookie reply under the flood: {flood}")
        if flood["checked"] == 0 or flood["bad"]:
            failures.append(f"cookie replies do not open with the responder's cookie key and mac1: {flood}")
        if flood["other"]:
            failures.append(f"the responder answered garbage initiations with something else: {flood}")
    if ours:
        ping = next((st for step, (st, _) in outputs.items() if "ping" in step), 1)
        if ping != 0:
            failures.append("no ping through the tunnel during the flood")
        rules = next((out for step, (_, out) in outputs.items() if "iptables -nvxL" in step), "")
        to_peer = _rule_packets(rules)
        if not to_peer:
            failures.append(f"the responder sent wg1 no cookie reply (counter {to_peer}); the flood did not "
                            "keep it under load, so the mac2 path was not exercised")
    return CookieResult(not failures, failures, "\n".join(log))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel-dir", type=Path, required=True,
                        help="harness kernel build folder (holds arch/x86/boot/bzImage and modules-root)")
    parser.add_argument("--log-dir", type=Path, default=None, help="where the VM logs go")
    parser.add_argument("--module", type=Path, default=None,
                        help="our wireguard.ko for that kernel as the responder (and its peer) "
                             "instead of the in-tree one")
    args = parser.parse_args(argv)
    if args.module is not None and not args.module.is_file():
        print(f"error: {args.module} is not a file; build the module first (invoke build --kernel ...)",
              file=sys.stderr)
        return 2
    try:
        result = run(CookieRequest(kernel_dir=args.kernel_dir.expanduser(), log_dir=args.log_dir,
                                   module=args.module))
    except CheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.transcript)
    for failure in result.failures:
        print(f"FAIL: {failure}")
    print("cookie: pass" if result.ok else "cookie: FAIL")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
