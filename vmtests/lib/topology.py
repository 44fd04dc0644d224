"""Build network topologies in a guest so each test reads as its scenario.

A ``Topology`` owns every namespace it creates and deletes them (and the
processes left inside them) when it closes, whether the test passed or not::

    with Topology(vm, "basic") as topo:
        outer = topo.netns("outer")
        a, b = topo.netns("a"), topo.netns("b")
        wa = topo.wireguard(a, created_in=outer, listen_port=51820, addresses=["10.9.0.1/24"])
        wb = topo.wireguard(b, created_in=outer, listen_port=51821, addresses=["10.9.0.2/24"])
        wa.add_peer(wb, allowed_ips=["10.9.0.2/32"], endpoint="127.0.0.1:51821")
        ...

Everything runs through ``vm.run(cmd, timeout) -> (status, output)`` (bash in
the guest, stdout and stderr merged). Helpers parse what ``wg`` and ``ip``
print into Python values so the tests compare numbers, not strings.

The commands this module composes are argument lists joined with shell quoting
(``cmd``, ``chain``), so a name, address, path or key is always one word however
it is spelt. What a test writes itself (``Netns.sh``/``run``/``spawn``, the
arguments of ``WgInterface.wg``/``set``) is shell text and passed on as written.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from wgcompat.vm.console import CommandResult as Result  # a guest command's status and output
from wgcompat.vm.shell import chain, cmd, in_turn, key_input, redirect

T = TypeVar("T")

GUEST_TOOLS = Path(__file__).resolve().parent   # the guest-side scripts (python3-minimal) live here


class Guest(Protocol):
    def run(self, cmd: str, timeout: float = ...) -> Any: ...


class GuestCommandError(AssertionError):
    """A guest command that had to succeed did not; names the command and its output."""

    def __init__(self, cmd: str, status: int, output: str) -> None:
        self.cmd, self.status, self.output = cmd, status, output
        super().__init__(f"guest command failed (exit {status}): {cmd}\n--- output ---\n{output.rstrip()}")


class WaitTimeout(AssertionError):
    pass


def run(vm: Guest, cmd: str, timeout: float = 60.0) -> Result:
    r = vm.run(cmd, timeout=timeout)
    return Result(int(r.status), str(r.output).replace("\r\n", "\n"))


def sh(vm: Guest, cmd: str, timeout: float = 60.0) -> str:
    """Run ``cmd`` in the guest; raise ``GuestCommandError`` unless it exits 0. Returns its output."""
    r = run(vm, cmd, timeout)
    if r.status != 0:
        raise GuestCommandError(cmd, r.status, r.output)
    return r.output


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll ``predicate`` until it returns a truthy value, and return that value.

    ``what`` names the condition in the failure message, with the last value seen.
    The pause between polls only spaces the polls out; the condition is what ends the wait.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


# ---------------------------------------------------------------------------
# What `wg show` and `ip` report, as Python values
# ---------------------------------------------------------------------------

def _none(value: str) -> str | None:
    return None if value in ("(none)", "off", "") else value


@dataclass(frozen=True)
class PeerState:
    public_key: str
    preshared_key: str | None
    endpoint: str | None
    allowed_ips: tuple[str, ...]
    latest_handshake: int          # unix seconds, 0 = never
    rx_bytes: int
    tx_bytes: int
    persistent_keepalive: int | None


@dataclass(frozen=True)
class DeviceState:
    private_key: str | None
    public_key: str | None
    listen_port: int
    fwmark: int | None
    peers: dict[str, PeerState]


def parse_dump(text: str) -> DeviceState:
    """Parse ``wg show <if> dump`` (tab-separated: the device line, then one line per peer)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError("empty `wg show dump` output")
    dev = lines[0].split("\t")
    if len(dev) != 4:
        raise ValueError(f"unexpected device line in `wg show dump`: {lines[0]!r}")
    fwmark = _none(dev[3])
    peers: dict[str, PeerState] = {}
    for ln in lines[1:]:
        f = ln.split("\t")
        if len(f) != 8:
            raise ValueError(f"unexpected peer line in `wg show dump`: {ln!r}")
        ips = _none(f[3])
        keepalive = _none(f[7])
        peers[f[0]] = PeerState(
            public_key=f[0], preshared_key=_none(f[1]), endpoint=_none(f[2]),
            allowed_ips=tuple(ips.split(",")) if ips else (),
            latest_handshake=int(f[4]), rx_bytes=int(f[5]), tx_bytes=int(f[6]),
            persistent_keepalive=int(keepalive) if keepalive else None)
    return DeviceState(private_key=_none(dev[0]), public_key=_none(dev[1]), listen_port=int(dev[2]),
                       fwmark=int(fwmark, 0) if fwmark else None, peers=peers)


