"""The per-boot overlay: the kernel's modules, our module, the kernel's own moved aside,
depmod, the files put into the guest (no VM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.image import cpio_reader
from wgcompat.errors import UserError
from wgcompat.image.overlay import OverlayRequest, build_overlay, checked_put


RELEASE = "9.9.9-test"


@pytest.fixture
def modules_root(tmp_path: Path) -> Path:
    root = tmp_path / "modules-root"
    mods = root / "lib/modules" / RELEASE
    (mods / "kernel/drivers/net/wireguard").mkdir(parents=True)
    (mods / "kernel/net/ipv4").mkdir(parents=True)
    (mods / "kernel/drivers/net/wireguard/wireguard.ko").write_bytes(b"kernel's own wireguard")
    (mods / "kernel/net/ipv4/udp_tunnel.ko").write_bytes(b"udp tunnel")
    (mods / "modules.order").write_text("kernel/net/ipv4/udp_tunnel.ko\nkernel/drivers/net/wireguard/wireguard.ko\n")
    (mods / "build").symlink_to("/nonexistent/kernel/build/tree")
    return root


def test_overlay_puts_our_module_in_updates_and_the_kernels_in_reference(tmp_path: Path, modules_root: Path) -> None:
    ours = tmp_path / "wireguard.ko"
    ours.write_bytes(b"our wireguard")
    conf = tmp_path / "wg0.conf"
    conf.write_text("[Interface]\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub/f").write_text("f")
    overlay = build_overlay(OverlayRequest(modules_root=modules_root, wireguard_ko=ours,
                                           put=[(conf, "/root/cfg/wg0.conf"), (tree, "/opt/tree")]),
                            tmp_path / "overlay.cpio")
    e = cpio_reader.as_dict(overlay.path)
    mods = f"lib/modules/{RELEASE}"
    assert overlay.release == RELEASE and overlay.reference_ko and overlay.modules == 2
    assert e[f"{mods}/updates/wireguard.ko"].data == b"our wireguard"
    assert e["lib/modules/reference/wireguard.ko"].data == b"kernel's own wireguard"
    assert f"{mods}/kernel/drivers/net/wireguard/wireguard.ko" not in e
    assert e[f"{mods}/kernel/net/ipv4/udp_tunnel.ko"].data == b"udp tunnel"
    assert f"{mods}/build" not in e
    dep = e[f"{mods}/modules.dep"].data.decode()
    assert "updates/wireguard.ko:" in dep and "kernel/net/ipv4/udp_tunnel.ko:" in dep
    assert "kernel/drivers/net/wireguard" not in dep
    assert e["root/cfg/wg0.conf"].data == b"[Interface]\n"
    assert e["root/cfg"].is_dir and e["root"].is_dir
    assert e["opt/tree/sub/f"].data == b"f"
    # the kernel's modules folder is left as it was
    assert (modules_root / "lib/modules" / RELEASE / "kernel/drivers/net/wireguard/wireguard.ko").is_file()
    assert not (modules_root / "lib/modules" / RELEASE / "updates").exists()


def test_overlay_without_kernel_modules_still_runs_depmod(tmp_path: Path) -> None:
    ours = tmp_path / "wireguard.ko"
    ours.write_bytes(b"ours")
    overlay = build_overlay(OverlayRequest(release=RELEASE, wireguard_ko=ours), tmp_path / "o.cpio")
    e = cpio_reader.as_dict(overlay.path)
    assert e[f"lib/modules/{RELEASE}/updates/wireguard.ko"].data == b"ours"
    assert "updates/wireguard.ko:" in e[f"lib/modules/{RELEASE}/modules.dep"].data.decode()
    assert not overlay.reference_ko


def test_overlay_with_two_kernel_releases_asks_which(tmp_path: Path, modules_root: Path) -> None:
    (modules_root / "lib/modules/1.2.3").mkdir()
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(modules_root=modules_root), tmp_path / "o.cpio")
    assert "exactly one" in err.value.cause and "1.2.3" in err.value.cause


def test_a_module_file_that_is_not_a_module_gives_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "wireguard.ko"
    bogus.write_bytes(b"not an ELF file")
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(wireguard_ko=bogus), tmp_path / "o.cpio")
    assert "vermagic" in err.value.cause


def test_put_of_a_missing_host_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(put=[(tmp_path / "missing", "/root/x")]), tmp_path / "o.cpio")
    assert "does not exist" in err.value.cause


def test_a_put_needs_an_absolute_guest_path(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    assert checked_put(f, "/root/f") == (f, "/root/f")
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(put=[(f, "root/f")]), tmp_path / "o.cpio")
    assert "not absolute" in err.value.cause


def test_a_missing_host_tool_says_which_package_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    ours = tmp_path / "wireguard.ko"
    ours.write_bytes(b"ours")
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(release=RELEASE, wireguard_ko=ours), tmp_path / "o.cpio")
    assert "depmod is not installed" in err.value.cause
    assert "apt-get install kmod" in err.value.fix
