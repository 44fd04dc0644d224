"""Fixtures for the bundled crypto tests.

The session fixture `wgc` compiles module/crypto/*.c with the userspace shim
(tests/crypto/shim) into a shared library under pytest's tmp_path_factory and
wraps it with ctypes. It is parametrised over the arithmetic back ends, "int128"
(what 64-bit kernels build) and "radix26" (WGC_CRYPTO_NO_INT128, what 32-bit
kernels build), and over the ChaCha20 implementations (module/crypto/simd.h):
each forced in turn with wgc_simd_force(), skipped when this CPU lacks it. Every
test runs against each combination a kernel builds, and against the same
sources built for s390x (big-endian) and arm64 (its portable and its NEON
ChaCha20), run under qemu-user through tests/crypto/remote.py.
"""

from __future__ import annotations

import ctypes
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crypto.remote import RemoteLibrary, build_driver
from wgcompat import arch
from wgcompat.bench.crypto import BuildRequest, build_shared_library
from wgcompat.errors import UserError

TAG = 16

_c = ctypes
_u8p = _c.c_char_p
_size = _c.c_size_t


@dataclass(frozen=True)
class Variant:
    name: str
    defines: tuple[str, ...]
    chacha20: str  # the ChaCha20 implementation forced (simd.h names)
    arch: str = ""  # "": the host's library; else wgcompat.arch's name, run under qemu-user


CHACHA20_IMPLS = ("portable", "ssse3", "avx2", "avx512", "neon")  # simd.h's order
# the host's own: portable and its architecture's (by `uname -m`)
HOST_IMPLS = {"x86_64": CHACHA20_IMPLS[:4], "aarch64": ("portable", "neon")}.get(
    os.uname().machine, ("portable",))

VARIANTS = (
    *(Variant(f"int128-{impl}", (), impl) for impl in HOST_IMPLS),
    # 32-bit kernels: no int128, and no x86_64 vector files
    Variant("radix26-portable", ("WGC_CRYPTO_NO_INT128",), "portable"),
    # big-endian (every load and store of the wire's little-endian words) and arm64
    Variant("s390x-int128-portable", (), "portable", "s390x"),
    Variant("s390x-radix26-portable", ("WGC_CRYPTO_NO_INT128",), "portable", "s390x"),
    Variant("arm64-int128-portable", (), "portable", "arm64"),
    Variant("arm64-int128-neon", (), "neon", "arm64"),
)