def parse_key_values(text: str) -> dict[str, int]:
    """Lines ``<key>\\t<number>`` (``wg show latest-handshakes``, ``transfer``'s first column...)."""
    out: dict[str, int] = {}
    for ln in text.splitlines():
        f = ln.split()
        if len(f) >= 2:
            out[f[0]] = int(f[1])
    return out


@dataclass(frozen=True)
class Counters:
    """/sys/class/net/<if>/statistics, the subset the tests look at."""

    rx_bytes: int
    tx_bytes: int
    rx_packets: int
    tx_packets: int
    rx_errors: int
    tx_errors: int
    rx_dropped: int
    tx_dropped: int
    raw: dict[str, int] = field(default_factory=dict, compare=False)


def parse_counters(text: str) -> Counters:
    raw: dict[str, int] = {}
    for ln in text.splitlines():
        name, sep, value = ln.strip().partition(":")
        if sep and value.strip().isdigit():
            raw[name.rsplit("/", 1)[-1]] = int(value)
    return Counters(**{k: raw.get(k, 0) for k in ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors",
                                                  "tx_errors", "rx_dropped", "tx_dropped")}, raw=raw)


@dataclass(frozen=True)
class PingResult:
    transmitted: int
    received: int
    output: str


_PING_STATS = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")


def parse_ping(output: str) -> PingResult:
    m = _PING_STATS.search(output)
    if not m:
        return PingResult(0, 0, output)
    return PingResult(int(m.group(1)), int(m.group(2)), output)


# ---------------------------------------------------------------------------
# Namespaces, interfaces, peers
# ---------------------------------------------------------------------------

_ids = itertools.count(1)


def parse_rule_counts(listing: str) -> dict[str, int]:
    """``iptables -L CHAIN -n -v -x`` -> {comment: packets} for each rule with a comment; the
    chain header, the column titles and any warning line are not rules and are skipped."""
    counts: dict[str, int] = {}
    for line in listing.splitlines():
        fields = line.split()
        if fields and fields[0].isdigit() and "/*" in fields and "*/" in fields:
            start = fields.index("/*") + 1
            counts[" ".join(fields[start:fields.index("*/", start)])] = int(fields[0])
    return counts


def ip_addr_add(cidr: str, dev: str, netns: str | None = None) -> str:
    """``ip [-n NETNS] addr add CIDR dev DEV``, ``nodad`` for IPv6 (usable at once, no duplicate detection)."""
    return cmd("ip", *(["-n", netns] if netns else []), "addr", "add", cidr, "dev", dev,
               *(["nodad"] if ":" in cidr else []))


