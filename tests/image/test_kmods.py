"""A distribution kernel's module tree: the overlay takes the guest's modules with their
closure (modules.dep, soft dependencies through modules.alias) and the list /init loads,
and moves the kernel's own WireGuard aside (no VM; depmod is the host's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.image import cpio_reader
from wgcompat.errors import UserError
from wgcompat.image import kmods
from wgcompat.image.overlay import OverlayRequest, build_overlay

RELEASE = "6.1.0-57-amd64"
MODULES = {  # path -> what it depends on (modules.dep)
    "kernel/drivers/virtio/virtio_pci.ko": ["kernel/drivers/virtio/virtio_ring.ko"],
    "kernel/drivers/virtio/virtio_ring.ko": [],
    "kernel/drivers/net/veth.ko": [],
    "kernel/net/netfilter/nf_conntrack.ko": ["kernel/lib/libcrc32c.ko"],
    "kernel/lib/libcrc32c.ko": [],
    "kernel/crypto/crc32c_generic.ko": [],
    "kernel/drivers/net/wireguard/wireguard.ko": ["kernel/net/ipv4/udp_tunnel.ko"],
    "kernel/net/ipv4/udp_tunnel.ko": [],
    "kernel/sound/snd.ko": [],  # nothing a guest needs
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "debian-root"
    moddir = root / "lib/modules" / RELEASE
    for path in MODULES:
        (moddir / path).parent.mkdir(parents=True, exist_ok=True)
        (moddir / path).write_bytes(path.encode())
    (moddir / "modules.dep").write_text("".join(f"{p}: {' '.join(d)}\n" for p, d in MODULES.items()))
    (moddir / "modules.softdep").write_text("# Soft dependencies\nsoftdep libcrc32c pre: crc32c\n")
    (moddir / "modules.alias").write_text("alias crypto-crc32c crc32c_generic\nalias crc32c crc32c_generic\n"
                                          "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n")
    (moddir / "modules.builtin").write_text("kernel/net/ipv6/ipv6.ko\n")
    return root


def test_the_closure_follows_dependencies_and_soft_dependencies(tree: Path) -> None:
    table = kmods.ModuleTree.read(tree / "lib/modules" / RELEASE)
    assert table.closure(["nf_conntrack", "virtio-pci", "not_in_this_kernel"]) == [
        "kernel/crypto/crc32c_generic.ko", "kernel/drivers/virtio/virtio_pci.ko",
        "kernel/drivers/virtio/virtio_ring.ko", "kernel/lib/libcrc32c.ko", "kernel/net/netfilter/nf_conntrack.ko"]
    assert table.modules(["virtio_pci", "ipv6", "nf-conntrack"]) == ["virtio_pci", "nf_conntrack"]


def test_a_tree_without_modules_dep_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        kmods.ModuleTree.read(tmp_path)
    assert "no modules.dep" in err.value.cause and "depmod -b" in err.value.fix


def test_the_overlay_takes_only_what_the_guest_needs(tmp_path: Path, tree: Path) -> None:
    ours = tmp_path / "wireguard.ko"
    ours.write_bytes(b"ours")
    overlay = build_overlay(OverlayRequest(modules_root=tree, wireguard_ko=ours,
                                           select_modules=("virtio_pci", "nf_conntrack", "veth", "absent")),
                            tmp_path / "overlay.cpio")
    e = cpio_reader.as_dict(overlay.path)
    mods = f"lib/modules/{RELEASE}"
    kos = sorted(name for name in e if name.endswith(".ko"))
    assert kos == sorted([f"{mods}/kernel/crypto/crc32c_generic.ko", f"{mods}/kernel/drivers/net/veth.ko",
                          f"{mods}/kernel/drivers/virtio/virtio_pci.ko", f"{mods}/kernel/drivers/virtio/virtio_ring.ko",
                          f"{mods}/kernel/lib/libcrc32c.ko", f"{mods}/kernel/net/ipv4/udp_tunnel.ko",
                          f"{mods}/kernel/net/netfilter/nf_conntrack.ko", f"{mods}/updates/wireguard.ko",
                          "lib/modules/reference/wireguard.ko"])
    assert overlay.reference_ko and e["lib/modules/reference/wireguard.ko"].data.endswith(b"wireguard.ko")
    assert e[kmods.BOOT_LIST].data == b"virtio_pci\nnf_conntrack\nveth\n"
    assert e[f"{mods}/modules.builtin"].data == b"kernel/net/ipv6/ipv6.ko\n"
    dep = e[f"{mods}/modules.dep"].data.decode()
    assert "updates/wireguard.ko:" in dep and "snd.ko" not in dep


def test_our_kernels_keep_their_whole_tree_and_no_boot_list(tmp_path: Path, tree: Path) -> None:
    overlay = build_overlay(OverlayRequest(modules_root=tree), tmp_path / "overlay.cpio")
    e = cpio_reader.as_dict(overlay.path)
    assert f"lib/modules/{RELEASE}/kernel/sound/snd.ko" in e and kmods.BOOT_LIST not in e


def test_a_compressed_reference_is_put_aside_as_plain_wireguard_ko(tmp_path: Path, tree: Path) -> None:
    import lzma

    moddir = tree / "lib/modules" / RELEASE
    plain = moddir / "kernel/drivers/net/wireguard/wireguard.ko"
    (moddir / "kernel/drivers/net/wireguard/wireguard.ko.xz").write_bytes(lzma.compress(b"the kernel's own"))
    plain.unlink()
    dep = (moddir / "modules.dep").read_text().replace("wireguard.ko:", "wireguard.ko.xz:")
    (moddir / "modules.dep").write_text(dep)
    overlay = build_overlay(OverlayRequest(modules_root=tree, select_modules=()), tmp_path / "overlay.cpio")
    e = cpio_reader.as_dict(overlay.path)
    assert overlay.reference_ko and e["lib/modules/reference/wireguard.ko"].data == b"the kernel's own"
    assert not any(name.endswith("wireguard.ko.xz") for name in e)
