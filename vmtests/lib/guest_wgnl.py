#!/usr/bin/env python3
"""Guest-side: send hand-made WireGuard generic netlink requests and print the kernel's answer.

Runs in the guest with the standard library only (python3-minimal). Usage:

    python3 guest_wgnl.py CASE[,CASE...] IFNAME [PEER_PUBLIC_KEY_BASE64]
    python3 guest_wgnl.py set IFNAME PEER_PUBLIC_KEY_BASE64 PEER_FLAGS [CIDR[@ALLOWEDIP_FLAGS] ...]
    python3 guest_wgnl.py dump IFNAME

The first form prints one line per case: case=CASE errno=N name=EINVAL (errno 0 = accepted;
no json in python3-minimal). The cases are requests `wg` itself would never send (wrong
lengths, unknown flags, missing attributes), to check that the kernel refuses them and names why.

`set` sends one WG_CMD_SET_DEVICE with one peer entry carrying WGPEER_A_FLAGS = PEER_FLAGS
(decimal or 0x..) and the given allowed IPs; an allowed IP written CIDR@N also carries
WGALLOWEDIP_A_FLAGS = N (WGALLOWEDIP_F_REMOVE_ME = 1, which wg 1.0.20210914 cannot send).
Prints: errno=N name=NAME.

`dump` sends WG_CMD_GET_DEVICE as a dump with a large receive buffer and describes the raw
reply, before any reassembly: a line "messages=N", then per message
"message index=I attrs=T,T,... entries=E" (the WGDEVICE_A_* types it carries) and per peer
entry "entry message=I key=HEX attrs=T,T,... ips=N" (WGPEER_A_* types; N allowed IPs),
then per public key "peer key=HEX entries=E ips=N distinct=D".
"""

from __future__ import annotations

import base64
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 0x10, 3, 1, 2
NLA_F_NESTED = 0x8000

WG_CMD_GET_DEVICE, WG_CMD_SET_DEVICE = 0, 1
(WGDEVICE_A_IFINDEX, WGDEVICE_A_IFNAME, WGDEVICE_A_PRIVATE_KEY, WGDEVICE_A_PUBLIC_KEY, WGDEVICE_A_FLAGS,
 WGDEVICE_A_LISTEN_PORT, WGDEVICE_A_FWMARK, WGDEVICE_A_PEERS) = range(1, 9)
(WGPEER_A_PUBLIC_KEY, WGPEER_A_PRESHARED_KEY, WGPEER_A_FLAGS, WGPEER_A_ENDPOINT,
 WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, WGPEER_A_LAST_HANDSHAKE_TIME, WGPEER_A_RX_BYTES, WGPEER_A_TX_BYTES,
 WGPEER_A_ALLOWEDIPS, WGPEER_A_PROTOCOL_VERSION) = range(1, 11)
WGALLOWEDIP_A_FAMILY, WGALLOWEDIP_A_IPADDR, WGALLOWEDIP_A_CIDR_MASK, WGALLOWEDIP_A_FLAGS = 1, 2, 3, 4


def attr(kind: int, payload: bytes) -> bytes:
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def nest(kind: int, *children: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(children))


def u16(v: int) -> bytes:
    return struct.pack("=H", v)


def u32(v: int) -> bytes:
    return struct.pack("=I", v)


def name(s: str) -> bytes:
    return s.encode() + b"\0"


