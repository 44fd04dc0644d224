#!/usr/bin/env python3
"""Guest-side UDP tools for the hostile-input tests (python3-minimal: no json).

    guest_udp.py send FILE HOST PORT [REPEAT]
        send each line of FILE (hex, or - for an empty one) as one datagram, REPEAT times over; print sent=N
    guest_udp.py relay LISTEN_PORT TARGET_PORT [twice|forge|once|record:PATH|reorder]
        forward datagrams between the first client of 127.0.0.1:LISTEN_PORT and
        127.0.0.1:TARGET_PORT; "twice" (the default) sends every datagram twice (a replaying
        middlebox); "forge" sends the target, ahead of each data message, two copies whose
        counter is moved far ahead (unauthentic: the counter is part of the nonce); "once"
        forwards each datagram once; "record:PATH" forwards once and appends each datagram
        from the client, in hex, to PATH; "reorder" holds the client's data messages (type 4,
        longer than a keepalive) and forwards them four at a time in reverse order (or what
        it holds after 1 s of quiet), printing "counters=C,C,..." for each batch it sends
    guest_udp.py record PORT FILE
        listen on 127.0.0.1:PORT and append each datagram received, in hex, to FILE
    guest_udp.py exchange FILE HOST PORT SRC_ADDR SRC_PORT WAIT
        from SRC_ADDR:SRC_PORT send each line of FILE (hex) to HOST:PORT, then collect
        replies until WAIT seconds pass without one; print sent=N replies=M sizes=S,S,...
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
    record = open(mode.split(":", 1)[1], "a") if mode.startswith("record:") else None
    held: list[bytes] = []
    client = None
    print("relaying", flush=True)

    def release() -> None:
        for data in reversed(held):
            back.send(data)
        print("counters=" + ",".join(str(struct.unpack_from("<Q", d, 8)[0]) for d in reversed(held)), flush=True)
        held.clear()

    while True:
        ready, _, _ = select.select([front, back], [], [], 1.0 if held else None)
        if not ready and held:
            release()
        if front in ready:
            data, client = front.recvfrom(65535)
            if record is not None:
                record.write(data.hex() + "\n")
                record.flush()
            if mode == "reorder" and len(data) > 32 and data[0] == 4:
                held.append(data)
                if len(held) == 4:
                    release()
                continue
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


def record(port: int, path: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("recording", flush=True)
    with open(path, "a") as out:
        while True:
            data = sock.recv(65535)
            out.write(data.hex() + "\n")
            out.flush()


def exchange(path: str, host: str, port: int, src_addr: str, src_port: int, wait: float) -> None:
    with open(path) as f:
        payloads = [bytes.fromhex(ln.strip()) for ln in f if ln.strip()]
    sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
    sock.bind((src_addr, src_port))
    for data in payloads:
        sock.sendto(data, (host, port))
    sizes = []
    sock.settimeout(wait)
    while True:
        try:
            sizes.append(len(sock.recv(65535)))
        except socket.timeout:
            break
        except ConnectionRefusedError:
            continue
    print(f"sent={len(payloads)} replies={len(sizes)} sizes={','.join(str(n) for n in sizes)}")


def main() -> int:
    mode = sys.argv[1]
    if mode == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    elif mode == "relay":
        relay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "twice")
    elif mode == "record":
        record(int(sys.argv[2]), sys.argv[3])
    elif mode == "exchange":
        exchange(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), float(sys.argv[7]))
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
