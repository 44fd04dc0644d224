"""Differential tests: the bundled crypto against independent implementations.

References: `cryptography` (OpenSSL) for ChaCha20-Poly1305, Poly1305 and X25519, pynacl
(libsodium) for XChaCha20-Poly1305 and X25519, hashlib for BLAKE2s. Inputs are
random with a fixed seed, with lengths around every block boundary (0, 1, 15,
16, 17, 63, 64, 65, ...) and a large one (65537), and every tampered
ciphertext, tag or associated data must be rejected.
"""

from __future__ import annotations

import hashlib
import random
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.poly1305 import Poly1305
from nacl import bindings as sodium

# block, 4/8/16-block group (vector code) and 4 KiB chunk boundaries
EDGE_LENGTHS = [0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257,
                511, 512, 513, 1023, 1024, 1025, 1420, 4095, 4096, 4097, 8191, 8193,
                65536 + 1]


def _rng(name: str) -> random.Random:
    return random.Random(f"wgcompat-crypto-{name}")


def _lengths(rng: random.Random, count: int, limit: int = 2048) -> list[int]:
    return EDGE_LENGTHS + [rng.randrange(limit) for _ in range(count - len(EDGE_LENGTHS))]


def _tamper(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]


def _wg_nonce(counter: int) -> bytes:
    return bytes(4) + struct.pack("<Q", counter)


def test_chacha20poly1305_matches_cryptography(wgc):
    rng = _rng("aead")
    for n in _lengths(rng, 1500):
        key = rng.randbytes(32)
        pt = rng.randbytes(n)
        ad = rng.randbytes(rng.choice([0, 0, 1, 13, 16, 32, rng.randrange(300)]))
        counter = rng.getrandbits(64)
        ref = ChaCha20Poly1305(key).encrypt(_wg_nonce(counter), pt, ad)
        ct = wgc.encrypt(pt, ad, counter, key)
        assert ct == ref, f"len {n} ad {len(ad)}"
        assert wgc.decrypt(ct, ad, counter, key) == (True, pt)


def test_chacha20poly1305_rejects_tampering(wgc):
    rng = _rng("aead-tamper")
    for n in _lengths(rng, 600, limit=600):
        key = rng.randbytes(32)
        pt = rng.randbytes(n)
        ad = rng.randbytes(rng.randrange(1, 40))
        counter = rng.getrandbits(64)
        ct = wgc.encrypt(pt, ad, counter, key)
        bad_ct = _tamper(rng, ct)                # payload or tag
        assert wgc.decrypt(bad_ct, ad, counter, key) == (False, bytes(n))
        bad_ad = _tamper(rng, ad)
        assert wgc.decrypt(ct, bad_ad, counter, key) == (False, bytes(n))
        assert not wgc.decrypt(ct, ad, counter ^ 1, key)[0]
        assert not wgc.decrypt(ct, ad, counter, _tamper(rng, key))[0]
        assert not wgc.decrypt(ct[:-1], ad, counter, key)[0]


def test_chacha20poly1305_decrypts_cryptography_output(wgc):
    rng = _rng("aead-dec")
    for n in _lengths(rng, 300):
        key, pt, ad = rng.randbytes(32), rng.randbytes(n), rng.randbytes(rng.randrange(64))
        counter = rng.getrandbits(64)
        ct = ChaCha20Poly1305(key).encrypt(_wg_nonce(counter), pt, ad)
        assert wgc.decrypt(ct, ad, counter, key) == (True, pt)


def test_aead_core_fed_in_pieces_matches_one_shot(wgc):
    """The scatterlist path feeds the AEAD core in arbitrary pieces."""
    rng = _rng("aead-split")
    for n in _lengths(rng, 400, limit=3000):
        key, pt, ad = rng.randbytes(32), rng.randbytes(n), rng.randbytes(rng.randrange(50))
        counter = rng.getrandbits(64)
        splits = [rng.choice([1, 3, 15, 16, 17, 63, 64, 65, 100, 1500])
                  for _ in range(rng.randrange(1, 6))]
        whole = wgc.encrypt(pt, ad, counter, key)
        assert wgc.aead_split(True, pt, ad, counter, key, splits) == (True, whole)
        assert wgc.aead_split(False, whole, ad, counter, key, splits) == (True, pt)
        assert not wgc.aead_split(False, _tamper(rng, whole), ad, counter, key, splits)[0]


