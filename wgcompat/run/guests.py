"""A run's guests: its kernel build and module build made into an image, then booted.

This is where the stages meet (the image of wgcompat.image, the launcher of wgcompat.vm,
the artefacts of the planned run), so it lives with the run rather than in either stage:
``wgcompat.vm`` boots whatever image it is given and knows no KernelBuild, and
``wgcompat.image`` knows no QEMU. The CLI sessions (wgcompat/session.py), the benchmark
and the VM suites (vmtests/) all start their guests here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.image.initrd import boot_image
from wgcompat.image.kmods import GUEST_MODULES
from wgcompat.image.overlay import OverlayRequest, Put
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.debian_prebuilt import distribution_kernel
from wgcompat.module_build import ModuleBuild
from wgcompat.vm.launcher import GuestVM
from wgcompat.vm.pair import wired_vms


def bootable(kb: KernelBuild) -> Path:
    """The kernel image of ``kb``; a UserError when it has none (headers, an unbuilt tree)."""
    if kb.image is None or not kb.image.is_file():
        raise UserError(f"{kb.build_dir} has no kernel image to boot (headers or an unbuilt tree)",
                        "use --kernel VERSION or --kernel-src PATH so wgcompat builds a bootable kernel")
    return kb.image


def image_request(kb: KernelBuild, module: ModuleBuild | None, put: Sequence[Put] = ()) -> OverlayRequest:
    """The overlay of a guest of ``kb``: its modules, ``module``'s wireguard.ko if any (one DKMS
    built where DKMS installed it), and ``put``."""
    request = OverlayRequest(modules_root=kb.modules_root, wireguard_ko=module.ko if module else None, put=tuple(put),
                             select_modules=GUEST_MODULES if distribution_kernel(kb) else None, arch=kb.arch)
    if module is not None and module.dkms is not None:
        request = replace(request, wireguard_path=module.dkms.guest_path)
    return request


def start_guest(kb: KernelBuild, module: ModuleBuild | None, put: Sequence[Put], log_dir: Path,
                cmdline_extra: str = "") -> AbstractContextManager[GuestVM]:
    """A guest of ``kb`` with ``module`` installed (or none) and ``put`` in its image: a context
    manager that makes the image, boots it, yields the GuestVM and removes both at the end."""
    kernel = bootable(kb)
    return _booted(kernel, image_request(kb, module, put), log_dir, cmdline_extra)


@contextmanager
def _booted(kernel: Path, request: OverlayRequest, log_dir: Path, cmdline_extra: str) -> Iterator[GuestVM]:
    with boot_image(request) as image, GuestVM(kernel, image, log_dir=log_dir, cmdline_extra=cmdline_extra) as vm:
        yield vm


@contextmanager
def start_wired_guests(kb: KernelBuild, log_dir: Path, first: ModuleBuild | None = None,
                       second: ModuleBuild | None = None,
                       second_kernel: KernelBuild | None = None) -> Iterator[tuple[GuestVM, GuestVM]]:
    """Two guests wired together (wgcompat.vm.pair): vm1 of ``kb`` with ``first``'s module, vm2
    of ``second_kernel`` (default: ``kb`` too; it may be of another architecture) with
    ``second``'s (None: the kernel's modules only)."""
    other = second_kernel or kb
    with boot_image(image_request(kb, first), name="vm1") as one, \
            boot_image(image_request(other, second), name="vm2") as two, \
            wired_vms((bootable(kb), bootable(other)), (one, two), log_dir=log_dir) as pair:
        yield pair
