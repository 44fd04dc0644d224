"""The guest side of the harness: userland, QEMU, console, kernel-log watch.

Public API (what tasks.py, session.py and vmtests/ use)::

    from wgcompat.guest.vm import GuestVM, KernelSplat, wired_vms
    from wgcompat.guest.console import (CommandResult, GuestError, BootFailed, BootPanic, BootHang,
                                        CommandTimeout, GuestDied, ConsoleBroken)

    GuestVM(kernel_image: Path, modules_root: Path | None = None, wireguard_ko: Path | None = None,
            put: Sequence[tuple[Path, str]] = (), log_dir: Path | None = None, memory_mb: int = 1024,
            cpus: int = 2, cmdline_extra: str = "", accel: "auto"|"tcg"|"kvm" = "auto",
            links: Sequence[NetLink] = (), hostname: str = "wgcompat", boot_timeout: float | None = None,
            release: str | None = None, base: BaseImage | None = None, qemu: str = "qemu-system-x86_64",
            name: str = "vm")
        context manager; .run(cmd, timeout=60, check_kernel=True) -> CommandResult(status, output)
        .check(cmd, timeout) -> output (non-zero status raises), .put(host, guest) (small files),
        .interact(), .kernel_log(), .check_kmemleak(), .boot_reports,
        .boot_seconds, .accel, .log_dir, .pid, .close()
    wired_vms(kernel_image, *, log_dir=None, addresses=("10.77.0.1/24", "10.77.0.2/24"),
              model="virtio-net-pci", first=None, second=None, **common) -> ctx of (vm1, vm2)

    wgcompat.guest.initramfs.build_base(...) -> BaseImage    (cached Debian userland)
    wgcompat.guest.initramfs.build_overlay(OverlayRequest) -> Overlay
    wgcompat.guest.qemu.VMSpec, NetLink, build_argv(spec, accel), probe_kvm(kernel), resolve_accel(...)
    wgcompat.guest.klog.find_reports(text) -> list[KernelReport(kind, title, text, line)]

In the guest: /init (files/init) mounts proc, sys, devtmpfs, devpts, tmpfs on
/tmp and /run, cgroup2, debugfs; sets the hostname; brings up lo and the NICs
named on the command line; then serves the console protocol (files/wgc-server)
on ttyS1. ``wgc-load-reference`` loads the kernel's own WireGuard from
/lib/modules/reference with its dependencies.
"""
