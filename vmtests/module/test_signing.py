"""Module signatures enforced: the signed flavour of the run's kernel refuses wireguard.ko
unless it is signed with a key the kernel trusts.

    host:  the run's kernel series again, --config signed (CONFIG_MODULE_SIG_FORCE; it trusts
           the key its build generated, certs/signing_key.pem/.x509 in its build folder)
           the release module built for it, then three copies:
             unsigned.ko   as built
             signed.ko     signed with the kernel's key (what `invoke build --sign` does)
             foreign.ko    signed with a key the kernel does not know (openssl, made here)
    guest: one guest of that kernel (its own modules are signed at modules_install);
           insmod each copy; the trusted one creates a wireguard interface

The kernel's own refusal is the observable: insmod's error and the kernel's log line.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wgcompat.errors import UserError
from wgcompat.kernel.select import resolve_kernel
from wgcompat.module_build import ModuleBuildRequest, build_module
from wgcompat.run.guests import start_guest
from wgcompat.signing import kernel_key, parse_sign_option, sign_module
from wgcompat.vm.shell import chain, cmd


@pytest.fixture(scope="module")
def signed_kernel(artefacts: Any) -> Any:
    selection = artefacts.request.selection
    if selection.kernel_dir is not None:
        pytest.skip("the run names a prepared kernel tree (--kernel-dir), which cannot be rebuilt as the signed flavour")
    return resolve_kernel(dataclasses.replace(selection, flavour="signed"))


@pytest.fixture(scope="module")
def copies(signed_kernel: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    module = build_module(ModuleBuildRequest(signed_kernel))
    work = tmp_path_factory.mktemp("signing")
    foreign_key, foreign_cert = work / "foreign.pem", work / "foreign.x509"
    subprocess.run(["openssl", "req", "-new", "-nodes", "-utf8", "-sha256", "-days", "2", "-batch", "-x509",
                    "-subj", "/CN=wgcompat test key the kernel does not trust", "-outform", "PEM",
                    "-keyout", str(foreign_key), "-out", str(foreign_cert)], check=True, capture_output=True)
    return {
        "unsigned": module.ko,
        "signed": sign_module(signed_kernel.build_dir, module.ko, kernel_key(signed_kernel.build_dir)),
        "foreign": sign_module(signed_kernel.build_dir, module.ko, parse_sign_option(f"{foreign_key},{foreign_cert}")),
    }


@pytest.fixture(scope="module")
def guest(signed_kernel: Any, copies: dict[str, Path], console_logs: Path) -> Iterator[Any]:
    depends = subprocess.run(["modinfo", "-F", "depends", str(copies["unsigned"])], capture_output=True,
                             text=True, check=True).stdout.strip()
    with start_guest(signed_kernel, None, [], console_logs / "signing") as vm:
        for name, path in copies.items():
            vm.put(path, f"/root/{name}.ko")
        if depends:  # the kernel's own modules ours needs, signed by its build: insmod loads no dependency
            vm.check(cmd("modprobe", "-a", *depends.split(",")))
        yield vm


def _insmod(vm: Any, name: str) -> tuple[int, str, str]:
    """insmod's status and output, and what the kernel logged while it ran."""
    vm.check("dmesg -c > /dev/null")
    result = vm.run(cmd("insmod", f"/root/{name}.ko"), check_kernel=False)
    return result.status, result.output, vm.check("dmesg")


def test_an_unsigned_module_is_refused_with_the_kernels_message(guest: Any) -> None:
    status, output, log = _insmod(guest, "unsigned")
    assert status != 0
    assert "Key was rejected by service" in output or "Required key not available" in output, output
    assert "Loading of unsigned module is rejected" in log, log


def test_a_module_signed_with_a_key_the_kernel_does_not_trust_is_refused(guest: Any) -> None:
    status, output, log = _insmod(guest, "foreign")
    assert status != 0, output
    assert "Loading of module with unavailable key is rejected" in log, log


def test_a_module_signed_with_the_kernels_key_loads_and_works(guest: Any, copies: dict[str, Path]) -> None:
    signer = subprocess.run(["modinfo", "-F", "signer", str(copies["signed"])], capture_output=True, text=True)
    assert signer.stdout.strip(), f"{copies['signed']} carries no signature"
    status, output, _ = _insmod(guest, "signed")
    assert status == 0, output
    guest.check(chain(cmd("ip", "link", "add", "wg0", "type", "wireguard"), cmd("ip", "link", "del", "wg0")))


def test_sign_names_a_missing_or_unreadable_key(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        parse_sign_option(f"{tmp_path}/no-such.pem,{tmp_path}/no-such.x509")
    with pytest.raises(UserError, match="does not name a key and a certificate"):
        parse_sign_option("only-one-file.pem")


def test_a_kernel_without_signing_has_no_key_to_offer(kernel_build: Any) -> None:
    if kernel_build.flavour == "signed":
        pytest.skip("the run's kernel is the signed flavour")
    with pytest.raises(UserError, match="was not built to sign modules"):
        kernel_key(kernel_build.build_dir)
