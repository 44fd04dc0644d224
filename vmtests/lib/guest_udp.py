#!/usr/bin/env python3
"""Guest-side UDP tools for the hostile-input tests (python3-minimal: no json).

    guest_udp.py send FILE HOST PORT [REPEAT]
        send each line of FILE (hex, or - for an empty one) as one datagram, REPEAT times over; print sent=N
    guest_udp.py relay LISTEN_PORT TARGET_PORT [twice|forge]
        forward datagrams between the first client of 127.0.0.1:LISTEN_PORT and
        127.0.0.1:TARGET_PORT; "twice" (the default) sends every datagram twice (a replaying
        middlebox); "forge" sends the target, ahead of each data message, two copies whose
        counter is moved far ahead (unauthentic: the counter is part of the nonce)
"""

from __future__ import annotations

import select
import socket
import struct
import sys


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def send(path: str, host: str, port: int, repeat: int) -> None:
    with open(path) as f:
        payloads = [b"" if ln.strip() == "-" else bytes.fromhex(ln.strip()) for ln in f if ln.strip()]
    sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
    sent = 0
    for _ in range(repeat):
        for data in payloads:
            try:
                sock.sendto(data, (host, port))
                sent += 1
            except OSError:
                pass
    print(f"sent={sent}")


def forged_copies(data: bytes) -> list[bytes]:
    """For a data message (type 4): copies with the counter 2**40 ahead and at 2**64 - 1."""
    if len(data) < 32 or data[0] != 4:
        return []
    (counter,) = struct.unpack_from("<Q", data, 8)
    return [data[:8] + struct.pack("<Q", c % 2**64) + data[16:] for c in (counter + 2**40, 2**64 - 1)]


def relay(listen_port: int, target_port: int, mode: str = "twice") -> None:
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen_port))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.connect(("127.0.0.1", target_port))
    copies = 2 if mode == "twice" else 1
    client = None
    print("relaying", flush=True)
    while True:
        ready, _, _ = select.select([front, back], [], [])
        if front in ready:
            data, client = front.recvfrom(65535)
            if mode == "forge":
                for forged in forged_copies(data):
                    back.send(forged)
            for _ in range(copies):
                back.send(data)
        if back in ready:
            try:
                data = back.recv(65535)
            except ConnectionRefusedError:
                continue
            if client is not None:
                for _ in range(copies):
                    front.sendto(data, client)


def main() -> int:
    mode = sys.argv[1]
    if mode == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    elif mode == "relay":
        relay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "twice")
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
