"""Two guests whose eth0 are wired together by a UDP socket pair on 127.0.0.1 (QEMU's socket
backend), booted in parallel; nothing else is reachable from either. Like GuestVM, it
builds nothing: each guest gets its ready image. The two may boot different kernels, of
different architectures (the socket backend carries Ethernet frames, whoever sends them)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from wgcompat import paths
from wgcompat.image.initrd import BootImage
from wgcompat.vm.launcher import GuestVM
from wgcompat.vm.qemu import wired_pair


@contextmanager
def wired_vms(kernel_image: Path | tuple[Path, Path], images: tuple[BootImage, BootImage], *,
              log_dir: Path | None = None, addresses: tuple[str, str] = ("10.77.0.1/24", "10.77.0.2/24"),
              model: str = "virtio-net-pci", **common: Any) -> Iterator[tuple[GuestVM, GuestVM]]:
    """vm1 boots ``images[0]``, vm2 ``images[1]``, both on ``kernel_image`` or each on its own
    (a pair of images); ``common`` goes to both GuestVMs (accel, qemu, ...). Hostnames are vm1
    and vm2, logs in ``log_dir/vm1`` and ``log_dir/vm2``."""
    kernels = kernel_image if isinstance(kernel_image, tuple) else (kernel_image, kernel_image)
    base_dir = Path(log_dir) if log_dir else paths.logs_dir() / f"pair-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    links = wired_pair(addresses[0], addresses[1], model=model)
    with ExitStack() as stack:
        vms: list[GuestVM] = []
        for host, link, kernel, image in zip(("vm1", "vm2"), links, kernels, images):
            vm = GuestVM(kernel, image, log_dir=base_dir / host, links=[link], hostname=host, name=host, **common)
            stack.callback(vm.close)
            vm.launch()
            vms.append(vm)
        for vm in vms:
            vm.wait_ready()
        yield vms[0], vms[1]
