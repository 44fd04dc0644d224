"""`invoke bench`: tunnel throughput, small packets, handshakes, setconf, side by side in one VM.

One guest boots the kernel with our module installed; for each implementation
in turn (ours, the kernel's own WireGuard loaded in its place, wireguard-go, and
the bare veth as a ceiling) the guest script ``tunnel.sh`` builds two network
namespaces joined by a veth pair, a WireGuard tunnel over it, and runs iperf3
through the tunnel. The figures come from the same boot, one after another, so
their ratios are meaningful even though TCG makes the absolute numbers small.

The small-packet rate (``tunnel.sh ... udp64``) sends 64-byte UDP datagrams through
the tunnel as fast as iperf3 can and counts what arrives, per second: the per-packet
cost of the data path, which a TCP stream of large segments hides.

The handshake rate (``handshake.sh``) brings N initiator interfaces up at once
against one responder with N peers and times until the responder lists N
completed handshakes; the configuration time (``setconf.sh``) loads P peers with
I allowed IPs each by `wg setconf` into an empty interface. Both compare ours and
the kernel's own module.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.kernel.select import KernelSelection
from wgcompat.progress import say
from wgcompat.run.plan import RunRequest, plan_run

SCRIPT = Path(__file__).with_name("tunnel.sh")
HANDSHAKE_SCRIPT = Path(__file__).with_name("handshake.sh")
SETCONF_SCRIPT = Path(__file__).with_name("setconf.sh")
IMPLEMENTATIONS = ("ours", "reference", "wireguard-go", "none")
REFERENCE_KO = "/lib/modules/reference/wireguard.ko"  # the kernel's own module, where the guest image keeps it


def script_command(script: str, *args: object) -> str:
    """The guest command line running the guest script ``script`` with ``args``, each one quoted word."""
    return shlex.join(["bash", script, *(str(a) for a in args)])


@dataclass(frozen=True)
class Throughput:
    implementation: str
    bits_per_second: float


@dataclass(frozen=True)
class HandshakeRate:
    implementation: str
    handshakes: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.handshakes / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class PacketRate:
    implementation: str
    received: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class SetconfTime:
    implementation: str
    peers: int
    allowed_ips: int
    seconds: float  # of all rounds
    rounds: int

    @property
    def per_round(self) -> float:
        return self.seconds / self.rounds if self.rounds else 0.0


@dataclass
class BenchResults:
    """Everything one `invoke bench` measured, in the order it ran."""

    throughput: list[Throughput] = field(default_factory=list)
    small_packets: list[PacketRate] = field(default_factory=list)
    handshakes: list[HandshakeRate] = field(default_factory=list)
    setconf: list[SetconfTime] = field(default_factory=list)


def parse_setconf(implementation: str, output: str) -> SetconfTime:
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "SETCONF":
            return SetconfTime(implementation, int(parts[1]), int(parts[2]), float(parts[3]), int(parts[4]))
    raise UserError(f"the setconf benchmark of {implementation} printed no result: {output.strip()[-400:]}",
                    "see the console log")


def parse_udp(implementation: str, output: str) -> PacketRate:
    """iperf3's UDP report: the datagrams the server received (sent minus lost) and the time."""
    start = output.find("{")
    try:
        total = json.loads(output[start:])["end"]["sum"]
        return PacketRate(implementation, int(total["packets"]) - int(total["lost_packets"]),
                          float(total["seconds"]))
    except (ValueError, KeyError) as exc:
        raise UserError(f"iperf3 gave no UDP report for {implementation}: {output.strip()[-400:]}",
                        "see the console log; the tunnel may not have come up") from exc


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
        return Throughput(implementation, float(end["sum_received"]["bits_per_second"]))
    except (ValueError, KeyError) as exc:
        raise UserError(f"iperf3 gave no report for {implementation}: {output.strip()[-400:]}",
                        "see the console log; the tunnel may not have come up") from exc


