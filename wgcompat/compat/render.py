"""From probe results to compat.h and compat.mk: derived facts, the crypto choice, jinja2."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2

from wgcompat.compat.catalogue import COMPAT_DIR

TEMPLATES_DIR = COMPAT_DIR / "templates"

CryptoMode = Literal["auto", "bundled"]

# symbols each kernel crypto library must export to be usable by the module
CHACHA_SYMBOLS = (
    "export_chacha20poly1305_encrypt",
    "export_chacha20poly1305_decrypt",
    "export_xchacha20poly1305_encrypt",
    "export_xchacha20poly1305_decrypt",
    "export_chacha20poly1305_encrypt_sg_inplace",
    "export_chacha20poly1305_decrypt_sg_inplace",
)
BLAKE2S_SYMBOLS = ("export_blake2s_update", "export_blake2s_final")


@dataclass(frozen=True)
class Derived:
    define: str
    value: bool
    reason: str


@dataclass(frozen=True)
class CryptoChoice:
    mode: Literal["kernel", "bundled"]
    reason: str


@dataclass(frozen=True)
class RenderProbe:
    """What the templates see of one probe."""

    name: str
    kind: str
    define: str | None
    present: bool
    detail: str


def _all(have: Mapping[str, bool], names: tuple[str, ...]) -> tuple[bool, str]:
    missing = [n for n in names if not have.get(n, False)]
    return (not missing, " + ".join(names) if not missing else "missing " + ", ".join(missing))


def derive(have: Mapping[str, bool]) -> list[Derived]:
    """Facts that combine several probes. Each names the probes it used."""
    chacha_ok, chacha_why = _all(have, ("header_crypto_chacha20poly1305", *CHACHA_SYMBOLS))
    blake_ok, blake_why = _all(have, ("header_crypto_blake2s", *BLAKE2S_SYMBOLS))
    blake_api = have.get("blake2s_ctx", False) or have.get("blake2s_state", False)
    if blake_ok and not blake_api:
        blake_ok, blake_why = False, "neither blake2s_ctx nor blake2s_state compiles"

    # curve25519(): exported out of line (newer kernels), or a static inline over
    # curve25519_arch/curve25519_generic and the exported null/base points (older kernels).
    out_of_line, out_why = _all(have, ("export_curve25519", "export_curve25519_generate_public"))
    if have.get("kconfig_crypto_arch_have_lib_curve25519", False):
        inline_deps: tuple[str, ...] = ("export_curve25519_arch", "export_curve25519_base_arch")
    else:
        inline_deps = ("export_curve25519_generic",)
    inline_ok, inline_why = _all(
        have, ("export_curve25519_null_point", "export_curve25519_base_point", "export_crypto_memneq", *inline_deps)
    )
    if not have.get("header_crypto_curve25519", False):
        curve_ok, curve_why = False, "missing header_crypto_curve25519"
    elif out_of_line:
        curve_ok, curve_why = True, "header_crypto_curve25519 + " + out_why + " (out of line)"
    elif inline_ok:
        curve_ok, curve_why = True, "header_crypto_curve25519 + " + inline_why + " (inline wrappers)"
    else:
        curve_ok, curve_why = False, f"out of line: {out_why}; inline: {inline_why}"
    return [
        Derived("WGC_HAVE_LIB_CHACHA20POLY1305", chacha_ok, chacha_why),
        Derived("WGC_HAVE_LIB_CURVE25519", curve_ok, curve_why),
        Derived("WGC_HAVE_LIB_BLAKE2S", blake_ok, blake_why),
    ]


def choose_crypto(requested: CryptoMode, derived: list[Derived]) -> CryptoChoice:
    if requested == "bundled":
        return CryptoChoice("bundled", "requested with --crypto bundled")
    missing = [d.define for d in derived if d.define.startswith("WGC_HAVE_LIB_") and not d.value]
    if missing:
        return CryptoChoice("bundled", "kernel library not usable: " + ", ".join(missing) + " is 0")
    return CryptoChoice("kernel", "kernel library headers and exports present")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


@dataclass(frozen=True)
class RenderInput:
    release: str
    kdir: Path
    cc: str
    notes: tuple[str, ...]
    cache_key: str
    probes: tuple[RenderProbe, ...]
    crypto: CryptoMode
    dropped_cflags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    compat_h: str
    compat_mk: str
    crypto: CryptoChoice
    derived: tuple[Derived, ...]


def render(data: RenderInput) -> Rendered:
    have = {p.name: p.present for p in data.probes}
    derived = derive(have)
    crypto = choose_crypto(data.crypto, derived)
    context = {
        "release": data.release,
        "kdir": str(data.kdir),
        "cc": data.cc,
        "notes": list(data.notes),
        "cache_key": data.cache_key,
        "probes": list(data.probes),
        "present_count": sum(1 for p in data.probes if p.present),
        "derived": derived,
        "crypto": crypto,
        "dropped_cflags": list(data.dropped_cflags),
    }
    env = _environment()
    return Rendered(
        compat_h=env.get_template("compat.h.j2").render(context),
        compat_mk=env.get_template("compat.mk.j2").render(context),
        crypto=crypto,
        derived=tuple(derived),
    )
