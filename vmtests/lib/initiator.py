#!/usr/bin/env python3
"""Guest side of vmtests/wireguard/test_vectors.py: play the initiator of the
known-answer handshake (module/selftest/handshake_vector.h) against a WireGuard
responder listening on 127.0.0.1:51820, then send a ping through the tunnel and
decrypt the reply.

The guest has python3-minimal only (no hmac, json, dataclasses or cryptography), so the
primitives are written here from the RFCs: X25519 (RFC 7748 section 5),
ChaCha20 and Poly1305 (RFC 8439 sections 2.3-2.8), HMAC (RFC 2104).

Usage: initiator.py VECTOR_FILE   (lines "name hex", vmtests/lib/handshake_vector.py writes it)
Exit status 0 and "INTEROP OK" when the whole exchange authenticated.
"""

import hashlib
import socket
import struct
import sys

M32 = 0xFFFFFFFF
P25519 = 2**255 - 19
SIGMA = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)   # "expand 32-byte k"
RESPONDER = ("127.0.0.1", 51820)
LOCAL = ("127.0.0.1", 40000)
INNER_LOCAL = "10.9.0.1"
INNER_PEER = "10.9.0.2"


def x25519(scalar: bytes, u_bytes: bytes) -> bytes:
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    n = int.from_bytes(k, "little")
    x1 = int.from_bytes(u_bytes, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in range(254, -1, -1):
        bit = (n >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a = (x2 + z2) % P25519
        aa = a * a % P25519
        b = (x2 - z2) % P25519
        bb = b * b % P25519
        e = (aa - bb) % P25519
        c = (x3 + z3) % P25519
        d = (x3 - z3) % P25519
        da = d * a % P25519
        cb = c * b % P25519
        x3 = (da + cb) ** 2 % P25519
        z3 = x1 * (da - cb) ** 2 % P25519
        x2 = aa * bb % P25519
        z2 = e * (aa + 121665 * e) % P25519
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P25519 - 2, P25519) % P25519).to_bytes(32, "little")


def public_key(private: bytes) -> bytes:
    return x25519(private, (9).to_bytes(32, "little"))


def _rotl(v: int, c: int) -> int:
    return ((v << c) & M32) | (v >> (32 - c))


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & M32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & M32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & M32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & M32
    s[b] = _rotl(s[b] ^ s[c], 7)


def chacha_rounds(w: list[int]) -> None:
    """The 20 rounds (10 column + diagonal double rounds) on the state ``w``, in place."""
    for _ in range(10):
        _quarter(w, 0, 4, 8, 12)
        _quarter(w, 1, 5, 9, 13)
        _quarter(w, 2, 6, 10, 14)
        _quarter(w, 3, 7, 11, 15)
        _quarter(w, 0, 5, 10, 15)
        _quarter(w, 1, 6, 11, 12)
        _quarter(w, 2, 7, 8, 13)
        _quarter(w, 3, 4, 9, 14)


def chacha_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    state = [*SIGMA, *struct.unpack("<8I", key), counter, *struct.unpack("<3I", nonce)]
    w = state[:]
    chacha_rounds(w)
    return struct.pack("<16I", *((w[i] + state[i]) & M32 for i in range(16)))


