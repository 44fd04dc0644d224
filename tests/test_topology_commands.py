"""The guest commands vmtests/lib/topology.py composes: argument lists joined with shell
quoting, so a value (a name, an address, a path, a key) is one shell word whatever it contains.

Host-only: a fake guest records the command lines instead of running them; where it matters
what a shell makes of a line, the host's bash runs it (only printf and cat, never `ip` or `wg`).
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

import pytest

from vmtests.lib.topology import Keypair, Netns, Topology, WgInterface, two_peers
from wgcompat.vm.shell import chain, cmd, in_turn, key_input, redirect

HOSTILE = ["a b", "x;touch /tmp/pwned", "$(id)", "`id`", "it's", '"q"', "", "*", "[::1]:10002", "tab\there",
           "new\nline", "-n", "&&", "|", "a\\b"]


@dataclass
class Reply:
    status: int
    output: str


class FakeGuest:
    """Records every command line; answers `wg genkey` loops with made-up keys and `echo $!` with a pid."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def run(self, cmd: str, timeout: float = 60.0) -> Reply:
        self.commands.append(cmd)
        if "wg genkey" in cmd:
            n = int(cmd.split("$(seq ", 1)[1].split(")", 1)[0])
            return Reply(0, "".join(f"priv{i}= pub{i}=\n" for i in range(n)))
        if cmd.endswith("echo $!'"):
            return Reply(0, "4242\n")
        return Reply(0, "")


def bash(line: str) -> str:
    """What the host's bash prints for ``line``."""
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True).stdout


def argv_of(line: str) -> list[str]:
    """The words bash passes for ``line`` (one simple command), as printf prints them one per line, NUL-safe."""
    return bash(f"printf '%s\\0' {line.split(' ', 1)[1]}").split("\0")[:-1]


@pytest.fixture
def topo() -> Topology:
    return Topology(FakeGuest(), "Unit")


def test_cmd_quotes_every_argument_as_one_word():
    line = cmd("printf", *HOSTILE)
    assert shlex.split(line) == ["printf", *HOSTILE]
    assert argv_of(line) == HOSTILE      # and bash agrees: nothing ran, nothing split, nothing globbed


def test_cmd_leaves_plain_words_alone_and_prints_numbers():
    assert cmd("ip", "-n", "t1-a", "link", "set", "wg0", "up") == "ip -n t1-a link set wg0 up"
    assert cmd("seq", 3, 0.5) == "seq 3 0.5"
    assert cmd("ip", "a b;c") == "ip 'a b;c'"


def test_chain_and_in_turn():
    assert chain("a", "b", "c") == "a && b && c"
    assert in_turn("false", "true") == "false; true"
    assert bash(in_turn("false", "echo ran")) == "ran\n"
    assert bash(chain("false", "echo ran") + "; true") == ""


def test_key_input_is_a_file_holding_the_key():
    for key in ["yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", "it's $(id) `id` ; \\"]:
        arg = key_input(key)
        assert cmd("cat", arg) == f"cat {arg}"                    # shell syntax: not quoted again
        assert bash(cmd("cat", arg)) == key + "\n"


def test_redirect_quotes_the_file_names(tmp_path):
    out = tmp_path / "a b;c"
    bash(redirect(cmd("printf", "%s", "one"), stdout=str(out)))
    bash(redirect(cmd("printf", "%s", "two"), stdout=str(out), append=True))
    assert out.read_text() == "onetwo"
    assert bash(redirect("cat", stdin=str(out))) == "onetwo"


def test_netns_names_are_quoted_everywhere(topo):
    vm = topo.vm
    ns = topo.netns("a b;c")
    assert ns.name == f"{topo.prefix}-a b;c"
    assert vm.commands[-1] == f"ip netns add '{ns.name}' && ip -n '{ns.name}' link set lo up"
    assert shlex.split(ns.wrap("echo $HOME; ls")) == ["ip", "netns", "exec", ns.name, "bash", "-c", "echo $HOME; ls"]


def test_netns_helpers_build_argument_lists(topo):
    vm = topo.vm
    ns = Netns(topo, "n 1")

    def inner() -> str:
        words = shlex.split(vm.commands[-1])
        assert words[:4] == ["ip", "netns", "exec", "n 1"] and words[4:6] == ["bash", "-c"]
        return words[6]

    ns.addr("veth 0", "10.0.0.1/24", "fd00::1/64")
    assert inner() == ("ip addr add 10.0.0.1/24 dev 'veth 0'; ip addr add fd00::1/64 dev 'veth 0' nodad; "
                       "ip link set 'veth 0' up")
    ns.route("fd00::/64 dev 'wg 0'")
    assert shlex.split(inner()) == ["ip", "-6", "route", "add", "fd00::/64", "dev", "wg 0"]
    ns.sysctl(net__ipv4__ip_forward=1)
    assert inner() == "sysctl -qw net.ipv4.ip_forward=1"
    ns.ping("10.9.0.2", count=3, size=100, extra="-I 'wg 0'")
    assert shlex.split(inner()) == ["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", "-s", "100",
                                    "-I", "wg 0", "10.9.0.2"]
    ns.link_exists("x;y")
    assert inner() == "test -e '/sys/class/net/x;y'"
    ns.counters("wg 0")
    assert inner() == "grep -H . '/sys/class/net/wg 0/statistics'/*"
    assert ns.spawn("sleep 600", log="/tmp/a log") == 4242
    assert inner() == "setsid sleep 600 >'/tmp/a log' 2>&1 </dev/null & echo $!"


