"""A stand-in for qemu-system-x86_64 in the unit tests (no VM).

It reads the same arguments the harness gives QEMU: the kernel console file
(``-chardev file,id=console,path=...``) and the kernel command line
(``-append``). Then, as the guest would, it serves the console protocol on its
stdio by running the real ``wgc-server`` with bash, with the console file as
the guest's /dev/kmsg (so commands can write "kernel messages").

``fake.mode=`` on the kernel command line picks a behaviour:
  ok (default)   boot, serve commands
  panic          print a kernel panic to the console and exit, like QEMU with -no-reboot
  hang           never become ready
  bootwarn       print a WARNING during boot, then serve commands
  nosync         serve commands, but the sync lines never reach the console
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "wgcompat/image/files/wgc-server"

BOOT = "[    0.000000] Linux version 6.1.0-fake (fake@test) #1 SMP\n[    0.500000] Run /init as init process\n"
PANIC = """[    0.600000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
[    0.600100] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-fake #1
[    0.600200] Call Trace:
[    0.600300]  <TASK>
[    0.600400]  panic+0x118/0x2ea
[    0.600500]  </TASK>
[    0.600600] Kernel Offset: disabled
"""
WARN = """[    0.550000] ------------[ cut here ]------------
[    0.550100] WARNING: CPU: 0 PID: 1 at init/main.c:1 boot_thing+0x1/0x2
[    0.550200] Call Trace:
[    0.550300]  boot_thing+0x1/0x2
[    0.550400] ---[ end trace 0000000000000000 ]---
"""


def main(argv: list[str]) -> int:
    append = argv[argv.index("-append") + 1]
    params = dict(p.split("=", 1) for p in append.split() if "=" in p)
    chardev = next(a for a in argv if a.startswith("file,id=console,path="))
    log = chardev.split("path=", 1)[1]
    if os.environ.get("FAKE_QEMU_PIDFILE"):
        Path(os.environ["FAKE_QEMU_PIDFILE"]).write_text(str(os.getpid()))
    mode = params.get("fake.mode", "ok")
    with open(log, "a") as f:
        f.write(BOOT)
        if mode == "panic":
            f.write(PANIC)
        if mode == "bootwarn":
            f.write(WARN)
    if mode == "panic":
        print("qemu-system-x86_64: guest reset (fake)", flush=True)
        return 0
    if mode == "hang":
        while True:
            signal.pause()
    kmsg = "/dev/null" if mode == "nosync" else log  # nosync: the console hides the guest's sync lines
    env = {**os.environ, "WGC_KMSG": kmsg, "WGC_TOKEN": params["wgcompat.token"]}
    os.execvpe("bash", ["bash", str(SERVER)], env)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
