"""start_guest: a run's kernel and module made into an image, then handed to the launcher
(a recording stand-in for GuestVM here; real boots are in vmtests/)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pytest

from tests.image import cpio_reader
from wgcompat.errors import UserError
from wgcompat.image import initrd
from wgcompat.image.base import BaseImage
from wgcompat.image.cpio import CpioWriter
from wgcompat.kernel.build import KernelBuild
from wgcompat.module_build import ModuleBuild
from wgcompat.run import guests

RELEASE = "9.9.9-test"


class Launched:
    """Stands in for GuestVM: reads the image it was given while the guest would run."""

    last: "Launched | None" = None

    def __init__(self, kernel: Path, image: initrd.BootImage, *, log_dir: Path, cmdline_extra: str) -> None:
        self.kernel, self.image, self.log_dir, self.cmdline_extra = kernel, image, log_dir, cmdline_extra
        self.entries: dict[str, cpio_reader.Entry] = {}
        Launched.last = self

    def __enter__(self) -> "Launched":
        self.entries = cpio_reader.as_dict(self.image.initrd)
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        return None


@pytest.fixture
def kernel_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KernelBuild:
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    base = tmp_path / "base.cpio"
    with base.open("wb") as f:
        w = CpioWriter(f)
        w.data("init", b"#!/bin/sh\n", 0o755)
        w.close()
    monkeypatch.setattr(initrd, "build_base", lambda arch: BaseImage(base, (), base.stat().st_size, True, 0.0))
    monkeypatch.setattr(guests, "GuestVM", Launched)
    image = tmp_path / "bzImage"
    image.write_bytes(b"kernel")
    modules = tmp_path / "modules-root"
    (modules / "lib/modules" / RELEASE / "kernel").mkdir(parents=True)
    return KernelBuild(build_dir=tmp_path / "build", release=RELEASE, version="9.9.9", flavour="normal",
                       image=image, modules_root=modules)


def test_the_image_holds_the_module_and_the_files_put_and_goes_away(kernel_build: KernelBuild,
                                                                     tmp_path: Path) -> None:
    ko = tmp_path / "wireguard.ko"
    ko.write_bytes(b"ours")
    module = ModuleBuild(ko=ko, build_dir=tmp_path, compat_h=tmp_path / "compat.h", log=tmp_path / "log",
                         warnings=(), seconds=0.0)
    conf = tmp_path / "wg0.conf"
    conf.write_text("[Interface]\n")
    with guests.start_guest(kernel_build, module, [(conf, "/root/wg0.conf")], tmp_path / "logs",
                            cmdline_extra="quiet") as vm:
        assert vm is Launched.last and vm.kernel == kernel_build.image
        assert (vm.log_dir, vm.cmdline_extra) == (tmp_path / "logs", "quiet")
        assert vm.entries["init"].data == b"#!/bin/sh\n"
        assert vm.entries[f"lib/modules/{RELEASE}/updates/wireguard.ko"].data == b"ours"
        assert vm.entries["root/wg0.conf"].data == b"[Interface]\n"
        assert vm.image.release == RELEASE
    assert not vm.image.initrd.exists()


def test_a_kernel_without_an_image_is_refused_before_anything_is_built(kernel_build: KernelBuild,
                                                                       tmp_path: Path) -> None:
    headers = KernelBuild(build_dir=tmp_path / "headers", release=RELEASE, version="9.9.9", flavour="normal")
    with pytest.raises(UserError) as err:
        guests.start_guest(headers, None, [], tmp_path / "logs")
    assert "no kernel image to boot" in err.value.cause
