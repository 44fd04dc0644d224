"""The loaded module runs the crypto its build chose (issue 6): the kernel's library,
or the bundled implementation of module/crypto/ when compat found no usable library
or `--crypto bundled` forced it.

No topology: the shared guest with our wireguard.ko loaded.

    host: module build ── compat.mk WGC_CRYPTO ──┐
    guest: modinfo -F crypto, /proc/kallsyms,    ├── must all agree
           the load message on the console ──────┘

A bundled build also chooses its ChaCha20 (module/crypto/simd_kernel.c), printed once as
"wireguard: bundled ChaCha20: <impl> (crypto_simd=auto)" and read back in
/sys/module/wireguard/parameters/crypto_simd: the best the guest's architecture and CPU
flags allow (avx2 on x86_64's TCG max model, neon on arm64's cortex-a72, portable on
s390x; vmtests/lib/chacha20_impls.py). In a guest of its own, the module is loaded again
with crypto_simd=portable (it reports portable) and with another architecture's name
(refused, naming this architecture's choices).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from vmtests.lib import chacha20_impls

# A function every bundled build links and no kernel library exports under this name.
BUNDLED_SYMBOL = "wgc_chacha20_crypt"
SIMD_PARAM = "/sys/module/wireguard/parameters/crypto_simd"
CHOSEN = re.compile(r"wireguard: bundled ChaCha20: ([a-z0-9]+) \(crypto_simd=([a-z0-9]+)\)")


@pytest.fixture
def ours(wg_vm: Any, implementation: str) -> Any:
    if implementation != "ours":
        pytest.skip("the kernel's own module has no crypto choice to check")
    return wg_vm


def test_build_chose_the_kernel_library_only_when_allowed_and_exported(artefacts: Any, kernel_build: Any,
                                                                      module_build: Any) -> None:
    """`--crypto bundled` always gets the bundled code; `auto` gets the kernel's library
    when this kernel build exports it (read from its Module.symvers, not from compat's probes)."""
    symvers = (kernel_build.build_dir / "Module.symvers").read_text()
    exported = re.search(r"^\S+\tchacha20poly1305_encrypt\t", symvers, re.M) is not None
    requested = artefacts.request.crypto
    expected = "kernel" if requested == "auto" and exported else "bundled"
    assert module_build.crypto == expected, (
        f"--crypto {requested} on a kernel that {'exports' if exported else 'does not export'} "
        f"chacha20poly1305_encrypt built a module with {module_build.crypto} crypto")


def test_loaded_module_names_its_crypto(ours: Any, module_build: Any) -> None:
    assert ours.check("modinfo -F crypto wireguard").strip() == module_build.crypto
    banners = [ln for ln in ours.kernel_log().splitlines() if "WireGuard (wgcompat)" in ln and "loaded" in ln]
    assert banners, "the module's load message is missing from the console"
    assert banners[-1].rstrip().endswith(f"crypto: {module_build.crypto}"), banners[-1]


def test_bundled_code_is_linked_only_when_chosen(ours: Any, module_build: Any) -> None:
    found = ours.run(f"grep -w {BUNDLED_SYMBOL} /proc/kallsyms").output
    in_module = any(ln.rstrip().endswith("[wireguard]") for ln in found.splitlines())
    assert in_module == (module_build.crypto == "bundled"), (
        f"{BUNDLED_SYMBOL} {'is' if in_module else 'is not'} in the loaded module, "
        f"but its build chose {module_build.crypto} crypto:\n{found}")


def _require_bundled(module_build: Any) -> None:
    if module_build.crypto != "bundled":
        pytest.skip("this module runs the kernel's crypto library: no bundled ChaCha20 to "
                    "choose (run with --crypto bundled)")


def test_bundled_module_runs_the_best_chacha20_the_cpu_has(ours: Any, module_build: Any,
                                                           kernel_build: Any) -> None:
    _require_bundled(module_build)
    # the first use makes the choice and prints it; reading the parameter is a use
    chosen = ours.check(f"cat {SIMD_PARAM}").strip()
    flags = chacha20_impls.cpu_flags(ours)
    best = chacha20_impls.runnable(kernel_build.arch, flags)[-1]
    assert chosen == best, (f"{kernel_build.arch} guest with CPU flags {sorted(flags)}: the module "
                            f"runs {chosen}, the best it has is {best}")
    reported = CHOSEN.findall(ours.kernel_log())
    assert reported and reported[-1] == (best, "auto"), reported


@pytest.mark.destructive
def test_crypto_simd_portable_and_another_architectures_name(fresh_wg_vm: Any, module_build: Any,
                                                             kernel_build: Any) -> None:
    """crypto_simd=portable switches the vector ChaCha20 off and reads back portable; a name
    of another architecture's implementation is refused with this architecture's choices,
    and the module loads afterwards."""
    _require_bundled(module_build)
    vm = fresh_wg_vm
    assert vm.run("rmmod wireguard").ok
    loaded = vm.run("dmesg -c >/dev/null; modprobe wireguard crypto_simd=portable")
    assert loaded.ok, loaded.output
    assert vm.check(f"cat {SIMD_PARAM}").strip() == "portable"
    assert CHOSEN.findall(vm.check("dmesg")) == [("portable", "portable")]

    foreign = chacha20_impls.foreign(kernel_build.arch)
    assert vm.run("rmmod wireguard").ok
    refused = vm.run(f"dmesg -c >/dev/null; modprobe wireguard crypto_simd={foreign}")
    assert not refused.ok, f"crypto_simd={foreign} was accepted on {kernel_build.arch}"
    expected = f"wireguard: crypto_simd={foreign}: use {chacha20_impls.choices(kernel_build.arch)}"
    log = vm.check("dmesg")
    assert expected in log, log[-2000:]
    assert vm.run(f"modprobe wireguard && test -r {SIMD_PARAM}").ok
