"""The module DKMS built from our .deb, as a packager's user meets it on Debian's own kernel
(``--kernel debian:<series> --module-source dkms``): modprobe loads the very file `dkms
autoinstall` put under /lib/modules/<release>/updates/dkms in the throwaway root (the plan's
module stage, wgcompat.package.dkms_build, recorded what the root said of it), with the
package's version, DKMS's signature where DKMS signs (bookworm on), tainting the kernel
because Debian trusts no such key without Secure Boot, and it makes interfaces.

Skipped, saying why, in a run whose module the harness built (--module-source build).

Topology: one guest of its own with our module installed, no network.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wgcompat.module_build import DkmsOrigin
from wgcompat.run.guests import start_guest
from wgcompat.vm.shell import chain, cmd

NEEDS = "run with --kernel debian:<series> --module-source dkms"


@pytest.fixture(scope="module")
def origin(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> DkmsOrigin:
    """What the root said of the module DKMS installed; skips a run of the harness's build."""
    if not pytestconfig.getoption("--artefacts") and pytestconfig.getoption("--module-source") != "dkms":
        pytest.skip(f"tests the module DKMS builds from our .deb: {NEEDS}")
    module = request.getfixturevalue("module_build")
    if module.dkms is None:
        pytest.skip(f"this run's module was built by the harness, not by DKMS: {NEEDS}")
    return module.dkms


@pytest.fixture(scope="module")
def guest(origin: DkmsOrigin, kernel_build, module_build, console_logs) -> Iterator[object]:
    with start_guest(kernel_build, module_build, [], console_logs / "dkms-module") as vm:
        loaded = vm.run(cmd("modprobe", "wireguard"), timeout=120)
        assert loaded.status == 0, f"modprobe wireguard failed in the guest:\n{loaded.output}"
        yield vm


def _out(guest, command: str) -> str:
    result = guest.run(command, timeout=60)
    assert result.status == 0, f"`{command}` exited {result.status}:\n{result.output}"
    return result.output.strip()


def test_modprobe_loads_the_file_dkms_installed_under_updates_dkms(guest, origin: DkmsOrigin, kernel_build) -> None:
    path = _out(guest, cmd("modinfo", "-n", "wireguard"))
    assert path == f"/lib/modules/{kernel_build.release}/{origin.guest_path}"
    assert f"/lib/modules/{kernel_build.release}/updates/dkms/wireguard.ko" in path
    assert _out(guest, cmd("sha256sum", path)).split()[0] == origin.sha256, "not the file DKMS installed"
    assert _out(guest, cmd("cat", "/sys/module/wireguard/srcversion")) == origin.modinfo["srcversion"]


def test_the_loaded_modules_version_is_the_packages(guest, origin: DkmsOrigin) -> None:
    assert _out(guest, cmd("cat", "/sys/module/wireguard/version")) == origin.package_version
    assert origin.modinfo["version"] == origin.package_version
    assert _out(guest, cmd("modinfo", "-F", "wgcompat_source", "wireguard")).startswith("git-")


def test_it_carries_dkmss_signature_and_taints_a_kernel_that_does_not_trust_it(guest, origin: DkmsOrigin) -> None:
    for field in ("signer", "sig_key"):
        assert _out(guest, cmd("modinfo", "-F", field, "wireguard")) == origin.modinfo.get(field, "")
    if origin.suite != "bullseye":  # dkms 2.8 signs nothing; 3.0 on bookworm signs with its own key
        assert origin.modinfo.get("signer"), f"DKMS {origin.dkms_version} in {origin.suite} did not sign it"
    # O: out of tree; E: its signature checked against no key the kernel trusts (unsigned, or DKMS's own)
    taint = _out(guest, cmd("cat", "/sys/module/wireguard/taint"))
    assert "O" in taint and "E" in taint, taint


def test_ip_link_add_type_wireguard_makes_an_interface(guest) -> None:
    shown = _out(guest, chain(cmd("ip", "link", "add", "wgdkms", "type", "wireguard"),
                              cmd("ip", "-d", "link", "show", "wgdkms"), cmd("wg", "show", "interfaces"),
                              cmd("ip", "link", "del", "wgdkms")))
    lines = shown.splitlines()
    assert "wireguard" in shown and lines[-1].split() == ["wgdkms"], shown