class Netns:
    """A network namespace in the guest, with lo up."""

    def __init__(self, topo: Topology, name: str) -> None:
        self.topo = topo
        self.name = name

    def __repr__(self) -> str:
        return f"Netns({self.name})"

    def wrap(self, command: str) -> str:
        """``command`` (shell text) run by bash in this namespace."""
        return cmd("ip", "netns", "exec", self.name, "bash", "-c", command)

    def run(self, command: str, timeout: float = 60.0) -> Result:
        return run(self.topo.vm, self.wrap(command), timeout)

    def sh(self, command: str, timeout: float = 60.0) -> str:
        return sh(self.topo.vm, self.wrap(command), timeout)

    def ping(self, address: str, count: int = 1, interval: float = 0.2, size: int | None = None,
             wait: float = 2.0, extra: str = "") -> PingResult:
        """Ping and report what came back (never raises on loss). ``extra``: more ping options,
        as shell words (``"-I wg0"``, ``"-M do"``)."""
        argv = ["ping", "-n", "-q", "-c", count, "-i", f"{interval:g}", "-W", f"{wait:g}"]
        if size is not None:
            argv += ["-s", size]
        r = self.run(cmd(*argv, *shlex.split(extra), address), timeout=30 + count * (interval + wait))
        return parse_ping(r.output)

    def ping_ok(self, address: str, **kw: Any) -> PingResult:
        """Ping once (or ``count`` times) and require every reply."""
        res = self.ping(address, **kw)
        if res.transmitted == 0 or res.received != res.transmitted:
            raise AssertionError(f"ping {address} from {self.name}: {res.received}/{res.transmitted} replies\n"
                                 f"{res.output.rstrip()}")
        return res

    def wait_ping(self, address: str, timeout: float = 30.0, what: str | None = None) -> PingResult:
        """Ping until one reply arrives (the first packets may wait for a handshake or a route)."""
        return wait_until(lambda: (r := self.ping(address, count=1, wait=1)).received == 1 and r,
                          timeout, what or f"a ping reply from {address} in {self.name}", interval=0)

    def rule_counts(self, chain: str, table: str = "filter", family: int = 4) -> dict[str, int]:
        """Packets counted by each commented rule of ``chain``, by comment (``-m comment``).

        Only rule lines are read: iptables-nft adds a "# Warning: iptables-legacy tables
        present" line (on stderr, which the guest shell merges) once legacy tables exist in
        the namespace, as on Debian's kernels, whose boot list loads the legacy table modules."""
        return parse_rule_counts(self.sh(cmd("ip6tables" if family == 6 else "iptables", "-w", "-t", table,
                                             "-L", chain, "-n", "-v", "-x")))

    def iptables_count(self, chain: str, comment: str, table: str = "filter", family: int = 4) -> int:
        """Packets counted by the rule of ``chain`` with this comment."""
        counts = self.rule_counts(chain, table, family)
        if comment not in counts:
            raise AssertionError(f"no iptables rule {comment!r} in {table} {chain} of {self}: {sorted(counts)}")
        return counts[comment]

    def counters(self, dev: str) -> Counters:
        # the one glob: every file of the folder (the folder's name quoted, the `/*` not)
        return parse_counters(self.sh(cmd("grep", "-H", ".", f"/sys/class/net/{dev}/statistics") + "/*"))

    def link_exists(self, dev: str) -> bool:
        return self.run(cmd("test", "-e", f"/sys/class/net/{dev}")).ok

    def addr(self, dev: str, *cidrs: str) -> None:
        self.sh(in_turn(*(ip_addr_add(c, dev) for c in cidrs), cmd("ip", "link", "set", dev, "up")))

    def route(self, spec: str) -> None:
        """``ip route add SPEC`` (``-6`` for an IPv6 destination); ``spec``: shell words (``"default via 10.0.0.1"``)."""
        words = shlex.split(spec)
        self.sh(cmd("ip", *(["-6"] if ":" in words[0] else []), "route", "add", *words))

    def sysctl(self, **values: str | int) -> None:
        """``sysctl -w`` each ``net__ipv4__ip_forward=1`` (``__`` for the dots)."""
        self.sh(in_turn(*(cmd("sysctl", "-qw", f"{k.replace('__', '.')}={v}") for k, v in values.items())))

    def spawn(self, command: str, log: str | None = None) -> int:
        """Start ``command`` (shell text) in the background in this namespace, its output to ``log``;
        returns its pid. Killed when the topology closes."""
        # the one background job: setsid so it leaves the shell's session, `$!` its pid
        out = self.sh(f"setsid {command} >{shlex.quote(log or '/dev/null')} 2>&1 </dev/null & echo $!")
        pid = int(out.strip().splitlines()[-1])
        self.topo.pids.append(pid)
        return pid


@dataclass
class Keypair:
    private: str
    public: str