def run(sel: KernelSelection, crypto: str = "auto", seconds: int = 10, rounds: int = 2,
        implementations: tuple[str, ...] = IMPLEMENTATIONS, handshakes: int = 0, small_packets: bool = True,
        setconf_peers: int = 0, setconf_ips: int = 16) -> BenchResults:
    from wgcompat.run.guests import start_guest
    from wgcompat.session import console_log_dir

    unknown = [i for i in implementations if i not in IMPLEMENTATIONS]
    if unknown:
        raise UserError(f"unknown implementation(s): {', '.join(unknown)}", f"choose from {', '.join(IMPLEMENTATIONS)}")
    artefacts = plan_run(RunRequest(sel, crypto=crypto)).require()
    kb, module = artefacts.kernel, artefacts.module
    log_dir = console_log_dir(kb, "bench")
    say(f"benchmarking in one guest; console log in {log_dir}")
    out = BenchResults()
    scripts = [(path, f"/root/{path.name}") for path in
               (SCRIPT, HANDSHAKE_SCRIPT, SETCONF_SCRIPT, SCRIPT.with_name("netns-pair.sh"))]
    with start_guest(kb, module, scripts, log_dir) as vm:
        has_reference = vm.run(shlex.join(["test", "-f", REFERENCE_KO]), timeout=30).status == 0

        def guest(impl: str, what: str, command: str, timeout: float) -> str:
            r = vm.run(command, timeout=timeout)
            if r.status != 0:
                raise UserError(f"the {impl} {what} benchmark failed in the guest (exit {r.status}):\n"
                                f"{r.output.strip()[-800:]}", f"see the console log in {log_dir}")
            return str(r.output)

        def wanted(impls: tuple[str, ...]) -> list[str]:
            return [i for i in impls if i in implementations and (i != "reference" or has_reference)]

        # Interleave the implementations so a slow phase of the host hits all of them alike.
        for _ in range(rounds):
            for impl in wanted(IMPLEMENTATIONS):
                text = guest(impl, "TCP", script_command("/root/tunnel.sh", impl, int(seconds), "tcp"),
                             seconds * 10 + 120)
                out.throughput.append(parse_iperf(impl, text))
            for impl in wanted(("ours", "reference", "wireguard-go")) if small_packets else ():
                text = guest(impl, "small-packet", script_command("/root/tunnel.sh", impl, int(seconds), "udp64"),
                             seconds * 10 + 120)
                out.small_packets.append(parse_udp(impl, text))
            for impl in wanted(("ours", "reference")) if handshakes else ():
                text = guest(impl, "handshake", script_command("/root/handshake.sh", impl, int(handshakes)), 900)
                out.handshakes.append(parse_handshakes(impl, text))
            for impl in wanted(("ours", "reference")) if setconf_peers else ():
                text = guest(impl, "setconf", script_command("/root/setconf.sh", impl, int(setconf_peers),
                                                             int(setconf_ips), 3), 900)
                out.setconf.append(parse_setconf(impl, text))
    return out


def summarize(results: list[Throughput]) -> dict[str, float]:
    """Mean throughput per implementation (bits/s)."""
    by: dict[str, list[float]] = {}
    for r in results:
        by.setdefault(r.implementation, []).append(r.bits_per_second)
    return {impl: sum(v) / len(v) for impl, v in by.items()}


def ratio_rows(values: list[tuple[str, float]], higher_is_better: bool = True) -> list[tuple[str, str, float, str]]:
    """(implementation, runs, mean, ratio against the in-tree module) per implementation, in
    first-seen order. The ratio is always "how much better ours is": for a time (lower is
    better) it is the in-tree time over this one."""
    per: dict[str, list[float]] = {}
    for impl, v in values:
        per.setdefault(impl, []).append(v)
    means = {impl: sum(v) / len(v) for impl, v in per.items()}
    ref = means.get("reference")
    rows = []
    for impl, v in per.items():
        mean = means[impl]
        if ref and mean:
            ratio = f"{(mean / ref) if higher_is_better else (ref / mean):.2f}"
        else:
            ratio = "-"
        rows.append((impl, ", ".join(f"{x:.3g}" for x in v), mean, ratio))
    return rows


def print_table(results: BenchResults) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()

    def show(title: str, unit: str, values: list[tuple[str, float]], higher_is_better: bool = True) -> None:
        if not values:
            return
        table = Table(title=title)
        for col in ("implementation", "runs", unit, "ratio vs in-tree (>1: ours better)"):
            table.add_column(col)
        for impl, runs, mean, ratio in ratio_rows(values, higher_is_better):
            table.add_row(impl, runs, f"{mean:.3g}", ratio)
        console.print(table)

    show("TCP throughput through the tunnel (iperf3, one guest, TCG)", "Mbit/s",
         [(r.implementation, r.bits_per_second / 1e6) for r in results.throughput])
    show("64-byte UDP datagrams through the tunnel, received", "packets/s",
         [(r.implementation, r.per_second) for r in results.small_packets])
    if results.handshakes:
        show(f"complete handshakes per second ({results.handshakes[0].handshakes} peers at once)", "per second",
             [(r.implementation, r.per_second) for r in results.handshakes])
    if results.setconf:
        first = results.setconf[0]
        show(f"`wg setconf` of {first.peers} peers, {first.allowed_ips} allowed IPs, into an empty interface",
             "seconds", [(r.implementation, r.per_round) for r in results.setconf], higher_is_better=False)
