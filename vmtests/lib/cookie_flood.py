#!/usr/bin/env python3
"""Guest side of the flood test in vmtests/wireguard/test_hostile.py, around the
compiled sender udp_blast.c: make the flood, then check the answers.

  cookie_flood.py make RESPONDER_PUB_B64 OUT
      writes 512 handshake initiations of 148 bytes, back to back: garbage
      inside, distinct sender indices, and a valid mac1 for the responder, so
      a responder under load answers each with a cookie reply.
  cookie_flood.py check RESPONDER_PUB_B64 INITIATIONS REPLIES
      checks the sampled cookie replies (64 bytes each, back to back) against
      the protocol: each names one of our sender indices and its sealed cookie
      opens with XChaCha20-Poly1305 under HASH("cookie--" || responder public
      key), with the mac1 of the initiation it answers as associated data.
      Prints "checked=N bad=N".

python3-minimal only: the ChaCha20-Poly1305 primitives come from
initiator.py (next to this file in the guest); HChaCha20 is added here.
"""

import base64
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from initiator import SIGMA, Forged, aead_open, chacha_rounds  # noqa: E402

DISTINCT = 512      # distinct initiations cycled through
INITIATION = 148    # type 4 + sender 4 + ephemeral 32 + static 48 + timestamp 28 + mac1 16 + mac2 16
MAC1_AT = 116
REPLY = 64


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    w = [*SIGMA, *struct.unpack("<8I", key), *struct.unpack("<4I", nonce16)]
    chacha_rounds(w)
    return struct.pack("<8I", *(w[i] for i in (0, 1, 2, 3, 12, 13, 14, 15)))


def xaead_open(key: bytes, nonce24: bytes, sealed: bytes, ad: bytes) -> bytes:
    subkey = hchacha20(key, nonce24[:16])
    return aead_open(subkey, int.from_bytes(nonce24[16:], "little"), sealed, ad)


def make(pub: bytes, out: str) -> None:
    mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
    with open(out, "wb") as f:
        for i in range(DISTINCT):
            body = struct.pack("<II", 1, 0x10000 + i) + os.urandom(32 + 48 + 28)
            f.write(body + hashlib.blake2s(body, digest_size=16, key=mac1_key).digest() + bytes(16))


def check(pub: bytes, initiations: str, replies: str) -> None:
    seal_key = hashlib.blake2s(b"cookie--" + pub).digest()
    with open(initiations, "rb") as f:
        sent = f.read()
    mac1_of = {sent[o + 4:o + 8]: sent[o + MAC1_AT:o + MAC1_AT + 16] for o in range(0, len(sent), INITIATION)}
    with open(replies, "rb") as f:
        got = f.read()
    checked = bad = 0
    for o in range(0, len(got), REPLY):
        data = got[o:o + REPLY]
        index, nonce, sealed = data[4:8], data[8:32], data[32:64]
        mac1 = mac1_of.get(index)
        try:
            if mac1 is None:
                raise Forged("reply to an index we never sent")
            if len(xaead_open(seal_key, nonce, sealed, mac1)) != 16:
                raise Forged("cookie is not 16 bytes")
            checked += 1
        except Forged:
            bad += 1
    print(f"checked={checked} bad={bad}")


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "make":
        make(base64.b64decode(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "check":
        check(base64.b64decode(argv[2]), argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
