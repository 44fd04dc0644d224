"""`invoke bench`: tunnel throughput and handshake rate, side by side in one VM.

One guest boots the kernel with our module installed; for each implementation
in turn (ours, the kernel's own WireGuard loaded in its place, wireguard-go, and
the bare veth as a ceiling) the guest script ``tunnel.sh`` builds two network
namespaces joined by a veth pair, a WireGuard tunnel over it, and runs iperf3
through the tunnel. The figures come from the same boot, one after another, so
their ratios are meaningful even though TCG makes the absolute numbers small.

The handshake rate (``handshake.sh``) brings N initiator interfaces up at once
against one responder with N peers and times until the responder lists N
completed handshakes; ours and the kernel's own module are compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.module_build import ModuleBuildRequest, build_module
from wgcompat.pipeline import KernelSelection, resolve_kernel, say

SCRIPT = Path(__file__).with_name("tunnel.sh")
HANDSHAKE_SCRIPT = Path(__file__).with_name("handshake.sh")
IMPLEMENTATIONS = ("ours", "reference", "wireguard-go", "none")


@dataclass(frozen=True)
class Throughput:
    implementation: str
    bits_per_second: float
    retransmits: int


@dataclass(frozen=True)
class HandshakeRate:
    implementation: str
    handshakes: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.handshakes / self.seconds if self.seconds > 0 else 0.0


def parse_handshakes(implementation: str, output: str) -> HandshakeRate:
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "HANDSHAKES":
            return HandshakeRate(implementation, int(parts[1]), float(parts[2]))
    raise UserError(f"the handshake benchmark of {implementation} printed no result: {output.strip()[-400:]}",
                    "see the console log")


def parse_iperf(implementation: str, output: str) -> Throughput:
    start = output.find("{")
    try:
        report = json.loads(output[start:])
        end = report["end"]
        return Throughput(implementation, float(end["sum_received"]["bits_per_second"]),
                          int(end["sum_sent"].get("retransmits", 0)))
    except (ValueError, KeyError) as exc:
        raise UserError(f"iperf3 gave no report for {implementation}: {output.strip()[-400:]}",
                        "see the console log; the tunnel may not have come up") from exc


def run(sel: KernelSelection, crypto: str = "auto", seconds: int = 10, rounds: int = 2,
        implementations: tuple[str, ...] = IMPLEMENTATIONS,
        handshakes: int = 0) -> tuple[list[Throughput], list[HandshakeRate]]:
    from wgcompat.session import console_log_dir, start_guest

    unknown = [i for i in implementations if i not in IMPLEMENTATIONS]
    if unknown:
        raise UserError(f"unknown implementation(s): {', '.join(unknown)}", f"choose from {', '.join(IMPLEMENTATIONS)}")
    kb = resolve_kernel(sel)
    module = build_module(ModuleBuildRequest(kb, crypto=crypto), progress=say)
    log_dir = console_log_dir(kb, "bench")
    say(f"benchmarking in one guest; console log in {log_dir}")
    results: list[Throughput] = []
    rates: list[HandshakeRate] = []
    scripts = [(SCRIPT, "/root/tunnel.sh"), (HANDSHAKE_SCRIPT, "/root/handshake.sh"),
               (SCRIPT.with_name("netns-pair.sh"), "/root/netns-pair.sh")]
    with start_guest(kb, module, scripts, log_dir) as vm:
        has_reference = vm.run("test -f /lib/modules/reference/wireguard.ko", timeout=30).status == 0
        # Interleave the implementations so a slow phase of the host hits all of them alike.
        for _ in range(rounds):
            for impl in implementations:
                if impl == "reference" and not has_reference:
                    continue
                r = vm.run(f"bash /root/tunnel.sh {impl} {int(seconds)}", timeout=seconds * 10 + 120)
                if r.status != 0:
                    raise UserError(f"the {impl} benchmark failed in the guest (exit {r.status}):\n"
                                    f"{r.output.strip()[-800:]}", f"see the console log in {log_dir}")
                results.append(parse_iperf(impl, r.output))
            for impl in ("ours", "reference") if handshakes else ():
                if impl == "reference" and not has_reference:
                    continue
                r = vm.run(f"bash /root/handshake.sh {impl} {int(handshakes)}", timeout=900)
                if r.status != 0:
                    raise UserError(f"the {impl} handshake benchmark failed in the guest (exit {r.status}):\n"
                                    f"{r.output.strip()[-800:]}", f"see the console log in {log_dir}")
                rates.append(parse_handshakes(impl, r.output))
    return results, rates


def summarize(results: list[Throughput]) -> dict[str, float]:
    """Mean throughput per implementation (bits/s)."""
    by: dict[str, list[float]] = {}
    for r in results:
        by.setdefault(r.implementation, []).append(r.bits_per_second)
    return {impl: sum(v) / len(v) for impl, v in by.items()}


def print_table(results: list[Throughput], rates: list[HandshakeRate] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    means = summarize(results)
    reference = means.get("reference")
    table = Table(title="TCP throughput through the tunnel (iperf3, one guest, TCG)")
    for col in ("implementation", "runs", "Mbit/s", "vs in-tree"):
        table.add_column(col)
    for impl, mean in means.items():
        runs = ", ".join(f"{r.bits_per_second / 1e6:.0f}" for r in results if r.implementation == impl)
        ratio = f"{mean / reference:.2f}" if reference else "-"
        table.add_row(impl, runs, f"{mean / 1e6:.0f}", ratio)
    console = Console()
    console.print(table)
    if rates:
        per: dict[str, list[float]] = {}
        for r in rates:
            per.setdefault(r.implementation, []).append(r.per_second)
        ref = sum(per["reference"]) / len(per["reference"]) if "reference" in per else None
        hs = Table(title=f"complete handshakes per second ({rates[0].handshakes} peers at once)")
        for col in ("implementation", "runs", "per second", "vs in-tree"):
            hs.add_column(col)
        for impl, values in per.items():
            mean = sum(values) / len(values)
            hs.add_row(impl, ", ".join(f"{v:.0f}" for v in values), f"{mean:.0f}", f"{mean / ref:.2f}" if ref else "-")
        console.print(hs)
