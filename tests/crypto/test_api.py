"""Behaviour of the wgc_* API that the module relies on, beyond the vectors:
refusal of low-order points, key clamping and generation, short inputs, and
misuse that the kernel would WARN about."""

from __future__ import annotations

import ctypes

import pytest
from nacl import bindings as sodium

P = 2**255 - 19

# u-coordinates of the points of order 1, 2, 4 and 8 on Curve25519 (and on its
# twist, u = p - 1): X25519 with any scalar gives 0 for them.
LOW_ORDER_U = [
    0,
    1,
    int.from_bytes(bytes.fromhex(
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), "little"),
    int.from_bytes(bytes.fromhex(
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), "little"),
    P - 1,
]


def _encodings(u: int) -> list[bytes]:
    """u, u + p when it fits in 255 bits, each also with the ignored bit 255 set."""
    values = [u] + ([u + P] if u + P < 2**255 else [])
    out = []
    for v in values:
        out.append(v.to_bytes(32, "little"))
        out.append((v | 1 << 255).to_bytes(32, "little"))
    return out


LOW_ORDER_ENCODINGS = [e for u in LOW_ORDER_U for e in _encodings(u)]

SECRETS = [bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
           bytes(range(32)), b"\xff" * 32]


@pytest.mark.parametrize("u", LOW_ORDER_ENCODINGS, ids=lambda b: b.hex()[:8] + ".." + b.hex()[-4:])
def test_low_order_points_give_a_refused_all_zero_secret(wgc, u):
    for secret in SECRETS:
        assert wgc.curve25519(secret, u) == (False, bytes(32))
        with pytest.raises(Exception):  # libsodium agrees that it is all zero
            sodium.crypto_scalarmult(secret, u)


def test_all_zero_secret_has_no_public_key(wgc):
    assert wgc.generate_public(bytes(32)) == (False, bytes(32))


def test_secret_is_clamped_as_rfc7748_says(wgc):
    s = bytes(range(0xE0, 0x100))
    c = wgc.clamp(s)
    assert c[0] == s[0] & 248
    assert c[31] == (s[31] & 127) | 64
    assert c[1:31] == s[1:31]
    # X25519 clamps internally: the clamped and unclamped secrets agree
    u = (9).to_bytes(32, "little")
    assert wgc.curve25519(s, u) == wgc.curve25519(c, u)


def test_generated_secrets_are_clamped_and_distinct(wgc):
    secrets = {wgc.generate_secret() for _ in range(16)}
    assert len(secrets) == 16
    for s in secrets:
        assert s[0] & 7 == 0 and s[31] & 128 == 0 and s[31] & 64
        ok, pub = wgc.generate_public(s)
        assert ok and pub == sodium.crypto_scalarmult_base(s)


@pytest.mark.parametrize("n", range(16))
def test_decrypt_refuses_input_shorter_than_the_tag(wgc, n):
    key = bytes(32)
    assert not wgc.decrypt(bytes(n), b"", 0, key)[0]
    assert not wgc.xdecrypt(bytes(n), b"", bytes(24), key)[0]


def test_empty_plaintext_is_a_bare_tag(wgc):
    # A WireGuard keepalive: 0 bytes of payload, 16 bytes of tag.
    key = bytes(range(32))
    ct = wgc.encrypt(b"", b"", 0, key)
    assert len(ct) == 16
    assert wgc.decrypt(ct, b"", 0, key) == (True, b"")
    assert not wgc.decrypt(ct, b"", 1, key)[0]


@pytest.mark.parametrize("outlen,keylen,warns", [
    (0, 0, True), (33, 0, True), (32, 33, True), (1, 0, False), (32, 32, False),
])
def test_blake2s_parameters_out_of_range_warn(wgc, outlen, keylen, warns):
    before = wgc.warnings
    state = ctypes.create_string_buffer(wgc.blake2s_state_size)
    wgc.lib.wgc_blake2s_init_key(state, outlen, b"k" * keylen or None, keylen)
    assert wgc.warnings == before + (1 if warns else 0)


@pytest.mark.parametrize("n", [0, 1, 16, 65, 1420])
def test_aead_in_place_matches_out_of_place(wgc, n):
    key, ad, counter = bytes(range(32)), b"header", 0x1122334455667788
    pt = bytes((i * 13 + 5) & 0xFF for i in range(n))
    buf = ctypes.create_string_buffer(pt, n + 16)
    wgc.lib.wgc_chacha20poly1305_encrypt(buf, buf, n, ad, len(ad), counter, key)
    assert buf.raw == wgc.encrypt(pt, ad, counter, key)
    assert wgc.lib.wgc_chacha20poly1305_decrypt(buf, buf, n + 16, ad, len(ad), counter, key)
    assert buf.raw[:n] == pt
