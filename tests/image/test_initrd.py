"""One initrd per guest: base and overlay concatenated, in a per-boot folder that goes away."""

from __future__ import annotations

from pathlib import Path

from tests.image import cpio_reader
from wgcompat.image.base import BaseImage
from wgcompat.image.cpio import CpioWriter
from wgcompat.image.initrd import boot_image, concatenate
from wgcompat.image.overlay import OverlayRequest


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


def small_base(tmp_path: Path) -> BaseImage:
    archive = tmp_path / "base.cpio"
    with archive.open("wb") as f:
        w = CpioWriter(f)
        w.directory("etc")
        w.data("etc/hostname", b"base\n")
        w.close()
    return BaseImage(path=archive, debs=(), size=archive.stat().st_size, cached=True, seconds=0.0)


def test_boot_image_is_the_base_then_the_overlay_and_goes_away_after(tmp_path: Path) -> None:
    put = tmp_path / "hostname"
    put.write_text("overlay\n")
    with boot_image(OverlayRequest(put=[(put, "/etc/hostname")]), base=small_base(tmp_path), name="t") as image:
        assert image.base == tmp_path / "base.cpio" and image.release is None and image.modules == 0
        assert cpio_reader.as_dict(image.initrd)["etc/hostname"].data == b"overlay\n"
        folder = image.initrd.parent
        assert folder.parent == tmp_path / "wgcompat-cache/tmp" and folder.name.startswith("boot-")
    assert not folder.exists()


def test_boot_folders_of_killed_harnesses_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "wgcompat-cache/tmp/boot-999999999-vm-abc"
    stale.mkdir(parents=True)
    (stale / "initrd.img").write_bytes(b"left by a killed run")
    with boot_image(OverlayRequest(), base=small_base(tmp_path)):
        assert not stale.exists()
    assert list((tmp_path / "wgcompat-cache/tmp").iterdir()) == []
