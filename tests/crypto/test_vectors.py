"""Published test vectors, run against the bundled crypto.

Sources: RFC 8439 (ChaCha20, Poly1305, AEAD), draft-irtf-cfrg-xchacha-03,
RFC 7748 (X25519) and RFC 7693 (BLAKE2s). Long values come from the RFCs as
reformatted in the cryptography-vectors package (ciphers/ChaCha20/rfc7539.txt,
poly1305/rfc7539.txt, ciphers/ChaCha20Poly1305/openssl.txt).
"""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

h = bytes.fromhex

SUNSCREEN = (b"Ladies and Gentlemen of the class of '99: If I could offer you only "
             b"one tip for the future, sunscreen would be it.")

# --- ChaCha20, RFC 8439 A.2 (key, nonce, counter, plaintext, ciphertext)
IETF_SUBMISSION = h(
    "416e79207375626d697373696f6e20746f20746865204945544620696e74656e6465642062792074"
    "686520436f6e7472696275746f7220666f72207075626c69636174696f6e20617320616c6c206f72"
    "2070617274206f6620616e204945544620496e7465726e65742d4472616674206f72205246432061"
    "6e6420616e792073746174656d656e74206d6164652077697468696e2074686520636f6e74657874"
    "206f6620616e204945544620616374697669747920697320636f6e7369646572656420616e202249"
    "45544620436f6e747269627574696f6e222e20537563682073746174656d656e747320696e636c75"
    "6465206f72616c2073746174656d656e747320696e20494554462073657373696f6e732c20617320"
    "77656c6c206173207772697474656e20616e6420656c656374726f6e696320636f6d6d756e696361"
    "74696f6e73206d61646520617420616e792074696d65206f7220706c6163652c2077686963682061"
    "72652061646472657373656420746f")
JABBERWOCKY = h(
    "2754776173206272696c6c69672c20616e642074686520736c6974687920746f7665730a44696420"
    "6779726520616e642067696d626c6520696e2074686520776162653a0a416c6c206d696d73792077"
    "6572652074686520626f726f676f7665732c0a416e6420746865206d6f6d65207261746873206f75"
    "7467726162652e")
KEY_1C92 = h("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")