class WgcCrypto:
    """Python view of the wgc_* API (and the shim's test exports)."""

    def __init__(self, lib: ctypes.CDLL, variant: str) -> None:
        self.lib = lib
        self.variant = variant
        lib.wgc_curve25519.restype = _c.c_bool
        lib.wgc_curve25519_generate_public.restype = _c.c_bool
        lib.wgc_chacha20poly1305_decrypt.restype = _c.c_bool
        lib.wgc_chacha20poly1305_decrypt_n96.restype = _c.c_bool
        lib.wgc_xchacha20poly1305_decrypt.restype = _c.c_bool
        lib.wgc_shim_aead_split.restype = _c.c_bool
        lib.wgc_shim_blake2s_state_size.restype = _size
        lib.wgc_simd_force.restype = _c.c_bool
        lib.wgc_simd_force.argtypes = [_c.c_uint]
        lib.wgc_simd_active.restype = _c.c_uint
        lib.wgc_simd_name.restype = _c.c_char_p
        lib.wgc_simd_name.argtypes = [_c.c_uint]
        for name in ("wgc_chacha20poly1305_encrypt", "wgc_chacha20poly1305_decrypt"):
            getattr(lib, name).argtypes = [_u8p, _u8p, _size, _u8p, _size,
                                           _c.c_uint64, _u8p]
        for name in ("wgc_chacha20poly1305_encrypt_n96",
                     "wgc_chacha20poly1305_decrypt_n96",
                     "wgc_xchacha20poly1305_encrypt",
                     "wgc_xchacha20poly1305_decrypt"):
            getattr(lib, name).argtypes = [_u8p, _u8p, _size, _u8p, _size, _u8p, _u8p]
        lib.wgc_blake2s.argtypes = [_u8p, _size, _u8p, _size, _u8p, _size]
        lib.wgc_blake2s_init.argtypes = [_u8p, _size]
        lib.wgc_blake2s_init_key.argtypes = [_u8p, _size, _u8p, _size]
        lib.wgc_blake2s_update.argtypes = [_u8p, _u8p, _size]
        lib.wgc_blake2s_final.argtypes = [_u8p, _u8p]
        lib.wgc_shim_chacha20.argtypes = [_u8p, _u8p, _size, _u8p, _u8p, _c.c_uint32]
        lib.wgc_shim_chacha20_split.argtypes = [_u8p, _u8p, _size, _u8p, _u8p,
                                                _c.c_uint32, _c.c_void_p, _size]
        lib.wgc_shim_poly1305.argtypes = [_u8p, _u8p, _size, _u8p, _c.c_void_p, _size]
        lib.wgc_shim_aead_split.argtypes = [_c.c_int, _u8p, _u8p, _size, _u8p, _size,
                                            _c.c_uint64, _u8p, _c.c_void_p, _size]
        self.blake2s_state_size = lib.wgc_shim_blake2s_state_size()

    # --- BLAKE2s
    def blake2s(self, data: bytes, outlen: int = 32, key: bytes = b"") -> bytes:
        out = _c.create_string_buffer(32)
        self.lib.wgc_blake2s(out, outlen, data, len(data), key or None, len(key))
        return out.raw[:outlen]

    def blake2s_stream(self, pieces: list[bytes], outlen: int = 32,
                       key: bytes = b"") -> bytes:
        state = _c.create_string_buffer(self.blake2s_state_size)
        if key:
            self.lib.wgc_blake2s_init_key(state, outlen, key, len(key))
        else:
            self.lib.wgc_blake2s_init(state, outlen)
        for p in pieces:
            self.lib.wgc_blake2s_update(state, p, len(p))
        out = _c.create_string_buffer(32)
        self.lib.wgc_blake2s_final(state, out)
        assert state.raw == bytes(len(state.raw)), "final() must wipe the state"
        return out.raw[:outlen]

    # --- X25519
    def curve25519(self, secret: bytes, point: bytes) -> tuple[bool, bytes]:
        out = _c.create_string_buffer(32)
        ok = self.lib.wgc_curve25519(out, secret, point)
        return ok, out.raw

    def generate_public(self, secret: bytes) -> tuple[bool, bytes]:
        out = _c.create_string_buffer(32)
        ok = self.lib.wgc_curve25519_generate_public(out, secret)
        return ok, out.raw

    def generate_secret(self) -> bytes:
        out = _c.create_string_buffer(32)
        self.lib.wgc_curve25519_generate_secret(out)
        return out.raw

    def clamp(self, secret: bytes) -> bytes:
        buf = _c.create_string_buffer(secret, 32)
        self.lib.wgc_curve25519_clamp_secret(buf)
        return buf.raw

    # --- AEADs
    def encrypt(self, pt: bytes, ad: bytes, nonce: int, key: bytes) -> bytes:
        out = _c.create_string_buffer(len(pt) + TAG)
        self.lib.wgc_chacha20poly1305_encrypt(out, pt, len(pt), ad, len(ad), nonce, key)
        return out.raw

    def decrypt(self, ct: bytes, ad: bytes, nonce: int, key: bytes,
                fill: int = 0xAA) -> tuple[bool, bytes]:
        """Returns (ok, output buffer); the buffer is pre-filled with `fill`."""
        out = _c.create_string_buffer(bytes([fill]) * max(len(ct) - TAG, 1))
        ok = self.lib.wgc_chacha20poly1305_decrypt(out, ct, len(ct), ad, len(ad),
                                                   nonce, key)
        return ok, out.raw[:max(len(ct) - TAG, 0)]

    def encrypt_n96(self, pt: bytes, ad: bytes, nonce: bytes, key: bytes) -> bytes:
        out = _c.create_string_buffer(len(pt) + TAG)
        self.lib.wgc_chacha20poly1305_encrypt_n96(out, pt, len(pt), ad, len(ad),
                                                  nonce, key)
        return out.raw

    def decrypt_n96(self, ct: bytes, ad: bytes, nonce: bytes,
                    key: bytes) -> bytes | None:
        out = _c.create_string_buffer(max(len(ct) - TAG, 1))
        ok = self.lib.wgc_chacha20poly1305_decrypt_n96(out, ct, len(ct), ad, len(ad),
                                                       nonce, key)
        return out.raw[:len(ct) - TAG] if ok else None

    def xencrypt(self, pt: bytes, ad: bytes, nonce: bytes, key: bytes) -> bytes:
        out = _c.create_string_buffer(len(pt) + TAG)
        self.lib.wgc_xchacha20poly1305_encrypt(out, pt, len(pt), ad, len(ad), nonce, key)
        return out.raw

    def xdecrypt(self, ct: bytes, ad: bytes, nonce: bytes,
                 key: bytes, fill: int = 0xAA) -> tuple[bool, bytes]:
        out = _c.create_string_buffer(bytes([fill]) * max(len(ct) - TAG, 1))
        ok = self.lib.wgc_xchacha20poly1305_decrypt(out, ct, len(ct), ad, len(ad),
                                                    nonce, key)
        return ok, out.raw[:max(len(ct) - TAG, 0)]

    # --- internal primitives exported by tests/crypto/shim/shim.c
    def chacha20(self, data: bytes, key: bytes, nonce: bytes, counter: int,
                 splits: list[int] | None = None) -> bytes:
        out = _c.create_string_buffer(max(len(data), 1))
        if splits:
            arr = (_c.c_uint32 * len(splits))(*splits)
            self.lib.wgc_shim_chacha20_split(out, data, len(data), key, nonce, counter,
                                             arr, len(splits))
        else:
            self.lib.wgc_shim_chacha20(out, data, len(data), key, nonce, counter)
        return out.raw[:len(data)]

    def hchacha20(self, key: bytes, nonce16: bytes) -> bytes:
        out = _c.create_string_buffer(32)
        self.lib.wgc_hchacha20(out, key, nonce16)
        return out.raw

    def poly1305(self, msg: bytes, key: bytes, splits: list[int] | None = None) -> bytes:
        out = _c.create_string_buffer(16)
        if splits:
            arr = (_c.c_uint32 * len(splits))(*splits)
            self.lib.wgc_shim_poly1305(out, msg, len(msg), key, arr, len(splits))
        else:
            self.lib.wgc_shim_poly1305(out, msg, len(msg), key, None, 0)
        return out.raw

    def aead_split(self, encrypt: bool, data: bytes, ad: bytes, nonce: int,
                   key: bytes, splits: list[int]) -> tuple[bool, bytes]:
        """The AEAD core fed in pieces, as the scatterlist path feeds it."""
        n = len(data) + TAG if encrypt else max(len(data) - TAG, 0)
        out = _c.create_string_buffer(max(n, 1))
        arr = (_c.c_uint32 * len(splits))(*splits)
        ok = self.lib.wgc_shim_aead_split(1 if encrypt else 0, out, data, len(data), ad,
                                          len(ad), nonce, key, arr, len(splits))
        return ok, out.raw[:n]

    # --- which ChaCha20 runs (module/crypto/simd.h)
    def force(self, impl: str) -> bool:
        """Runs impl from now on; False when this CPU cannot."""
        return bool(self.lib.wgc_simd_force(CHACHA20_IMPLS.index(impl)))

    @property
    def chacha20_impl(self) -> str:
        return self.lib.wgc_simd_name(self.lib.wgc_simd_active()).decode()

    @property
    def warnings(self) -> int:
        if isinstance(self.lib, RemoteLibrary):
            return int(self.lib.wgc_shim_warnings())
        return _c.c_ulong.in_dll(self.lib, "wgc_shim_warnings").value


