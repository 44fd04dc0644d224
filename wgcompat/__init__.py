"""wgcompat: build, boot and test WireGuard on any Linux kernel.

The package is organised by stage, in the manner of KUnit's kunit.py:
typed requests flow fetch -> configure -> build -> boot -> test -> report.

  wgcompat.kernel   versions, providers (Debian, kernel.org, local), kconfig, kernel build
  wgcompat.compat   compat.h generator, self-contained: its probes and templates are package data
  wgcompat.package  what packagers get: the DKMS tree, the .deb, the source tarball
  wgcompat.image    the guest's image: Debian packages, rootfs staging, cpio, per-boot overlay
  wgcompat.vm       QEMU argv, the launcher (builds nothing), serial console protocol, kernel-log watcher
  wgcompat.run      a run planned once; its guests (image, then boot) for the sessions and suites
"""