class Genl:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family: int, cmd: int, attrs: bytes, flags: int) -> tuple[int, list[bytes]]:
        """Send; return (errno, payloads of the data messages)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + attrs
        self.sock.send(struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0) + body)
        payloads: list[bytes] = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", msg)[0]
                    if code or not (flags & NLM_F_DUMP):
                        return code, payloads
                    continue
                if kind == NLMSG_DONE:
                    code = -struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    if code or not (flags & NLM_F_ACK):
                        return code, payloads
                    continue
                payloads.append(msg[4:])

    def family(self, family_name: str) -> int:
        code, payloads = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                      attr(CTRL_ATTR_FAMILY_NAME, name(family_name)), NLM_F_REQUEST | NLM_F_ACK)
        if code:
            raise OSError(code, f"resolving the {family_name} generic netlink family")
        msg = payloads[0]
        off = 0
        while off + 4 <= len(msg):
            length, kind = struct.unpack_from("=HH", msg, off)
            if kind == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("=H", msg, off + 4)[0]
            off += (length + 3) & ~3
        raise OSError(errno.ENOENT, "no family id in the reply")


def one_peer(*attrs: bytes) -> bytes:
    return nest(WGDEVICE_A_PEERS, nest(0, *attrs))


def allowed_ip(address: bytes, cidr: int, family: int = socket.AF_INET) -> bytes:
    return nest(WGPEER_A_ALLOWEDIPS, nest(0, attr(WGALLOWEDIP_A_FAMILY, u16(family)),
                                          attr(WGALLOWEDIP_A_IPADDR, address),
                                          attr(WGALLOWEDIP_A_CIDR_MASK, bytes([cidr]))))


def cases(ifname: str, peer: bytes) -> dict[str, tuple[int, bytes, int]]:
    dev = attr(WGDEVICE_A_IFNAME, name(ifname))
    fresh_key = os.urandom(32)
    set_, get = WG_CMD_SET_DEVICE, WG_CMD_GET_DEVICE
    req, dump = NLM_F_REQUEST | NLM_F_ACK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP
    v4 = socket.inet_aton("10.200.0.0")
    return {
        "accepted_noop": (set_, dev, req),
        "short_private_key": (set_, dev + attr(WGDEVICE_A_PRIVATE_KEY, os.urandom(31)), req),
        "short_listen_port": (set_, dev + attr(WGDEVICE_A_LISTEN_PORT, b"\x01"), req),
        "unknown_device_flag": (set_, dev + attr(WGDEVICE_A_FLAGS, u32(1 << 7)), req),
        "peer_without_public_key": (set_, dev + nest(WGDEVICE_A_PEERS, nest(0, attr(
            WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, u16(5)))), req),
        "peer_short_public_key": (set_, dev + nest(WGDEVICE_A_PEERS, nest(0, attr(
            WGPEER_A_PUBLIC_KEY, fresh_key[:31]))), req),
        "peer_protocol_version_2": (set_, dev + nest(WGDEVICE_A_PEERS, nest(0, attr(
            WGPEER_A_PUBLIC_KEY, fresh_key), attr(WGPEER_A_PROTOCOL_VERSION, u32(2)))), req),
        "allowedip_cidr_33": (set_, dev + one_peer(attr(WGPEER_A_PUBLIC_KEY, peer), allowed_ip(v4, 33)), req),
        "allowedip_v4_with_16_bytes": (set_, dev + one_peer(attr(WGPEER_A_PUBLIC_KEY, peer), allowed_ip(v4 * 4, 24)),
                                       req),
        "set_without_interface": (set_, attr(WGDEVICE_A_LISTEN_PORT, u16(4242)), req),
        "set_on_missing_interface": (set_, attr(WGDEVICE_A_IFNAME, name("nosuchwg0")) +
                                     attr(WGDEVICE_A_LISTEN_PORT, u16(4242)), req),
        "set_on_loopback": (set_, attr(WGDEVICE_A_IFNAME, name("lo")) + attr(WGDEVICE_A_LISTEN_PORT, u16(4242)), req),
        "get_with_name_and_index": (get, dev + attr(WGDEVICE_A_IFINDEX, u32(socket.if_nametoindex(ifname))), dump),
    }


def parse_attrs(buf: bytes) -> list[tuple[int, bytes]]:
    out = []
    off = 0
    while off + 4 <= len(buf):
        length, kind = struct.unpack_from("=HH", buf, off)
        if length < 4:
            break
        out.append((kind & 0x3FFF, buf[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


def allowed_ip_entry(spec: str) -> bytes:
    """CIDR[@FLAGS] as one WGPEER_A_ALLOWEDIPS element (type 0)."""
    cidr, _, flags = spec.partition("@")
    address, _, bits = cidr.partition("/")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    parts = [attr(WGALLOWEDIP_A_FAMILY, u16(family)), attr(WGALLOWEDIP_A_IPADDR, socket.inet_pton(family, address)),
             attr(WGALLOWEDIP_A_CIDR_MASK, bytes([int(bits)]))]
    if flags:
        parts.append(attr(WGALLOWEDIP_A_FLAGS, u32(int(flags, 0))))
    return nest(0, *parts)


def set_peer(genl: Genl, family: int, ifname: str, key: bytes, peer_flags: int, specs: list[str]) -> int:
    peer = [attr(WGPEER_A_PUBLIC_KEY, key), attr(WGPEER_A_FLAGS, u32(peer_flags))]
    if specs:
        peer.append(nest(WGPEER_A_ALLOWEDIPS, *(allowed_ip_entry(s) for s in specs)))
    attrs = attr(WGDEVICE_A_IFNAME, name(ifname)) + nest(WGDEVICE_A_PEERS, nest(0, *peer))
    code, _ = genl.request(family, WG_CMD_SET_DEVICE, attrs, NLM_F_REQUEST | NLM_F_ACK)
    return code


def dump(genl: Genl, family: int, ifname: str) -> int:
    code, messages = genl.request(family, WG_CMD_GET_DEVICE, attr(WGDEVICE_A_IFNAME, name(ifname)),
                                  NLM_F_REQUEST | NLM_F_DUMP)   # no ACK: a dump ends with NLMSG_DONE
    if code:
        print(f"errno={code} name={errno.errorcode.get(code, str(code))}")
        return 1
    print(f"messages={len(messages)}")
    order: list[bytes] = []
    per_key: dict[bytes, list[int]] = {}
    ips_of: dict[bytes, set[tuple[tuple[int, bytes], ...]]] = {}
    for index, msg in enumerate(messages):
        top = parse_attrs(msg)
        entries = [e for kind, payload in top if kind == WGDEVICE_A_PEERS for _, e in parse_attrs(payload)]
        print(f"message index={index} attrs={','.join(str(k) for k, _ in top)} entries={len(entries)}")
        for entry in entries:
            fields = parse_attrs(entry)
            key = b"".join(v for k, v in fields if k == WGPEER_A_PUBLIC_KEY)
            ips = [v for k, v in fields if k == WGPEER_A_ALLOWEDIPS for _, v in parse_attrs(v)]
            print(f"entry message={index} key={key.hex()} attrs={','.join(str(k) for k, _ in fields)} ips={len(ips)}")
            if key not in per_key:
                order.append(key)
                per_key[key] = [0, 0]
                ips_of[key] = set()
            per_key[key][0] += 1
            per_key[key][1] += len(ips)
            ips_of[key].update(tuple(sorted(parse_attrs(ip))) for ip in ips)
    for key in order:
        print(f"peer key={key.hex()} entries={per_key[key][0]} ips={per_key[key][1]} distinct={len(ips_of[key])}")
    return 0


def main() -> int:
    if sys.argv[1] in ("set", "dump"):
        genl = Genl()
        family = genl.family("wireguard")
        if sys.argv[1] == "dump":
            return dump(genl, family, sys.argv[2])
        code = set_peer(genl, family, sys.argv[2], base64.b64decode(sys.argv[3]), int(sys.argv[4], 0), sys.argv[5:])
        print(f"errno={code} name={errno.errorcode.get(code, str(code)) if code else 'OK'}")
        return 0
    names, ifname = sys.argv[1].split(","), sys.argv[2]
    peer = base64.b64decode(sys.argv[3]) if len(sys.argv) > 3 else os.urandom(32)
    genl = Genl()
    family = genl.family("wireguard")
    table = cases(ifname, peer)
    for case in names:
        cmd, attrs, flags = table[case]
        code, _ = genl.request(family, cmd, attrs, flags)
        print(f"case={case} errno={code} name={errno.errorcode.get(code, str(code)) if code else 'OK'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