def chacha20(key: bytes, counter: int, nonce: bytes, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 64):
        stream = chacha_block(key, counter + i // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[i:i + 64], stream))
    return bytes(out)


def poly1305(one_time_key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(one_time_key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(one_time_key[16:], "little")
    acc, p = 0, (1 << 130) - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")


def _pad16(b: bytes) -> bytes:
    return bytes(-len(b) % 16)


def _nonce(counter: int) -> bytes:
    return bytes(4) + struct.pack("<Q", counter)


def _tag(key: bytes, nonce: bytes, ad: bytes, ct: bytes) -> bytes:
    otk = chacha_block(key, 0, nonce)[:32]
    return poly1305(otk, ad + _pad16(ad) + ct + _pad16(ct) + struct.pack("<QQ", len(ad), len(ct)))


def aead_seal(key: bytes, counter: int, plaintext: bytes, ad: bytes) -> bytes:
    ct = chacha20(key, 1, _nonce(counter), plaintext)
    return ct + _tag(key, _nonce(counter), ad, ct)


class Forged(Exception):
    """An AEAD tag or MAC did not verify."""


def aead_open(key: bytes, counter: int, sealed: bytes, ad: bytes) -> bytes:
    ct, tag = sealed[:-16], sealed[-16:]
    if _tag(key, _nonce(counter), ad, ct) != tag:
        raise Forged("AEAD tag mismatch")
    return chacha20(key, 1, _nonce(counter), ct)


def hmac_blake2s(key: bytes, data: bytes) -> bytes:
    if len(key) > 64:
        key = hashlib.blake2s(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.blake2s(bytes(b ^ 0x36 for b in key) + data).digest()
    return hashlib.blake2s(bytes(b ^ 0x5C for b in key) + inner).digest()


def blake2s_hash(*parts: bytes) -> bytes:
    h = hashlib.blake2s(digest_size=32)
    for part in parts:
        h.update(part)
    return h.digest()


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


def _checksum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_request() -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"wgcompat-interop"
    icmp = icmp[:2] + struct.pack("!H", _checksum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                     socket.inet_aton(INNER_LOCAL), socket.inet_aton(INNER_PEER))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + icmp


class Vector:
    """The vector's fields (a plain class: the guest has no dataclasses)."""

    FIELDS = ("initiator_static", "initiator_ephemeral", "responder_public", "psk", "timestamp",
              "initiation")

    def __init__(self, fields: dict[str, bytes]) -> None:
        missing = [name for name in self.FIELDS if name not in fields]
        if missing:
            raise SystemExit(f"vector file lacks {', '.join(missing)}; write it with handshake_vector.initiator_file")
        self.initiator_static = fields["initiator_static"]
        self.initiator_ephemeral = fields["initiator_ephemeral"]
        self.responder_public = fields["responder_public"]
        self.psk = fields["psk"]
        self.timestamp = fields["timestamp"]
        self.initiation = fields["initiation"]

    @classmethod
    def load(cls, path: str) -> "Vector":
        with open(path, encoding="ascii") as f:
            return cls({name: bytes.fromhex(value) for name, value in (line.split() for line in f)})


def main(argv: list[str]) -> int:
    v = Vector.load(argv[1])
    s_i_pub = public_key(v.initiator_static)
    e_i_pub = public_key(v.initiator_ephemeral)
    init = v.initiation

    # Replay the initiator's side of message 1 and check it is the vector.
    ck = blake2s_hash(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
    h = blake2s_hash(blake2s_hash(ck, b"WireGuard v1 zx2c4 Jason@zx2c4.com"), v.responder_public)
    assert init[8:40] == e_i_pub, "the vector's ephemeral is not E_i"
    (ck,) = kdf(1, ck, e_i_pub)
    h = blake2s_hash(h, e_i_pub)
    ck, key = kdf(2, ck, x25519(v.initiator_ephemeral, v.responder_public))
    assert aead_seal(key, 0, s_i_pub, h) == init[40:88], "sealed static differs"
    h = blake2s_hash(h, init[40:88])
    ck, key = kdf(2, ck, x25519(v.initiator_static, v.responder_public))
    assert aead_open(key, 0, init[88:116], h) == v.timestamp, "sealed timestamp differs"
    h = blake2s_hash(h, init[88:116])

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(LOCAL)
    sock.settimeout(10)
    sock.sendto(init, RESPONDER)
    resp, _ = sock.recvfrom(2048)
    print(f"response: {len(resp)} bytes, type {resp[0]}")
    if len(resp) != 92 or resp[:4] != b"\x02\0\0\0" or resp[8:12] != init[4:8]:
        print("FAIL: not a response to our initiation")
        return 1
    if mac16(blake2s_hash(b"mac1----", s_i_pub), resp[:60]) != resp[60:76]:
        print("FAIL: mac1 of the response")
        return 1

    # Message 2 as the initiator consumes it: e, ee, se, psk, {}.
    e_r_pub = resp[12:44]
    (ck,) = kdf(1, ck, e_r_pub)
    h = blake2s_hash(h, e_r_pub)
    (ck,) = kdf(1, ck, x25519(v.initiator_ephemeral, e_r_pub))
    (ck,) = kdf(1, ck, x25519(v.initiator_static, e_r_pub))
    ck, tau, key = kdf(3, ck, v.psk)
    h = blake2s_hash(h, tau)
    try:
        aead_open(key, 0, resp[44:60], h)
    except Forged:
        print("FAIL: the response does not authenticate (its empty AEAD fails under our keys and psk)")
        return 1
    print("response authenticated")

    send_key, recv_key = kdf(2, ck, b"")
    packet = echo_request()
    packet += bytes(-len(packet) % 16)
    sock.sendto(struct.pack("<I4sQ", 4, resp[4:8], 0) + aead_seal(send_key, 0, packet, b""), RESPONDER)
    while True:
        msg, _ = sock.recvfrom(2048)
        if msg[0] != 4 or msg[4:8] != init[4:8]:
            print(f"skipping a message of type {msg[0]}")
            continue
        counter = struct.unpack("<Q", msg[8:16])[0]
        plain = aead_open(recv_key, counter, msg[16:], b"")
        if not plain:
            print("keepalive")
            continue
        src = socket.inet_ntoa(plain[12:16])
        print(f"decrypted: {src} -> {socket.inet_ntoa(plain[16:20])}, proto {plain[9]}, icmp type {plain[20]}")
        if plain[9] == 1 and plain[20] == 0 and src == INNER_PEER:
            print("INTEROP OK")
            return 0
        print("FAIL: not the echo reply")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
