"""Booting a guest and talking to it; nothing here builds an image.

    qemu.py      the QEMU command line, written in one place (qemu_argv), and the network links
    kvm.py       whether KVM may be used (a probe boot, cached per host); else TCG
    launcher.py  GuestVM: QEMU on a kernel and a ready image (wgcompat.image.initrd.BootImage)
    pair.py      two guests wired together
    console.py   the console protocol over the shell port, its errors
    shell.py     guest shell lines from argument lists (shlex), never formatted strings
    klog.py      the kernel-report detector run on the console log

See README.md. A run's kernel and module become a booted guest in wgcompat.run.guests.
"""
