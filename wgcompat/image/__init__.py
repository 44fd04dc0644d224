"""The guest's image: what a guest boots besides its kernel, built on the host.

    debs.py       Debian packages: fetched from the private apt environment, read, their closure
    staging.py    the root tree staged from them (+ etc.py: /etc; libcheck.py: the ELF check)
    cpio.py       the cpio "newc" writer
    base.py       the base image (cached per package set): staging.py's tree as one archive
    overlay.py    the per-boot overlay: the kernel's modules, our wireguard.ko, files put in
    initrd.py     base + overlay concatenated into the one initrd of a guest (BootImage)
    probe.py      the KVM probe's tiny initrd
    hosttools.py  the host tools the builder runs, and where to get them
    files/        what the harness itself puts in the guest: /init, the console server,
                  wgc-load-reference

It knows nothing of QEMU: wgcompat.vm boots what this package made. See README.md.
"""