class WgInterface:
    """A WireGuard interface: where it lives, its keys, its configuration and what `wg` shows of it."""

    def __init__(self, topo: Topology, ns: Netns, name: str, keys: Keypair | None,
                 listen_port: int | None, created_in: Netns) -> None:
        self.topo, self.ns, self.name = topo, ns, name
        self.keys = keys
        self.listen_port = listen_port
        self.created_in = created_in

    def __repr__(self) -> str:
        return f"WgInterface({self.ns.name}/{self.name})"

    @property
    def public_key(self) -> str:
        assert self.keys is not None, f"{self} has no key"
        return self.keys.public

    def wg(self, args: str, timeout: float = 60.0) -> str:
        """``wg ARGS`` in this interface's namespace; ``args``: shell text, as the test wrote it."""
        return self.ns.sh(f"wg {args}", timeout)

    def try_wg(self, args: str, timeout: float = 60.0) -> Result:
        return self.ns.run(f"wg {args}", timeout)

    def set(self, args: str) -> None:
        """``wg set <this interface> ARGS``; ``args``: shell text (``"peer KEY allowed-ips ''"``)."""
        self.wg(f"{cmd('set', self.name)} {args}")

    def _wg(self, *argv: object) -> str:
        """``wg`` with these arguments (quoted) in this interface's namespace."""
        return self.ns.sh(cmd("wg", *argv))

    def set_private_key(self, keys: Keypair) -> None:
        self._wg("set", self.name, "private-key", key_input(keys.private))
        self.keys = keys

    def create_command(self, addresses: Iterable[str] = (), up: bool = True) -> str:
        """The guest command that creates this interface in its home netns and moves it to its netns."""
        home, ns, name = self.created_in, self.ns, self.name
        steps = [cmd("ip", "-n", home.name, "link", "add", name, "type", "wireguard")]
        if home is not ns:
            steps.append(cmd("ip", "-n", home.name, "link", "set", name, "netns", ns.name))
        wg_args: list[object] = []
        if self.keys:
            wg_args += ["private-key", key_input(self.keys.private)]
        if self.listen_port is not None:
            wg_args += ["listen-port", self.listen_port]
        if wg_args:
            steps.append(ns.wrap(cmd("wg", "set", name, *wg_args)))
        steps += [ip_addr_add(cidr, name, netns=ns.name) for cidr in addresses]
        if up:
            steps.append(cmd("ip", "-n", ns.name, "link", "set", name, "up"))
        return chain(*steps)

    def add_peer_command(self, peer: WgInterface | str, allowed_ips: Sequence[str] = (), endpoint: str | None = None,
                         preshared_key: str | None = None, persistent_keepalive: int | None = None) -> str:
        """The guest command ``add_peer`` runs (for ``two_peers`` and tests that batch several)."""
        pub = peer if isinstance(peer, str) else peer.public_key
        args: list[object] = ["peer", pub]
        if allowed_ips:
            args += ["allowed-ips", ",".join(allowed_ips)]
        if endpoint:
            args += ["endpoint", endpoint]
        if preshared_key:
            args += ["preshared-key", key_input(preshared_key)]
        if persistent_keepalive is not None:
            args += ["persistent-keepalive", persistent_keepalive]
        return self.ns.wrap(cmd("wg", "set", self.name, *args))

    def add_peer(self, peer: WgInterface | str, allowed_ips: Sequence[str] = (), endpoint: str | None = None,
                 preshared_key: str | None = None, persistent_keepalive: int | None = None) -> str:
        """Configure ``peer`` (an interface or a public key) on this interface; returns its public key."""
        sh(self.topo.vm, self.add_peer_command(peer, allowed_ips, endpoint, preshared_key, persistent_keepalive))
        return peer if isinstance(peer, str) else peer.public_key

    def remove_peer(self, peer: WgInterface | str) -> None:
        pub = peer if isinstance(peer, str) else peer.public_key
        self._wg("set", self.name, "peer", pub, "remove")

    def show(self) -> DeviceState:
        return parse_dump(self._wg("show", self.name, "dump"))

    def peer(self, peer: WgInterface | str) -> PeerState:
        pub = peer if isinstance(peer, str) else peer.public_key
        state = self.show()
        if pub not in state.peers:
            raise AssertionError(f"{self} has no peer {pub}; peers: {sorted(state.peers)}")
        return state.peers[pub]

    def latest_handshakes(self) -> dict[str, int]:
        return parse_key_values(self._wg("show", self.name, "latest-handshakes"))

    def transfer(self) -> dict[str, tuple[int, int]]:
        """{public key: (rx bytes, tx bytes)} from ``wg show transfer``."""
        out: dict[str, tuple[int, int]] = {}
        for ln in self._wg("show", self.name, "transfer").splitlines():
            f = ln.split()
            if len(f) == 3:
                out[f[0]] = (int(f[1]), int(f[2]))
        return out

    def endpoints(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for ln in self._wg("show", self.name, "endpoints").splitlines():
            f = ln.split()
            if len(f) == 2:
                out[f[0]] = _none(f[1])
        return out

    def counters(self) -> Counters:
        return self.ns.counters(self.name)

    def wait_handshake(self, peer: WgInterface | str, timeout: float = 30.0, newer_than: int = 0) -> int:
        """Wait until ``wg show latest-handshakes`` for ``peer`` is set (and newer than ``newer_than``)."""
        pub = peer if isinstance(peer, str) else peer.public_key
        return wait_until(lambda: (t := self.latest_handshakes().get(pub, 0)) > newer_than and t,
                          timeout, f"a handshake with {pub} on {self}")


class Topology:
    """Namespaces, links and WireGuard interfaces for one test; ``close()`` deletes them all."""

    def __init__(self, vm: Guest, label: str = "t") -> None:
        self.vm = vm
        self.prefix = f"{re.sub(r'[^a-z0-9]', '', label.lower())[:8] or 't'}{next(_ids)}"
        self.namespaces: list[Netns] = []
        self.pids: list[int] = []
        self.cleanups: list[str] = []   # extra guest commands for close(), run first
        self.workdir = f"/tmp/wgt-{self.prefix}"
        sh(vm, cmd("mkdir", "-p", self.workdir))

    def __enter__(self) -> Topology:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def netns(self, name: str) -> Netns:
        return self.netnses(name)[0]

    def netnses(self, *names: str) -> list[Netns]:
        """Create namespaces (lo up) in one round trip."""
        made = [Netns(self, f"{self.prefix}-{n}") for n in names]
        sh(self.vm, chain(*(step for ns in made for step in (cmd("ip", "netns", "add", ns.name),
                                                            cmd("ip", "-n", ns.name, "link", "set", "lo", "up")))))
        self.namespaces.extend(made)
        return made

    def genkey(self) -> Keypair:
        return self.genkeys(1)[0]

    def genkeys(self, n: int) -> list[Keypair]:
        """``n`` key pairs made by ``wg genkey``/``wg pubkey`` in the guest, in one round trip."""
        out = sh(self.vm, f"for i in $({cmd('seq', n)}); do k=$(wg genkey) && "
                          "printf '%s %s\\n' \"$k\" \"$(printf '%s\\n' \"$k\" | wg pubkey)\"; done").split()
        if len(out) != 2 * n:
            raise AssertionError(f"wg genkey/pubkey printed {out!r}")
        return [Keypair(private=out[2 * i], public=out[2 * i + 1]) for i in range(n)]

    def genpsk(self) -> str:
        return sh(self.vm, "wg genpsk").split()[-1]

    def veth(self, a: Netns, a_name: str, b: Netns, b_name: str) -> None:
        sh(self.vm, chain(cmd("ip", "link", "add", a_name, "netns", a.name, "type", "veth", "peer", "name", b_name,
                              "netns", b.name),
                          cmd("ip", "-n", a.name, "link", "set", a_name, "up"),
                          cmd("ip", "-n", b.name, "link", "set", b_name, "up")))

    def wireguard(self, ns: Netns, name: str = "wg0", created_in: Netns | None = None,
                  listen_port: int | None = None, addresses: Iterable[str] = (), keys: Keypair | None = None,
                  with_key: bool = True, up: bool = True) -> WgInterface:
        """A WireGuard interface living in ``ns``; created in ``created_in`` (where its UDP socket stays)."""
        keys = keys or (self.genkey() if with_key else None)
        iface = WgInterface(self, ns, name, keys, listen_port, created_in or ns)
        sh(self.vm, iface.create_command(addresses, up))
        return iface

    def alive(self, pid: int) -> bool:
        """Whether process ``pid`` still runs (a zombie counts as finished)."""
        proc = f"/proc/{int(pid)}"
        return run(self.vm, chain(cmd("test", "-e", proc), "! " + cmd("grep", "-q", ") Z", f"{proc}/stat"))).ok

    def put_text(self, path: str, text: str) -> None:
        """Write ``text`` to ``path`` in the guest (base64 in chunks, so any size and any bytes pass)."""
        data = base64.b64encode(text.encode()).decode()
        b64 = f"{path}.b64"
        sh(self.vm, redirect(":", stdout=b64))
        for part in chunks(data, 32768):
            sh(self.vm, redirect(cmd("printf", "%s", part), stdout=b64, append=True))
        sh(self.vm, chain(redirect(cmd("base64", "-d", b64), stdout=path), cmd("rm", "-f", b64)))

    def put_tool(self, name: str) -> str:
        """Copy the guest-side script vmtests/lib/``name`` into the work folder; returns its path in the guest."""
        path = f"{self.workdir}/{name}"
        self.put_text(path, (GUEST_TOOLS / name).read_text())
        return path

    def put_compiled(self, source: str) -> str:
        """Compile the guest-side C tool vmtests/lib/``source`` on the host (cached by its contents)
        and copy the binary into the work folder; returns its path in the guest."""
        machine = sh(self.vm, "uname -m").strip()
        binary = compile_guest_tool(GUEST_TOOLS / source, machine)
        path = f"{self.workdir}/{binary.name}"
        self.vm.put(binary, path)
        return path

    def close(self) -> None:
        cmds = list(self.cleanups)
        if self.pids:
            cmds.append(cmd("kill", "-9", *self.pids) + " 2>/dev/null")
        for ns in self.namespaces:
            # the namespace's remaining processes, word-split from $(...) on purpose (pids are numbers)
            cmds.append(f"pids=$({cmd('ip', 'netns', 'pids', ns.name)} 2>/dev/null); "
                        '[ -n "$pids" ] && kill -9 $pids')
        cmds += [cmd("ip", "netns", "del", ns.name) for ns in reversed(self.namespaces)]
        cmds.append(cmd("rm", "-rf", self.workdir))
        # one round trip; each step may fail without stopping the rest
        run(self.vm, in_turn(*cmds, "true"), timeout=120)
        self.namespaces.clear()
        self.pids.clear()
        self.cleanups.clear()


# ---------------------------------------------------------------------------
# The usual two-peer set-up
# ---------------------------------------------------------------------------

@dataclass
class Pair:
    """Two peers A and B in namespaces ``a`` and ``b``; both UDP sockets live in ``outer``.

    Inner addresses: A 10.9.0.1 / fd09::1, B 10.9.0.2 / fd09::2. Outer endpoints on
    ``outer``'s loopback (127.0.0.1 or ::1) at ``port_a`` and ``port_b``.
    """

    topo: Topology
    outer: Netns
    a: Netns
    b: Netns
    wa: WgInterface
    wb: WgInterface
    port_a: int
    port_b: int
    loopback: str

    A4, B4, A6, B6 = "10.9.0.1", "10.9.0.2", "fd09::1", "fd09::2"

    def endpoint(self, port: int) -> str:
        return f"[{self.loopback}]:{port}" if ":" in self.loopback else f"{self.loopback}:{port}"

    @property
    def endpoint_a(self) -> str:
        return self.endpoint(self.port_a)

    @property
    def endpoint_b(self) -> str:
        return self.endpoint(self.port_b)


def two_peers(topo: Topology, outer_family: int = 4, connect: bool = True, port_a: int = 10001,
              port_b: int = 10002, psk: str | None = None, keepalive_a: int | None = None) -> Pair:
    """The usual set-up (see ``Pair``), built in a few round trips."""
    outer, a, b = topo.netnses("outer", "a", "b")
    ka, kb = topo.genkeys(2)
    wa = WgInterface(topo, a, "wg0", ka, port_a, outer)
    wb = WgInterface(topo, b, "wg0", kb, port_b, outer)
    pair = Pair(topo, outer, a, b, wa, wb, port_a, port_b, "127.0.0.1" if outer_family == 4 else "::1")
    cmds = [wa.create_command([f"{Pair.A4}/24", f"{Pair.A6}/64"]),
            wb.create_command([f"{Pair.B4}/24", f"{Pair.B6}/64"])]
    if connect:
        cmds.append(wa.add_peer_command(wb, [f"{Pair.B4}/32", f"{Pair.B6}/128"], endpoint=pair.endpoint_b,
                                        preshared_key=psk, persistent_keepalive=keepalive_a))
        cmds.append(wb.add_peer_command(wa, [f"{Pair.A4}/32", f"{Pair.A6}/128"], endpoint=pair.endpoint_a,
                                        preshared_key=psk))
    sh(topo.vm, chain(*cmds))
    return pair


def veth_peers(topo: Topology, endpoint_on_b: bool = False) -> Pair:
    """Two namespaces ``a`` and ``b`` joined by a veth pair (``veth0`` on each side,
    192.168.1.1/24 and 192.168.1.2/24), a WireGuard interface in each with ``Pair``'s inner
    addresses; A's peer B has B's outer address as endpoint, B learns A's from its packets
    (or has it configured, ``endpoint_on_b``). Unlike ``two_peers`` the UDP sockets live in
    the namespaces themselves, so the outer packets cross the veth, where a test can set
    MTUs or count them. ``Pair.outer`` is ``a``; ``Pair.loopback`` B's outer address."""
    a, b = topo.netnses("a", "b")
    topo.veth(a, "veth0", b, "veth0")
    a.addr("veth0", "192.168.1.1/24")
    b.addr("veth0", "192.168.1.2/24")
    wa = topo.wireguard(a, listen_port=10001, addresses=[f"{Pair.A4}/24", f"{Pair.A6}/64"])
    wb = topo.wireguard(b, listen_port=10002, addresses=[f"{Pair.B4}/24", f"{Pair.B6}/64"])
    wa.add_peer(wb, [f"{Pair.B4}/32", f"{Pair.B6}/128"], endpoint="192.168.1.2:10002")
    wb.add_peer(wa, [f"{Pair.A4}/32", f"{Pair.A6}/128"], endpoint="192.168.1.1:10001" if endpoint_on_b else None)
    return Pair(topo, a, a, b, wa, wb, 10001, 10002, "192.168.1.2")


def compile_guest_tool(source: Path, machine: str = "x86_64") -> Path:
    """``source`` (C) built for a guest whose ``uname -m`` is ``machine``, with the host's
    compiler or, for another architecture, Debian's cross compiler (wgcompat.arch): the host
    and the guest run the same Debian release, so the guest's C library runs it. Cached by
    the source's contents; built in a temporary file and renamed, so a failed build leaves
    nothing."""
    from wgcompat import paths
    from wgcompat.arch import ARCHES

    arch = next((a for a in ARCHES.values() if a.uname == machine), None)
    if arch is None:
        raise AssertionError(f"the guest runs on {machine}, for which wgcompat has no compiler")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    folder = digest if arch.native else f"{digest}-{arch.name}"
    binary = paths.cache_root() / "guest-tools" / folder / source.stem
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(f"{binary.name}.{os.getpid()}.part")
    compiler = "cc" if arch.native else arch.gcc
    built = subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-o", str(partial), str(source)],
                           capture_output=True, text=True)
    if built.returncode != 0:
        partial.unlink(missing_ok=True)
        fix = "" if arch.native else f" (a foreign guest's C library: apt-get install libc6-dev-{arch.debian}-cross)"
        raise AssertionError(f"compiling the guest tool {source} for {arch.name} failed{fix}:\n{built.stderr}")
    partial.rename(binary)
    return binary