def test_chacha20_stream_in_pieces_matches_one_shot(wgc):
    rng = _rng("chacha-split")
    for n in _lengths(rng, 200, limit=1000):
        key, nonce, data = rng.randbytes(32), rng.randbytes(12), rng.randbytes(n)
        counter = rng.getrandbits(32) & 0xFFFF
        splits = [rng.randrange(1, 130) for _ in range(rng.randrange(1, 5))]
        assert wgc.chacha20(data, key, nonce, counter, splits) == \
            wgc.chacha20(data, key, nonce, counter)


def test_xchacha20poly1305_matches_libsodium(wgc):
    rng = _rng("xaead")
    for n in _lengths(rng, 1000):
        key, nonce, pt = rng.randbytes(32), rng.randbytes(24), rng.randbytes(n)
        ad = rng.randbytes(rng.choice([0, 16, rng.randrange(100)]))
        ref = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, ad, nonce, key)
        ct = wgc.xencrypt(pt, ad, nonce, key)
        assert ct == ref, f"len {n}"
        assert wgc.xdecrypt(ct, ad, nonce, key) == (True, pt)
        assert wgc.xdecrypt(_tamper(rng, ct), ad, nonce, key) == (False, bytes(n))
        if ad:
            assert not wgc.xdecrypt(ct, _tamper(rng, ad), nonce, key)[0]
        assert not wgc.xdecrypt(ct, ad, _tamper(rng, nonce), key)[0]


def test_x25519_matches_cryptography_and_libsodium(wgc):
    rng = _rng("x25519")
    count = 300 if wgc.variant.startswith("int128") else 100
    for _ in range(count):
        secret = rng.randbytes(32)
        peer_secret = rng.randbytes(32)
        peer = X25519PrivateKey.from_private_bytes(peer_secret).public_key().public_bytes_raw()
        ref = X25519PrivateKey.from_private_bytes(secret).exchange(
            X25519PublicKey.from_public_bytes(peer))
        assert wgc.curve25519(secret, peer) == (True, ref)
        assert wgc.generate_public(peer_secret) == (True, peer)


def test_x25519_arbitrary_u_coordinates_match_libsodium(wgc):
    """Random 32-byte u values: points on the twist, bit 255 set, u >= p."""
    rng = _rng("x25519-u")
    p = 2**255 - 19
    us = [rng.randbytes(32) for _ in range(150)]
    us += [(p + i).to_bytes(32, "little") for i in (2, 3, 9, 100)]
    us += [(2**256 - 1 - i).to_bytes(32, "little") for i in range(4)]
    for u in us:
        secret = rng.randbytes(32)
        try:
            ref = sodium.crypto_scalarmult(secret, u)
        except Exception:  # libsodium refuses an all-zero result
            ref = bytes(32)
        ok, out = wgc.curve25519(secret, u)
        assert out == ref, u.hex()
        assert ok == (ref != bytes(32))


def test_blake2s_matches_hashlib(wgc):
    rng = _rng("blake2s")
    for n in _lengths(rng, 2000, limit=1500):
        data = rng.randbytes(n)
        outlen = rng.choice([32, 32, 16, rng.randrange(1, 33)])
        key = rng.randbytes(rng.choice([0, 0, 16, 32, rng.randrange(1, 33)]))
        ref = hashlib.blake2s(data, digest_size=outlen, key=key).digest()
        assert wgc.blake2s(data, outlen, key) == ref, f"len {n} out {outlen} key {len(key)}"


