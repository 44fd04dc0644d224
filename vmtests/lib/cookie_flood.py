#!/usr/bin/env python3
"""Guest side of the flood test in vmtests/wireguard/test_hostile.py: flood a WireGuard
responder with handshake initiations that carry a valid mac1 (and garbage
inside), collect its cookie replies, and check them against the protocol:
each reply names one of our sender indices and its sealed cookie opens with
XChaCha20-Poly1305 under HASH("cookie--" || responder public key), with the
mac1 of the initiation it answers as associated data.

Usage: cookie_flood.py HOST PORT RESPONDER_PUB_B64 STATE_PREFIX MAX_SECONDS
  Creates STATE_PREFIX.loaded at the first cookie reply; stops when
  STATE_PREFIX.stop exists or after MAX_SECONDS; prints
  "sent=N replies=N checked=N bad=N other=N" and exits 0.

python3-minimal only: the ChaCha20-Poly1305 primitives come from
initiator.py (next to this file in the guest); HChaCha20 is added here.
"""

import base64
import hashlib
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from initiator import SIGMA, Forged, aead_open, chacha_rounds  # noqa: E402

SAMPLE = 64        # replies kept for the (slow, pure Python) AEAD check
DISTINCT = 512     # distinct initiations cycled through
BURST = 256        # datagrams sent between two looks at the socket


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    w = [*SIGMA, *struct.unpack("<8I", key), *struct.unpack("<4I", nonce16)]
    chacha_rounds(w)
    return struct.pack("<8I", *(w[i] for i in (0, 1, 2, 3, 12, 13, 14, 15)))


def xaead_open(key: bytes, nonce24: bytes, sealed: bytes, ad: bytes) -> bytes:
    subkey = hchacha20(key, nonce24[:16])
    return aead_open(subkey, int.from_bytes(nonce24[16:], "little"), sealed, ad)


def main(argv: list[str]) -> int:
    host, port, pub_b64, prefix, max_seconds = argv[1], int(argv[2]), argv[3], argv[4], float(argv[5])
    pub = base64.b64decode(pub_b64)
    mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
    seal_key = hashlib.blake2s(b"cookie--" + pub).digest()

    mac1_of: dict[bytes, bytes] = {}
    messages = []
    for i in range(DISTINCT):
        index = struct.pack("<I", 0x10000 + i)
        body = struct.pack("<I", 1) + index + os.urandom(32 + 48 + 28)
        mac1 = hashlib.blake2s(body, digest_size=16, key=mac1_key).digest()
        mac1_of[index] = mac1
        messages.append(body + mac1 + bytes(16))

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.connect((host, port))
    sock.setblocking(False)

    sent = replies = other = 0
    sample: list[bytes] = []
    loaded = False

    def drain() -> None:
        nonlocal replies, other, loaded
        while True:
            try:
                data = sock.recv(2048)
            except (BlockingIOError, ConnectionRefusedError):
                return
            if len(data) == 64 and data[:4] == b"\x03\x00\x00\x00":
                replies += 1
                if len(sample) < SAMPLE:
                    sample.append(data)
                if not loaded:
                    loaded = True
                    open(prefix + ".loaded", "w").close()
            else:
                other += 1

    deadline = time.monotonic() + max_seconds
    i = 0
    while time.monotonic() < deadline and not os.path.exists(prefix + ".stop"):
        for _ in range(BURST):
            try:
                sock.send(messages[i % DISTINCT])
                sent += 1
            except (BlockingIOError, ConnectionRefusedError, OSError):
                pass
            i += 1
        drain()
    # Answers to the last bursts may still be on their way.
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        select.select([sock], [], [], 0.1)
        drain()

    checked = bad = 0
    for data in sample:
        index, nonce, sealed = data[4:8], data[8:32], data[32:64]
        mac1 = mac1_of.get(index)
        try:
            if mac1 is None:
                raise Forged("reply to an index we never sent")
            cookie = xaead_open(seal_key, nonce, sealed, mac1)
            if len(cookie) != 16:
                raise Forged("cookie is not 16 bytes")
            checked += 1
        except Forged:
            bad += 1
    print(f"sent={sent} replies={replies} checked={checked} bad={bad} other={other}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
