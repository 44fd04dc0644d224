"""The base image built from fake .deb files (no network, no VM): its contents, the cache,
interrupted builds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.image import cpio_reader
from tests.image.fake_debs import PACKAGES, Fetcher, make_deb, needs_busybox
from wgcompat.image import base
from wgcompat.image.base import build_base
from wgcompat.image.debs import closure


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
    real_write = base.write_archive

    def write_half_then_die(staging: Path, archive: Path, compress: base.Compression, arch) -> None:
        archive.write_bytes(b"070701" + b"0" * 100)  # a partial archive, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(base, "write_archive", write_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        build_base(cache_dir=cache, packages=PACKAGES, fetch=Fetcher(debs))
    assert [p.name for p in cache.iterdir() if p.name != "base.lock"] == []

    # a build killed with SIGKILL leaves its temporary folder behind: it is not taken for an image
    family = base._key(PACKAGES, "none", None)
    leftover = cache / f".tmp-base-{family}-deadbeef-999999999"
    leftover.mkdir()
    (leftover / "base.cpio").write_bytes(b"partial")
    (leftover / "manifest.json").write_text(json.dumps({"key": "x", "packages": [], "debs": [], "archive": "base.cpio"}))
    incomplete = cache / f"base-{family}-cafe"  # renamed in place but without its manifest: not complete either
    incomplete.mkdir()

    monkeypatch.setattr(base, "write_archive", real_write)
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