def test_blake2s_incremental_matches_hashlib(wgc):
    rng = _rng("blake2s-inc")
    for n in _lengths(rng, 300, limit=700):
        data = rng.randbytes(n)
        key = rng.randbytes(rng.choice([0, 32, rng.randrange(1, 33)]))
        outlen = rng.randrange(1, 33)
        pieces, i = [], 0
        while i < n:
            step = rng.choice([0, 1, 63, 64, 65, rng.randrange(1, 200)])
            pieces.append(data[i:i + step])
            i += step
        ref = hashlib.blake2s(data, digest_size=outlen, key=key).digest()
        assert wgc.blake2s_stream(pieces, outlen, key) == ref


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 64, 1420, 65537])
def test_poly1305_matches_cryptography(wgc, n):
    rng = _rng(f"poly-{n}")
    for _ in range(20):
        key, msg = rng.randbytes(32), rng.randbytes(n)
        ref = Poly1305.generate_tag(key, msg)
        assert wgc.poly1305(msg, key) == ref
        assert wgc.poly1305(msg, key, splits=[rng.randrange(1, 40)]) == ref


def test_the_forced_chacha20_is_the_one_running(wgc):
    """The fixture's implementation is in force, so each variant tests what it names."""
    assert wgc.chacha20_impl == wgc.variant.rsplit("-", 1)[1]


def test_chacha20_every_length_matches_cryptography(wgc):
    """Every length up to 2 KiB and past the 16-block group: each tail the vector code has."""
    rng = _rng("chacha-every-length")
    key, nonce, data = rng.randbytes(32), rng.randbytes(12), rng.randbytes(2200)
    for n in range(2200):
        counter = n & 0xFF
        ref = Cipher(algorithms.ChaCha20(key, struct.pack("<I", counter) + nonce),
                     mode=None).encryptor().update(data[:n])
        assert wgc.chacha20(data[:n], key, nonce, counter) == ref, f"len {n}"


def test_chacha20poly1305_every_length_matches_cryptography(wgc):
    rng = _rng("aead-every-length")
    key, pt, ad = rng.randbytes(32), rng.randbytes(1200), rng.randbytes(13)
    aead = ChaCha20Poly1305(key)
    for n in range(1200):
        ref = aead.encrypt(_wg_nonce(n), pt[:n], ad)
        assert wgc.encrypt(pt[:n], ad, n, key) == ref, f"len {n}"
        assert wgc.decrypt(ref, ad, n, key) == (True, pt[:n])


def test_chacha20_counter_wraps_as_the_portable_code_does(wgc):
    """RFC 8439's block counter is 32 bits: a vector group that crosses 2^32 wraps it
    within the group, as the portable code does (WireGuard messages never get there)."""
    rng = _rng("chacha-wrap")
    key, nonce, data = rng.randbytes(32), rng.randbytes(12), rng.randbytes(3000)
    ours = {c: wgc.chacha20(data, key, nonce, c) for c in (2**32 - 1, 2**32 - 5, 2**32 - 20)}
    impl = wgc.chacha20_impl
    try:
        assert wgc.force("portable")
        for c, got in ours.items():
            assert got == wgc.chacha20(data, key, nonce, c), f"counter {c:#x}"
    finally:
        assert wgc.force(impl)


@pytest.mark.parametrize("fill", [0xFF, 0xFE, 0x00])
def test_poly1305_extreme_limbs_match_cryptography(wgc, fill):
    """The largest r clamping allows and messages of all-ones (or all-zero) blocks keep every
    limb of the accumulator at its bound: the carries of the partial reduction."""
    key_r = bytes.fromhex("ffffff0ffcffff0ffcffff0ffcffff0f")  # clamps to itself
    for s in (b"\xff" * 16, bytes(16)):
        for n in (16, 17, 32, 48, 256, 1420, 4096):
            msg = bytes([fill]) * n
            assert wgc.poly1305(msg, key_r + s) == Poly1305.generate_tag(key_r + s, msg), n
