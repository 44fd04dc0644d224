"""wgcompat: build, boot and test WireGuard on any Linux kernel.

The package is organised by stage, in the manner of KUnit's kunit.py:
typed requests flow fetch -> configure -> build -> boot -> test -> report.

  wgcompat.kernel   versions, providers (Debian, kernel.org, local), kconfig, kernel build
  wgcompat.compat   compat.h generator (probes under compat/ at the repository root)
  wgcompat.guest    initramfs, QEMU launcher, serial console protocol, kernel-log watcher
"""