def guest_has(vm: Guest, tool: str) -> bool:
    return run(vm, cmd("command", "-v", tool) + " >/dev/null").ok


def chunks(seq: Sequence[T], n: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def send_stream(topo: Topology, src: Netns, dst: Netns, address: str, size: int, port: int = 5201) -> None:
    """Send ``size`` random bytes over TCP from ``src`` to ``address`` (in ``dst``); check size and SHA-256."""
    sent, received = f"{topo.workdir}/stream-{port}.out", f"{topo.workdir}/stream-{port}.in"
    want = src.sh(chain(redirect(cmd("head", "-c", size, "/dev/urandom"), stdout=sent),
                        redirect("sha256sum", stdin=sent))).split()[0]
    bind = f"[{address}]" if ":" in address else address
    pid = dst.spawn(cmd("ncat", "-l", "--recv-only", address, port), log=received)
    wait_until(lambda: f"{bind}:{port}" in dst.sh("ss -Hltn"), 30, f"ncat listening on {bind}:{port}")
    src.sh(redirect(cmd("ncat", "--send-only", address, port), stdin=sent), timeout=300)
    wait_until(lambda: not topo.alive(pid), 120, "the receiving ncat to finish")
    got = dst.sh(chain(cmd("stat", "-c", "%s", received), redirect("sha256sum", stdin=received))).split()
    if int(got[0]) != size or got[1] != want:
        raise AssertionError(f"TCP stream to {address}: {got[0]} of {size} bytes arrived, "
                             f"checksum {'matches' if got[1] == want else 'differs'}")
