"""The per-boot overlay: a second, small cpio archive that Linux unpacks over the base image.

It holds the kernel's modules (``<modules_root>/lib/modules/<release>``, build and source
links left out; for a distribution kernel only ``select_modules`` and what they depend on,
wgcompat.image.kmods, with the list the guest's /init loads at boot) with the kernel's own ``wireguard.ko`` moved out of the module path to
``/lib/modules/reference/``, our ``wireguard.ko`` as
``/lib/modules/<release>/updates/wireguard.ko`` (one DKMS built: where DKMS installed it,
``updates/dkms/``), the modules.* indexes of ``depmod`` run
on that tree, and the files the caller puts into the guest (``put``: host file or folder,
absolute guest path). That list is the one way a file reaches the guest before it boots;
``checked_put`` is the one check of an entry, for the command line (``--put``) and here.
"""

from __future__ import annotations

import gzip
import lzma
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.image import kmods
from wgcompat.image.cpio import CpioWriter
from wgcompat.image.hosttools import run_tool

Put = tuple[Path, str]  # (host file or folder, absolute guest path)

_KO = re.compile(r"\.ko(\.xz|\.zst|\.gz)?$")


@dataclass(frozen=True)
class OverlayRequest:
    release: str | None = None              # kernel release; from modules_root or the .ko if None
    modules_root: Path | None = None        # INSTALL_MOD_PATH of the kernel (holds lib/modules/<release>)
    wireguard_ko: Path | None = None        # our module
    # where the guest gets it, under lib/modules/<release>/ (a module DKMS built: where DKMS
    # installed it, updates/dkms/wireguard.ko[.xz])
    wireguard_path: str = "updates/wireguard.ko"
    put: Sequence[Put] = field(default_factory=tuple)
    # None: every module of the tree (our test kernels); names: only these and their
    # dependencies, loaded at boot (a distribution kernel's whole tree, kmods.GUEST_MODULES)
    select_modules: Sequence[str] | None = None
    arch: str = "x86_64"                    # wgcompat.arch: whose base image the overlay goes on


@dataclass(frozen=True)
class Overlay:
    path: Path
    release: str | None
    modules: int                # .ko files in the overlay
    reference_ko: bool          # the kernel's own wireguard.ko was moved to /lib/modules/reference


def checked_put(host: Path, guest: str) -> Put:
    """A file or folder to put into the guest: the guest path must be absolute and the host one exist."""
    if not guest.startswith("/"):
        raise UserError(f"guest path {guest!r} is not absolute", "write the guest path as /root/name")
    if not host.exists():
        raise UserError(f"{host} does not exist", "name an existing file or folder on the host")
    if not (host.is_file() or host.is_dir()):
        raise UserError(f"{host} is neither a file nor a folder", "name a file or folder on the host")
    return host, guest


def ko_release(ko: Path) -> str:
    """The kernel release a module was built for (from its vermagic)."""
    proc = run_tool(["modinfo", "-F", "vermagic", str(ko)])
    words = proc.stdout.split()
    if proc.returncode != 0 or not words:
        raise UserError(f"cannot read the vermagic of {ko}: {proc.stderr.strip() or 'no vermagic'}",
                        "pass the kernel release explicitly, or check that the file is a kernel module")
    return words[0]


