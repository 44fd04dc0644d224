"""The bundled ChaCha20 implementations (module/crypto/simd.h) as a guest sees them.

Which architecture each belongs to, the /proc/cpuinfo flags it needs there, and what the
module parameter crypto_simd takes on an architecture (module/crypto/simd_kernel.c): auto,
portable and that architecture's names; another architecture's are refused, the message
naming the choices. Shared by vmtests/crypto/ (the bundled code in a test module) and
vmtests/wireguard/test_crypto_choice.py (the same choice in wireguard.ko).
"""

from __future__ import annotations

from typing import Any

from wgcompat.vm.shell import cmd

# simd.h's order: portable, then each architecture's, worst first; (architecture, flags)
IMPLS: dict[str, tuple[str, frozenset[str]]] = {
    "portable": ("", frozenset()),
    "ssse3": ("x86_64", frozenset({"ssse3"})),
    "avx2": ("x86_64", frozenset({"avx", "avx2"})),
    "avx512": ("x86_64", frozenset({"avx512f", "avx512vl"})),
    # arm64's /proc/cpuinfo names Advanced SIMD "asimd" (and FP "fp": both or neither)
    "neon": ("arm64", frozenset({"asimd"})),
}


def of_arch(arch: str) -> list[str]:
    """The names crypto_simd takes on arch besides auto, worst first."""
    return [name for name, (owner, _) in IMPLS.items() if owner in ("", arch)]


def runnable(arch: str, flags: set[str]) -> list[str]:
    """The implementations a guest of arch with these cpuinfo flags runs, worst first."""
    return [name for name in of_arch(arch) if IMPLS[name][1] <= flags]


def foreign(arch: str) -> str:
    """A name crypto_simd refuses on arch: the first of another architecture."""
    return next(name for name, (owner, _) in IMPLS.items() if owner not in ("", arch))


def choices(arch: str) -> str:
    """The choices the refusal names: 'auto, portable, ssse3, avx2 or avx512' on x86_64."""
    names = ["auto", *of_arch(arch)]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def cpu_flags(guest: Any) -> set[str]:
    """The CPU's features in the guest's /proc/cpuinfo: x86 names them "flags", arm64
    "Features", s390x "features"."""
    line = guest.check(cmd("grep", "-m1", "-E", "^(flags|[Ff]eatures)", "/proc/cpuinfo"))
    return set(line.split(":", 1)[-1].split())
