"""The loaded module runs the crypto its build chose (issue 6): the kernel's library,
or the bundled implementation of module/crypto/ when compat found no usable library
or `--crypto bundled` forced it.

No topology: the shared guest with our wireguard.ko loaded.

    host: module build ── compat.mk WGC_CRYPTO ──┐
    guest: modinfo -F crypto, /proc/kallsyms,    ├── must all agree
           the load message on the console ──────┘
"""

from __future__ import annotations

import re
from typing import Any

import pytest

# A function every bundled build links and no kernel library exports under this name.
BUNDLED_SYMBOL = "wgc_chacha20_crypt"


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