def iface(topo: Topology, name: str = "wg0", ns: str = "t-a", home: str | None = None) -> WgInterface:
    netns = Netns(topo, ns)
    return WgInterface(topo, netns, name, Keypair("PRIV+/=", "PUB+/="), 51820,
                       Netns(topo, home) if home else netns)


def test_add_peer_command_is_the_expected_argv(topo):
    w = iface(topo, name="wg 0", ns="t-a")
    line = w.add_peer_command("PEER+/=", ["10.9.0.2/32", "fd09::2/128"], endpoint="[::1]:10002",
                              persistent_keepalive=25)
    words = shlex.split(line)
    assert words[:6] == ["ip", "netns", "exec", "t-a", "bash", "-c"]
    assert shlex.split(words[6]) == ["wg", "set", "wg 0", "peer", "PEER+/=", "allowed-ips",
                                     "10.9.0.2/32,fd09::2/128", "endpoint", "[::1]:10002",
                                     "persistent-keepalive", "25"]


def test_add_peer_command_passes_the_psk_through_a_quoted_printf(topo):
    w = iface(topo)
    line = w.add_peer_command("PEER", preshared_key="it's;psk")
    inner = shlex.split(line)[6]
    assert inner == "wg set wg0 peer PEER preshared-key <(printf '%s\\n' 'it'\"'\"'s;psk')"
    assert bash(inner.replace("wg set wg0 peer PEER preshared-key", "cat")) == "it's;psk\n"


def test_add_peer_runs_the_command_it_describes(topo):
    w = iface(topo)
    assert w.add_peer("PEER", ["10.0.0.2/32"]) == "PEER"
    assert topo.vm.commands[-1] == w.add_peer_command("PEER", ["10.0.0.2/32"])


def test_create_command(topo):
    w = iface(topo, name="wg 0", ns="t-a", home="t-outer")
    steps = w.create_command(["10.9.0.1/24", "fd09::1/64"]).split(" && ")
    assert steps[0] == "ip -n t-outer link add 'wg 0' type wireguard"
    assert steps[1] == "ip -n t-outer link set 'wg 0' netns t-a"
    assert shlex.split(steps[2])[:6] == ["ip", "netns", "exec", "t-a", "bash", "-c"]
    assert shlex.split(steps[2])[6] == "wg set 'wg 0' private-key <(printf '%s\\n' PRIV+/=) listen-port 51820"
    assert steps[3:] == ["ip -n t-a addr add 10.9.0.1/24 dev 'wg 0'", "ip -n t-a addr add fd09::1/64 dev 'wg 0' nodad",
                         "ip -n t-a link set 'wg 0' up"]


def test_wg_helpers_quote_the_interface_and_keep_the_tests_shell_text(topo):
    vm = topo.vm
    w = iface(topo, name="wg;0")

    def inner() -> str:
        return shlex.split(vm.commands[-1])[6]

    w.set("peer K allowed-ips ''")
    assert inner() == "wg set 'wg;0' peer K allowed-ips ''"
    w.remove_peer("K+/=")
    assert inner() == "wg set 'wg;0' peer K+/= remove"
    w.latest_handshakes()
    assert inner() == "wg show 'wg;0' latest-handshakes"
    w.set_private_key(Keypair("NEW'KEY", "pub"))
    assert inner() == "wg set 'wg;0' private-key <(printf '%s\\n' 'NEW'\"'\"'KEY')"


def test_two_peers_is_one_round_trip_of_quoted_steps(topo):
    vm = topo.vm
    p = two_peers(topo, outer_family=6, psk="PSK")
    assert p.endpoint_b == "[::1]:10002"
    line = vm.commands[-1]
    assert "endpoint '\"'\"'[::1]:10002'\"'\"'" in line      # quoted: `[::1]` is a glob pattern otherwise
    assert line.count(" && ") == 13   # 6 steps per interface, one per peer


def test_put_text_and_close_quote_paths_and_names(topo):
    vm = topo.vm
    topo.put_text("/tmp/a b", "hello")
    assert vm.commands[-3:] == [": > '/tmp/a b.b64'", "printf %s aGVsbG8= >> '/tmp/a b.b64'",
                                "base64 -d '/tmp/a b.b64' > '/tmp/a b' && rm -f '/tmp/a b.b64'"]
    topo.netns("x y")
    topo.pids.append(7)
    topo.close()
    steps = vm.commands[-1].split("; ")
    assert steps[0] == "kill -9 7 2>/dev/null"
    assert steps[1:3] == [f"pids=$(ip netns pids '{topo.prefix}-x y' 2>/dev/null)", '[ -n "$pids" ] && kill -9 $pids']
    assert steps[3:] == [f"ip netns del '{topo.prefix}-x y'", f"rm -rf /tmp/wgt-{topo.prefix}", "true"]
