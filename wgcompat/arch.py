"""The architectures a test kernel is built for and booted on, as data: what Kbuild, Debian
and QEMU call each one, and how its guest is wired (console, shell port, machine).

    ARCHES["arm64"].kbuild_args()     ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=... on an x86_64 host
    arch_of_config(dotconfig)         which one a configured tree was built for (its .config says)

The host builds every kernel: a native one with its own gcc, a foreign one with Debian's
cross compiler (``cross_package``). A tree names its architecture in its .config (the
``kconfig`` symbol set to y), so a build tree or headers a user points at are asked, never
assumed to be the host's.

Each guest has two character ports, as on x86_64 (wgcompat.vm.qemu): the kernel console,
which QEMU writes to a file, and the command shell on QEMU's stdio. Where the machine has a
second serial port (x86's ttyS1) the shell uses it; arm64's virt machine has one PL011
UART, so the shell is a virtio console (hvc0).
"""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass

from wgcompat.errors import UserError

DEFAULT = "x86_64"


@dataclass(frozen=True)
class Arch:
    name: str                 # ours, as --arch takes it: x86_64, arm64
    kbuild: str               # Kbuild's ARCH
    kconfig: str              # the symbol a .config of this architecture sets to y
    uname: str                # what `uname -m` prints on it
    gnu: str                  # the GNU triplet: the cross compiler's prefix, the library folder
    debian: str               # Debian's architecture name (the guest's packages)
    image: str                # the bootable image, relative to the build tree
    image_target: str         # Kbuild's target that makes it
    qemu: str                 # the QEMU system emulator
    qemu_package: str         # its Debian package
    machine: tuple[str, ...]  # -machine arguments (empty: QEMU's default for the binary)
    tcg_cpu: str              # the CPU model under TCG
    console: str              # the kernel console's device (console=)
    console_major_minor: tuple[int, int]
    shell: str                # the command shell's device (wgcompat.shell=)
    shell_major_minor: tuple[int, int]
    shell_on_serial: bool     # True: a second serial port; False: a virtio console
    cmdline: tuple[str, ...]  # kernel parameters this architecture's guests add
    fragment: str             # kconfigs/arch/<fragment>: what booting it needs
    virtio_bus: str = "pci"   # the transport of its virtio devices (QEMU's virtio-net-pci, -ccw)

    @property
    def native(self) -> bool:
        return self.uname == platform.machine()

    @property
    def cross_compile(self) -> str:
        """CROSS_COMPILE for a build on this host ("" when native)."""
        return "" if self.native else f"{self.gnu}-"

    @property
    def cross_package(self) -> str:
        return f"gcc-{self.gnu}"

    @property
    def gcc(self) -> str:
        return f"{self.cross_compile}gcc"

    @property
    def qemu_user(self) -> str:
        """QEMU's user-mode emulator for this architecture's programs (Debian's qemu-user)."""
        return f"qemu-{self.uname}"

    def check_compiler(self) -> None:
        if shutil.which(self.gcc) is None:
            raise UserError(f"building for {self.name} needs {self.gcc}, which this machine lacks",
                            f"apt-get install {self.cross_package if not self.native else 'gcc'} "
                            "(./wgc installs it for you)")

    def virtio(self, device: str) -> str:
        """QEMU's name of a virtio device on this machine: ``virtio-net`` -> virtio-net-pci."""
        return f"{device}-{self.virtio_bus}"

    def kbuild_args(self, ccache: bool) -> list[str]:
        """The make arguments every Kbuild run for this architecture takes (kernel, probes,
        module): the compiler (through ccache when there is one) and, for a foreign
        architecture, ARCH and CROSS_COMPILE. A native build gives no ARCH, as before."""
        wrap = "ccache " if ccache else ""
        args = [] if self.native else [f"ARCH={self.kbuild}", f"CROSS_COMPILE={self.cross_compile}"]
        return [*args, f"CC={wrap}{self.gcc}", f"HOSTCC={wrap}gcc"]


ARCHES: dict[str, Arch] = {
    # q35 rather than QEMU's default pc: pc's ACPI routes PCI interrupts with a _PRT method
    # that loops over every slot, evaluated once per device; a debug kernel's interpreter
    # (KASAN, lockdep, TCG) ran it into ACPI's 30 s loop timeout (AE_AML_LOOP_TIMEOUT), the
    # virtio devices got no interrupt ("can't derive routing for PCI INT A") and the boot
    # hung in virtio-rng. q35's _PRT returns a fixed table.
    "x86_64": Arch(
        name="x86_64", kbuild="x86", kconfig="X86_64", uname="x86_64", gnu="x86_64-linux-gnu", debian="amd64",
        image="arch/x86/boot/bzImage", image_target="bzImage",
        qemu="qemu-system-x86_64", qemu_package="qemu-system-x86", machine=("-machine", "q35"), tcg_cpu="max",
        console="ttyS0", console_major_minor=(4, 64), shell="ttyS1", shell_major_minor=(4, 65),
        shell_on_serial=True, cmdline=("tsc=reliable", "no_timer_check"), fragment="x86_64.config"),
    # cortex-a72 rather than max: max emulates the pointer authentication the userland's
    # code is built with (cortex-a72 runs those hints as no-ops); in a guest max took 5-17%
    # longer on a Python loop and SHA-256 (docs/kernels.md).
    "arm64": Arch(
        name="arm64", kbuild="arm64", kconfig="ARM64", uname="aarch64", gnu="aarch64-linux-gnu", debian="arm64",
        image="arch/arm64/boot/Image", image_target="Image",
        qemu="qemu-system-aarch64", qemu_package="qemu-system-arm", machine=("-machine", "virt,gic-version=3"),
        tcg_cpu="cortex-a72", console="ttyAMA0", console_major_minor=(204, 64), shell="hvc0",
        shell_major_minor=(229, 0), shell_on_serial=False, cmdline=(), fragment="arm64.config"),
    # big-endian: the one such architecture Debian carries with a full userland. QEMU's
    # -serial is the SCLP's line console there (ttysclp0); virtio devices sit on the
    # channel subsystem (ccw).
    "s390x": Arch(
        name="s390x", kbuild="s390", kconfig="S390", uname="s390x", gnu="s390x-linux-gnu", debian="s390x",
        image="arch/s390/boot/bzImage", image_target="bzImage",
        qemu="qemu-system-s390x", qemu_package="qemu-system-misc", machine=("-machine", "s390-ccw-virtio"),
        tcg_cpu="qemu", console="ttysclp0", console_major_minor=(4, 64), shell="hvc0",
        shell_major_minor=(229, 0), shell_on_serial=False, cmdline=(), fragment="s390x.config",
        virtio_bus="ccw"),
}


def get(name: str | None) -> Arch:
    """The architecture ``name`` (None: the default), or an error naming the choices."""
    arch = ARCHES.get(name or DEFAULT)
    if arch is None:
        raise UserError(f"--arch {name} is not an architecture wgcompat knows",
                        f"use one of: {', '.join(ARCHES)}")
    return arch


def arch_of_config(values: dict[str, str]) -> Arch:
    """The architecture a .config (its CONFIG_X=value pairs) was made for."""
    for arch in ARCHES.values():
        if values.get(f"CONFIG_{arch.kconfig}") == "y":
            return arch
    raise UserError("the kernel's .config names none of the architectures wgcompat builds for "
                    f"({', '.join(f'CONFIG_{a.kconfig}' for a in ARCHES.values())})",
                    "point at a tree configured for one of them")