CHACHA20_A2 = [
    (bytes(32), bytes(12), 0, bytes(64), h(
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586")),
    (bytes(31) + b"\x01", h("000000000000000000000002"), 1, IETF_SUBMISSION, h(
        "a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec2a97948bd3722915"
        "c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d4042e02785ececfa4b4bb5e8ead0440e"
        "20b6e8db09d881a7c6132f420e52795042bdfa7773d8a9051447b3291ce1411c680465552aa6c405"
        "b7764d5e87bea85ad00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259d"
        "c4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b0871cdac638939e2"
        "5e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6ccc3aaf9f3979c92b3720fc88dc95ed84"
        "a1be059c6499b9fda236e7e818b04b0bc39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80"
        "ef2554d7189c411f5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6"
        "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab7ac61dd29c6f21ba"
        "5b862f3730e37cfdc4fd806c22f221")),
    (KEY_1C92, h("000000000000000000000002"), 42, JABBERWOCKY, h(
        "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf166d3df2d721caf9"
        "b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553ebf39c6402c42234e32a356b3e764312a6"
        "1a5532055716ead6962568f87d3f3f7704c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36"
        "757a797ac188d1")),
]


@pytest.mark.parametrize("key,nonce,counter,pt,ct", CHACHA20_A2, ids=["A2.1", "A2.2", "A2.3"])
def test_chacha20_rfc8439_a2(wgc, key, nonce, counter, pt, ct):
    assert wgc.chacha20(pt, key, nonce, counter) == ct
    assert wgc.chacha20(ct, key, nonce, counter) == pt


def test_chacha20_rfc8439_2_4_2_sunscreen(wgc):
    key = bytes(range(32))
    nonce = h("000000000000004a00000000")
    ct = wgc.chacha20(SUNSCREEN, key, nonce, 1)
    assert ct[:16] == h("6e2e359a2568f98041ba0728dd0d6981")
    ref = Cipher(algorithms.ChaCha20(key, struct.pack("<I", 1) + nonce), None).encryptor()
    assert ct == ref.update(SUNSCREEN)


# --- Poly1305, RFC 8439 section 2.5.2 and A.3
POLY1305 = [
    (h("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"),
     b"Cryptographic Forum Research Group", h("a8061dc1305136c6c22b8baf0c0127a9")),
    (bytes(32), bytes(64), bytes(16)),
    (bytes(16) + h("36e5f6b5c5e06070f0efca96227a863e"), IETF_SUBMISSION,
     h("36e5f6b5c5e06070f0efca96227a863e")),
    (h("36e5f6b5c5e06070f0efca96227a863e") + bytes(16), IETF_SUBMISSION,
     h("f3477e7cd95417af89a6b8794c310cf0")),
    (KEY_1C92, JABBERWOCKY, h("4541669a7eaaee61e708dc7cbcc5eb62")),
    (h("02") + bytes(31), b"\xff" * 16, h("03") + bytes(15)),
    (h("02") + bytes(15) + b"\xff" * 16, h("02") + bytes(15), h("03") + bytes(15)),
    (h("01") + bytes(31), b"\xff" * 16 + h("f0") + b"\xff" * 15 + h("11") + bytes(15),
     h("05") + bytes(15)),
    (h("01") + bytes(31), b"\xff" * 16 + h("fb") + b"\xfe" * 15 + b"\x01" * 16, bytes(16)),
    (h("02") + bytes(31), h("fd") + b"\xff" * 15, h("fa") + b"\xff" * 15),
    (h("0100000000000000040000000000000000000000000000000000000000000000"),
     h("e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
       "0000000000000000000000000000000001000000000000000000000000000000"),
     h("14000000000000005500000000000000")),
    (h("0100000000000000040000000000000000000000000000000000000000000000"),
     h("e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
       "00000000000000000000000000000000"),
     h("13000000000000000000000000000000")),
]


@pytest.mark.parametrize("key,msg,tag", POLY1305, ids=[f"v{i}" for i in range(len(POLY1305))])
def test_poly1305_rfc8439(wgc, key, msg, tag):
    assert wgc.poly1305(msg, key) == tag
    assert wgc.poly1305(msg, key, splits=[1, 15, 17, 3]) == tag


# --- AEAD, RFC 8439 A.5: its nonce 00000000 0102030405060708 is WireGuard's format
A5_PT = (b"Internet-Drafts are draft documents valid for a maximum of six months and may "
         b"be updated, replaced, or obsoleted by other documents at any time. It is "
         b"inappropriate to use Internet-Drafts as reference material or to cite them "
         b"other than as /\xe2\x80\x9cwork in progress./\xe2\x80\x9d")
A5_AD = h("f33388860000000000004e91")
A5_NONCE = 0x0807060504030201
A5_CT = h(
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43ee"
    "a09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b9481"
    "14ad176e008d33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0"
    "f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
    "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa7699"
    "1955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130"
    "305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b")
A5_TAG = h("eead9d67890cbb22392336fea1851f38")


def test_aead_rfc8439_a5_through_u64_nonce(wgc):
    assert len(A5_PT) == 265
    assert wgc.encrypt(A5_PT, A5_AD, A5_NONCE, KEY_1C92) == A5_CT + A5_TAG
    assert wgc.decrypt(A5_CT + A5_TAG, A5_AD, A5_NONCE, KEY_1C92) == (True, A5_PT)


def test_aead_rfc8439_a5_wrong_tag_is_rejected(wgc):
    bad = A5_TAG[:-1] + bytes([A5_TAG[-1] ^ 1])
    ok, out = wgc.decrypt(A5_CT + bad, A5_AD, A5_NONCE, KEY_1C92)
    assert not ok
    assert out == bytes(len(A5_PT)), "a rejected plaintext must be wiped"


def test_aead_rfc8439_2_8_2_through_96bit_nonce(wgc):
    key = bytes(range(0x80, 0xA0))
    nonce = h("070000004041424344454647")
    ad = h("50515253c0c1c2c3c4c5c6c7")
    out = wgc.encrypt_n96(SUNSCREEN, ad, nonce, key)
    assert out[:16] == h("d31a8d34648e60db7b86afbc53ef7ec2")
    assert out[-16:] == h("1ae10b594f09e26a7e902ecbd0600691")
    assert wgc.decrypt_n96(out, ad, nonce, key) == SUNSCREEN


# --- XChaCha20, draft-irtf-cfrg-xchacha-03
def test_hchacha20_draft_2_2_1(wgc):
    out = wgc.hchacha20(bytes(range(32)), h("000000090000004a0000000031415927"))
    assert out == h("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")


def test_xchacha20poly1305_draft_a_3_1(wgc):
    key = bytes(range(0x80, 0xA0))
    nonce = bytes(range(0x40, 0x58))
    ad = h("50515253c0c1c2c3c4c5c6c7")
    out = wgc.xencrypt(SUNSCREEN, ad, nonce, key)
    assert out[:16] == h("bd6d179d3e83d43b9576579493c0e939")
    assert out[-16:] == h("c0875924c1c7987947deafd8780acf49")
    assert wgc.xdecrypt(out, ad, nonce, key) == (True, SUNSCREEN)


# --- X25519, RFC 7748
@pytest.mark.parametrize("scalar,u,out", [
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
], ids=["5.2-1", "5.2-2"])
def test_x25519_rfc7748_5_2(wgc, scalar, u, out):
    assert wgc.curve25519(h(scalar), h(u)) == (True, h(out))


def test_x25519_rfc7748_5_2_iterated(wgc):
    k = u = (9).to_bytes(32, "little")
    for i in range(1, 1001):
        ok, r = wgc.curve25519(k, u)
        assert ok
        k, u = r, k
        if i == 1:
            assert k == h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    assert k == h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")


def test_x25519_rfc7748_6_1_diffie_hellman(wgc):
    a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    b = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    a_pub = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    b_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert wgc.generate_public(a) == (True, a_pub)
    assert wgc.generate_public(b) == (True, b_pub)
    assert wgc.curve25519(a, b_pub) == (True, shared)
    assert wgc.curve25519(b, a_pub) == (True, shared)


# --- BLAKE2s, RFC 7693
def test_blake2s_rfc7693_appendix_b(wgc):
    assert wgc.blake2s(b"abc") == h(
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")


@pytest.mark.parametrize("msg,md", [
    (b"", "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"),
    (b"a", "4a0d129873403037c2cd9b9048203687f6233fb6738956e0349bd4320fec3e90"),
    (b"message digest", "fa10ab775acf89b7d3c8a6e823d586f6b67bdbac4ce207fe145b7d3ac25cd28c"),
    (b"abcdefghijklmnopqrstuvwxyz",
     "bdf88eb1f86a0cdf0e840ba88fa118508369df186c7355b4b16cf79fa2710a12"),
], ids=["empty", "a", "message-digest", "alphabet"])
def test_blake2s_known_answers(wgc, msg, md):
    assert wgc.blake2s(msg) == h(md)


def _selftest_seq(length: int, seed: int) -> bytes:
    """RFC 7693 Appendix E input generator."""
    a = (0xDEAD4BAD * seed) & 0xFFFFFFFF
    b = 1
    out = bytearray()
    for _ in range(length):
        t = (a + b) & 0xFFFFFFFF
        a, b = b, t
        out.append(t >> 24)
    return bytes(out)


def test_blake2s_rfc7693_appendix_e_grand_hash(wgc):
    pieces = []
    for outlen in (16, 20, 28, 32):
        for inlen in (0, 3, 64, 65, 255, 1024):
            data = _selftest_seq(inlen, inlen)
            pieces.append(wgc.blake2s(data, outlen))
            key = _selftest_seq(outlen, outlen)
            pieces.append(wgc.blake2s(data, outlen, key))
    grand = wgc.blake2s_stream(pieces, 32)
    assert grand == h("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe")