def _release_of(modules_root: Path) -> str:
    mods = modules_root / "lib/modules"
    found = sorted(p.name for p in mods.iterdir() if p.is_dir()) if mods.is_dir() else []
    if len(found) != 1:
        raise UserError(f"{modules_root} should hold exactly one lib/modules/<release> folder, it has {found or 'none'}",
                        "pass the folder given to `make modules_install INSTALL_MOD_PATH=...`, or name the release")
    return found[0]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _stage_modules(req: OverlayRequest, release: str, stage: Path) -> tuple[int, bool]:
    """lib/modules of the overlay under ``stage``, depmod run; (.ko files, whether the kernel's
    own wireguard.ko went to reference/)."""
    moddir = stage / "lib/modules" / release
    src = req.modules_root / "lib/modules" / release if req.modules_root else None
    if src is not None:
        if not src.is_dir():
            raise UserError(f"{req.modules_root} has no lib/modules/{release}",
                            "run `make modules_install INSTALL_MOD_PATH=<dir>` for this kernel")
        if req.select_modules is None:
            shutil.copytree(src, moddir, symlinks=True, copy_function=_link_or_copy,
                            ignore=lambda d, names: [n for n in names if n in ("build", "source")])
        else:
            _stage_selected(src, moddir, req.select_modules, stage / kmods.BOOT_LIST)
    moddir.mkdir(parents=True, exist_ok=True)
    own = sorted((moddir / "kernel/drivers/net/wireguard").glob("wireguard.ko*"))
    if own:
        ref = stage / "lib/modules/reference"
        ref.mkdir(parents=True, exist_ok=True)
        for ko in own:
            _move_reference(ko, ref)
    if req.wireguard_ko is not None:
        if not req.wireguard_ko.is_file():
            raise UserError(f"{req.wireguard_ko} does not exist", "build the module first (invoke build)")
        target = moddir / req.wireguard_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(req.wireguard_ko, target)
    proc = run_tool(["depmod", "-b", str(stage), release])
    if proc.returncode != 0:
        raise UserError(f"depmod failed for the guest's modules ({release}): {proc.stderr.strip()}",
                        "check the modules folder; `apt-get install kmod` provides depmod")
    return sum(1 for p in moddir.rglob("*") if _KO.search(p.name)), bool(own)


def _move_reference(ko: Path, ref: Path) -> None:
    """The kernel's own wireguard.ko into ``ref``, as ``wireguard.ko`` even where the kernel
    compresses its modules (trixie's and sid's ``.ko.xz``): the suites load
    /lib/modules/reference/wireguard.ko by that name (vmtests/lib/implementation.py)."""
    if ko.suffix == ".ko":
        shutil.move(str(ko), ref / ko.name)
        return
    openers = {".xz": lzma.open, ".gz": gzip.open}
    if ko.suffix not in openers:
        raise UserError(f"the kernel's own {ko.name} is compressed in a way the image builder cannot undo",
                        "report this; .ko, .ko.xz and .ko.gz are understood")
    with openers[ko.suffix](ko, "rb") as src, (ref / "wireguard.ko").open("wb") as dst:
        shutil.copyfileobj(src, dst)
    ko.unlink()


# the indexes depmod reads besides the modules themselves
_INDEXES = ("modules.builtin", "modules.builtin.modinfo", "modules.order")


def _stage_selected(src: Path, moddir: Path, names: Sequence[str], boot_list: Path) -> None:
    """``names`` (and the kernel's own WireGuard) with their closure from ``src``'s
    modules.dep, and the boot list of those the guest loads."""
    tree = kmods.ModuleTree.read(src)
    for rel in tree.closure([*names, kmods.REFERENCE]):
        (moddir / rel).parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(src / rel), str(moddir / rel))
    for index in _INDEXES:
        if (src / index).is_file():
            _link_or_copy(str(src / index), str(moddir / index))
    boot_list.parent.mkdir(parents=True, exist_ok=True)
    boot_list.write_text("".join(f"{name}\n" for name in tree.modules(names)))


def build_overlay(req: OverlayRequest, out: Path) -> Overlay:
    """Write the overlay archive of ``req`` to ``out``."""
    release = req.release
    if release is None and req.modules_root is not None:
        release = _release_of(req.modules_root)
    if release is None and req.wireguard_ko is not None:
        release = ko_release(req.wireguard_ko)
    count, reference = 0, False
    with tempfile.TemporaryDirectory(prefix="wgc-overlay-") as tmpname:
        stage = Path(tmpname) / "root"
        if release is not None:
            count, reference = _stage_modules(req, release, stage)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as f:
            w = CpioWriter(f)
            if stage.exists():
                w.tree("", stage)
            for host, guest in (checked_put(host, guest) for host, guest in req.put):
                if host.is_dir():
                    w.tree(guest, host)
                else:
                    w.parents(guest)
                    w.file(guest, host)
            w.close()
    return Overlay(path=out, release=release, modules=count, reference_ko=reference)