@pytest.fixture(scope="session", params=VARIANTS, ids=lambda v: v.name)
def wgc(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[WgcCrypto]:
    variant: Variant = request.param
    # one library (and so one forced implementation) per variant
    folder = tmp_path_factory.mktemp(f"wgc-{variant.name}")
    if variant.arch:
        remote = _remote_library(folder, variant)
        crypto = WgcCrypto(remote, variant.name)  # type: ignore[arg-type]
    else:
        result = build_shared_library(BuildRequest(output=folder / "libwgccrypto.so",
                                                   defines=variant.defines))
        crypto = WgcCrypto(ctypes.CDLL(str(result.library)), variant.name)
    try:
        if not crypto.force(variant.chacha20):
            pytest.skip(f"this CPU cannot run the {variant.chacha20} ChaCha20")
        yield crypto
    finally:
        if variant.arch:
            remote.close()


def _remote_library(folder: Path, variant: Variant) -> RemoteLibrary:
    """The driver program cross-built for variant.arch, running under qemu-user."""
    target = arch.get(variant.arch)
    if shutil.which(target.qemu_user) is None:
        pytest.fail(f"the {variant.name} tests run the crypto under {target.qemu_user}, "
                    "which this machine lacks: apt-get install qemu-user (./wgc installs it)",
                    pytrace=False)
    try:
        driver = build_driver(folder / "wgc-crypto-driver", variant.defines, target)
    except UserError as e:
        pytest.fail(str(e), pytrace=False)
    return RemoteLibrary([target.qemu_user, str(driver)])
