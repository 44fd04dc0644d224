"""The initramfs builder with fake .deb files (no network, no VM)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.guest import cpio_reader
from wgcompat.errors import UserError
from wgcompat.guest import initramfs
from wgcompat.guest.cpio import CpioWriter
from wgcompat.guest.initramfs import OverlayRequest, build_base, build_overlay, closure, concatenate

BUSYBOX = next((Path(p) for p in ("/bin/busybox", "/usr/bin/busybox") if Path(p).is_file()), None)
needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="the host has no static busybox (apt-get install busybox-static)")


def make_deb(out_dir: Path, package: str, version: str = "1.0", depends: str = "", provides: str = "",
             files: dict[str, bytes | Path] | None = None) -> Path:
    root = out_dir / f"src-{package}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    control = f"Package: {package}\nVersion: {version}\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: test\n"
    if depends:
        control += f"Depends: {depends}\n"
    if provides:
        control += f"Provides: {provides}\n"
    (root / "DEBIAN/control").write_text(control)
    for rel, content in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, p)
        else:
            p.write_bytes(content)
            p.chmod(0o755 if "/bin/" in f"/{rel}" or "/sbin/" in f"/{rel}" else 0o644)
    deb = out_dir / f"{package}_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "-Znone", "--root-owner-group", "-b", str(root), str(deb)], check=True,
                   capture_output=True)
    shutil.rmtree(root)
    return deb


@pytest.fixture(scope="session")
def debs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("archives")
    assert BUSYBOX is not None
    return [
        make_deb(d, "busybox-static", files={"bin/busybox": BUSYBOX}),
        make_deb(d, "bash", depends="libc6 (>= 2.36), base-files, debianutils",
                 files={"bin/bash": b"#!/bin/busybox sh\n", "usr/share/doc/bash/copyright": b"GPL",
                        "usr/share/man/man1/bash.1.gz": b"man"}),
        make_deb(d, "libc6", depends="libgcc-s1", files={"lib/x86_64-linux-gnu/libc.so.6": b"libc"}),
        make_deb(d, "libgcc-s1", provides="libgcc1", files={"lib/x86_64-linux-gnu/libgcc_s.so.1": b"gcc"}),
        make_deb(d, "tool", depends="libmissing | libbar, virtual-thing, dpkg, libgcc1",
                 files={"usr/bin/tool": b"#!/bin/sh\n"}),
        make_deb(d, "libbar", files={"usr/lib/x86_64-linux-gnu/libbar.so.1": b"bar"}),
        make_deb(d, "libprov", provides="virtual-thing", files={"usr/lib/x86_64-linux-gnu/libprov.so": b"p"}),
        make_deb(d, "dpkg", files={"usr/bin/dpkg": b"#!/bin/sh\n"}),
        make_deb(d, "extra-pkg", files={"usr/bin/extra": b"#!/bin/sh\n"}),
        make_deb(d, "iptables", files={"usr/sbin/xtables-nft-multi": b"#!/bin/sh\n"}),
    ]


PACKAGES = ("bash", "busybox-static", "tool", "iptables")


class Fetcher:
    def __init__(self, debs: Sequence[Path]) -> None:
        self.debs = list(debs)
        self.calls = 0

    def __call__(self, packages: Sequence[str]) -> list[Path]:
        self.calls += 1
        return self.debs


@needs_busybox
def test_closure_follows_dependencies_alternatives_and_provides_but_skips_install_time_packages(debs: list[Path]) -> None:
    names = [c.package for c in closure(PACKAGES, debs)]
    assert names == ["bash", "busybox-static", "iptables", "libbar", "libc6", "libgcc-s1", "libprov", "tool"]


@needs_busybox
def test_closure_names_a_package_that_was_not_downloaded(debs: list[Path]) -> None:
    with pytest.raises(UserError) as err:
        closure(["no-such-package"], debs)
    assert "no-such-package" in err.value.cause


@needs_busybox
def test_base_image_has_the_userland_init_and_busybox_links(tmp_path: Path, debs: list[Path]) -> None:
    image = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=Fetcher(debs))
    entries = cpio_reader.as_dict(image.path)
    assert entries["init"].data.startswith(b"#!/bin/busybox sh")
    assert entries["init"].mode & 0o111
    assert "usr/lib/wgcompat/wgc-server" in entries
    assert "usr/local/sbin/wgc-load-reference" in entries
    assert entries["dev/console"].rdev == (5, 1)
    assert entries["bin/bash"].data == b"#!/bin/busybox sh\n"       # a package's file wins over busybox
    assert entries["bin/sh"].is_link and entries["bin/sh"].data == b"/bin/busybox"
    assert entries["usr/sbin/iptables"].data == b"xtables-nft-multi"
    assert "usr/lib/x86_64-linux-gnu/libbar.so.1" in entries
    assert not any(n.startswith(("usr/share/doc", "usr/share/man")) for n in entries)
    assert "usr/bin/extra" not in entries
    assert entries["usr/bin/dpkg"].data == b"/bin/busybox"  # busybox's applet, not the skipped package
    assert entries["tmp"].mode & 0o1777 == 0o1777
    assert sorted(image.debs) == sorted(c.path.name for c in closure(PACKAGES, debs))


@needs_busybox
def test_the_archive_is_one_that_cpio_reads(tmp_path: Path, debs: list[Path]) -> None:
    image = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=Fetcher(debs))
    listed = subprocess.run(["cpio", "-it", "--quiet"], stdin=image.path.open("rb"), capture_output=True,
                            text=True, check=True).stdout.split()
    assert sorted(listed) == sorted(e.name for e in cpio_reader.read(image.path))


@needs_busybox
def test_second_build_comes_from_the_cache_without_asking_apt(tmp_path: Path, debs: list[Path]) -> None:
    fetch = Fetcher(debs)
    first = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=fetch)
    second = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=fetch)
    assert not first.cached and second.cached
    assert second.path == first.path
    assert fetch.calls == 1


@needs_busybox
def test_a_changed_deb_set_gives_a_new_image_on_refresh(tmp_path: Path, debs: list[Path]) -> None:
    first = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=Fetcher(debs))
    (tmp_path / "archives").mkdir()
    newer = make_deb(tmp_path / "archives", "libbar", version="2.0",
                     files={"usr/lib/x86_64-linux-gnu/libbar.so.2": b"bar2"})
    second = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=Fetcher(debs + [newer]), refresh=True)
    assert second.path != first.path
    assert "libbar_2.0_amd64.deb" in second.debs
    assert "usr/lib/x86_64-linux-gnu/libbar.so.2" in cpio_reader.as_dict(second.path)
    assert not first.path.exists()  # the superseded image is removed


@needs_busybox
def test_an_interrupted_build_is_never_reused(tmp_path: Path, debs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    real_write = initramfs.write_archive

    def write_half_then_die(staging: Path, archive: Path, compress: initramfs.Compression) -> None:
        archive.write_bytes(b"070701" + b"0" * 100)  # a partial archive, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(initramfs, "write_archive", write_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        build_base(cache_dir=cache, packages=PACKAGES, fetch=Fetcher(debs))
    assert [p.name for p in cache.iterdir() if p.name != "base.lock"] == []

    # a build killed with SIGKILL leaves its temporary folder behind: it is not taken for an image
    family = initramfs._key(PACKAGES, "none", None)
    leftover = cache / f".tmp-base-{family}-deadbeef-999999999"
    leftover.mkdir()
    (leftover / "base.cpio").write_bytes(b"partial")
    (leftover / "manifest.json").write_text(json.dumps({"key": "x", "packages": [], "debs": [], "archive": "base.cpio"}))
    incomplete = cache / f"base-{family}-cafe"  # renamed in place but without its manifest: not complete either
    incomplete.mkdir()

    monkeypatch.setattr(initramfs, "write_archive", real_write)
    fetch = Fetcher(debs)
    image = build_base(cache_dir=cache, packages=PACKAGES, fetch=fetch)
    assert fetch.calls == 1 and not image.cached
    assert image.path.parent != incomplete
    assert cpio_reader.as_dict(image.path)["init"].data.startswith(b"#!")
    assert not leftover.exists()


@needs_busybox
def test_gzip_base_is_padded_so_an_overlay_can_follow(tmp_path: Path, debs: list[Path]) -> None:
    image = build_base(cache_dir=tmp_path / "cache", packages=PACKAGES, fetch=Fetcher(debs), compress="gzip")
    assert image.path.name.endswith(".gz")
    assert image.path.stat().st_size % 4 == 0
    assert image.path.read_bytes()[:2] == b"\x1f\x8b"


# --------------------------------------------------------------------------- overlay

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
    overlay = build_overlay(OverlayRequest(out=tmp_path / "overlay.cpio", modules_root=modules_root, wireguard_ko=ours,
                                           put=[(conf, "/root/cfg/wg0.conf"), (tree, "/opt/tree")]))
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
    overlay = build_overlay(OverlayRequest(out=tmp_path / "o.cpio", release=RELEASE, wireguard_ko=ours))
    e = cpio_reader.as_dict(overlay.path)
    assert e[f"lib/modules/{RELEASE}/updates/wireguard.ko"].data == b"ours"
    assert "updates/wireguard.ko:" in e[f"lib/modules/{RELEASE}/modules.dep"].data.decode()
    assert not overlay.reference_ko


def test_overlay_with_two_kernel_releases_asks_which(tmp_path: Path, modules_root: Path) -> None:
    (modules_root / "lib/modules/1.2.3").mkdir()
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(out=tmp_path / "o.cpio", modules_root=modules_root))
    assert "exactly one" in err.value.cause and "1.2.3" in err.value.cause


def test_a_module_file_that_is_not_a_module_gives_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "wireguard.ko"
    bogus.write_bytes(b"not an ELF file")
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(out=tmp_path / "o.cpio", wireguard_ko=bogus))
    assert "vermagic" in err.value.cause


def test_put_of_a_missing_host_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(out=tmp_path / "o.cpio", put=[(tmp_path / "missing", "/root/x")]))
    assert "does not exist" in err.value.cause


def test_concatenated_archives_stay_aligned_and_the_overlay_wins(tmp_path: Path) -> None:
    a, b = tmp_path / "a.cpio", tmp_path / "b.cpio"
    with a.open("wb") as f:
        w = CpioWriter(f)
        w.directory("etc")
        w.data("etc/x", b"base, odd length!")
        w.close()
    with b.open("wb") as f:
        w = CpioWriter(f)
        w.parents("etc/x")
        w.data("etc/x", b"overlay")
        w.close()
    both = concatenate([a, b], tmp_path / "initrd")
    assert cpio_reader.as_dict(both)["etc/x"].data == b"overlay"  # read() asserts each member is 4-aligned


def test_a_missing_host_tool_says_which_package_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    ours = tmp_path / "wireguard.ko"
    ours.write_bytes(b"ours")
    with pytest.raises(UserError) as err:
        build_overlay(OverlayRequest(out=tmp_path / "o.cpio", release=RELEASE, wireguard_ko=ours))
    assert "depmod is not installed" in err.value.cause
    assert "apt-get install kmod" in err.value.fix
