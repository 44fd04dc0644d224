#!/usr/bin/env python3
"""Generate module/selftest/handshake_vector.h: a known-answer WireGuard
handshake transcript computed independently of the module's C code.

It follows the protocol as written in the WireGuard whitepaper (section 5.4)
with Python's hashlib/hmac (BLAKE2s) and the `cryptography` package (X25519,
ChaCha20-Poly1305). The module self-test fixes its ephemerals, timestamp and
indices to the values below and must produce the same bytes and keys.

Usage (from the repository root):
    .venv/bin/python module/selftest/gen_handshake_vector.py \
        > module/selftest/handshake_vector.h
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import sys
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"


@dataclass(frozen=True)
class Inputs:
    initiator_static: bytes
    responder_static: bytes
    initiator_ephemeral: bytes
    responder_ephemeral: bytes
    psk: bytes
    timestamp: bytes
    initiator_index: int
    responder_index: int


@dataclass(frozen=True)
class Transcript:
    initiator_public: bytes
    responder_public: bytes
    initiation: bytes
    response: bytes
    initiator_send: bytes
    initiator_recv: bytes


def blake2s_hash(*parts: bytes) -> bytes:
    h = hashlib.blake2s(digest_size=32)
    for part in parts:
        h.update(part)
    return h.digest()


def hmac_blake2s(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf(n: int, chaining_key: bytes, data: bytes) -> list[bytes]:
    prk = hmac_blake2s(chaining_key, data)
    out: list[bytes] = []
    previous = b""
    for i in range(1, n + 1):
        previous = hmac_blake2s(prk, previous + bytes([i]))
        out.append(previous)
    return out


def mac16(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def aead_seal(key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    nonce = bytes(4) + struct.pack("<Q", 0)
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)


def public_of(private: bytes) -> bytes:
    return (
        X25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def dh(private: bytes, public: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).exchange(
        X25519PublicKey.from_public_bytes(public)
    )


def run(inp: Inputs) -> Transcript:
    s_i_pub = public_of(inp.initiator_static)
    s_r_pub = public_of(inp.responder_static)
    e_i_pub = public_of(inp.initiator_ephemeral)
    e_r_pub = public_of(inp.responder_ephemeral)

    # Initiation: -> e, es, s, ss, {t}
    ck = blake2s_hash(CONSTRUCTION)
    h = blake2s_hash(blake2s_hash(ck, IDENTIFIER), s_r_pub)
    (ck,) = kdf(1, ck, e_i_pub)
    h = blake2s_hash(h, e_i_pub)
    ck, key = kdf(2, ck, dh(inp.initiator_ephemeral, s_r_pub))
    sealed_static = aead_seal(key, s_i_pub, h)
    h = blake2s_hash(h, sealed_static)
    ck, key = kdf(2, ck, dh(inp.initiator_static, s_r_pub))
    sealed_ts = aead_seal(key, inp.timestamp, h)
    h = blake2s_hash(h, sealed_ts)
    body = (
        struct.pack("<II", 1, inp.initiator_index)
        + e_i_pub
        + sealed_static
        + sealed_ts
    )
    mac1 = mac16(blake2s_hash(LABEL_MAC1, s_r_pub), body)
    initiation = body + mac1 + bytes(16)

    # Response: <- e, ee, se, psk, {}
    (ck,) = kdf(1, ck, e_r_pub)
    h = blake2s_hash(h, e_r_pub)
    (ck,) = kdf(1, ck, dh(inp.responder_ephemeral, e_i_pub))
    (ck,) = kdf(1, ck, dh(inp.responder_ephemeral, s_i_pub))
    ck, tau, key = kdf(3, ck, inp.psk)
    h = blake2s_hash(h, tau)
    sealed_empty = aead_seal(key, b"", h)
    body = (
        struct.pack("<III", 2, inp.responder_index, inp.initiator_index)
        + e_r_pub
        + sealed_empty
    )
    mac1 = mac16(blake2s_hash(LABEL_MAC1, s_i_pub), body)
    response = body + mac1 + bytes(16)

    send, recv = kdf(2, ck, b"")
    assert len(initiation) == 148 and len(response) == 92
    return Transcript(s_i_pub, s_r_pub, initiation, response, send, recv)


def c_array(name: str, data: bytes) -> str:
    lines = [f"static const u8 {name}[{len(data)}] = {{"]
    for start in range(0, len(data), 8):
        chunk = ", ".join(f"0x{b:02x}" for b in data[start : start + 8])
        lines.append(f"\t{chunk},")
    lines.append("};")
    return "\n".join(lines)


def default_inputs() -> Inputs:
    """The fixed inputs of handshake_vector.h (also used by interop/)."""
    seconds = 0x400000000000000A + 1_700_000_000
    return Inputs(
        initiator_static=bytes(range(1, 33)),
        responder_static=bytes(range(33, 65)),
        initiator_ephemeral=bytes([0xE1] * 32),
        responder_ephemeral=bytes([0xE2] * 32),
        psk=bytes(range(100, 132)),
        timestamp=struct.pack(">QI", seconds, 3 << 24),
        initiator_index=0x11223344,
        responder_index=0x55667788,
    )


def main() -> int:
    inp = default_inputs()
    t = run(inp)
    out = [
        "/* SPDX-License-Identifier: GPL-2.0 */",
        "/*",
        " * handshake_vector.h - known-answer handshake transcript.",
        " * GENERATED by gen_handshake_vector.py (independent Python",
        " * implementation); do not edit. Included only by handshake.c.",
        " */",
        "#ifndef WG_SELFTEST_HANDSHAKE_VECTOR_H",
        "#define WG_SELFTEST_HANDSHAKE_VECTOR_H",
        "",
        f"#define HV_INITIATOR_INDEX 0x{inp.initiator_index:08x}U",
        f"#define HV_RESPONDER_INDEX 0x{inp.responder_index:08x}U",
        "",
        c_array("hv_initiator_static", inp.initiator_static),
        c_array("hv_responder_static", inp.responder_static),
        c_array("hv_initiator_ephemeral", inp.initiator_ephemeral),
        c_array("hv_responder_ephemeral", inp.responder_ephemeral),
        c_array("hv_psk", inp.psk),
        c_array("hv_timestamp", inp.timestamp),
        c_array("hv_initiator_public", t.initiator_public),
        c_array("hv_responder_public", t.responder_public),
        c_array("hv_initiation", t.initiation),
        c_array("hv_response", t.response),
        c_array("hv_initiator_send", t.initiator_send),
        c_array("hv_initiator_recv", t.initiator_recv),
        "",
        "#endif /* WG_SELFTEST_HANDSHAKE_VECTOR_H */",
    ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
