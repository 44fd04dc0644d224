"""WireGuard between two wired guests (wgcompat.vm.pair): a key pair made in a guest, wg0 set
up towards the other one, a ping through it. The guests' eth0 are 10.77.0.1 and 10.77.0.2."""

from __future__ import annotations

import shlex

from vmtests.lib.topology import Guest, Keypair, sh


def genkey(vm: Guest) -> Keypair:
    out = sh(vm, "k=$(wg genkey) && echo $k && echo $k | wg pubkey").split()
    return Keypair(out[-2], out[-1])


def setup_wg(vm: Guest, me: Keypair, address: str, peer: Keypair, peer_ip: str, endpoint: str) -> None:
    sh(vm, "ip link add wg0 type wireguard && "
           f"wg set wg0 listen-port 51820 private-key <(echo {shlex.quote(me.private)}) "
           f"peer {peer.public} allowed-ips {peer_ip}/32 endpoint {endpoint} && "
           f"ip addr add {address}/24 dev wg0 && ip link set wg0 up")


def ping(vm: Guest, address: str, size: int = 56) -> bool:
    return sh(vm, f"ping -n -q -c 1 -W 1 -s {int(size)} {address} || true").find(" 1 received") >= 0
