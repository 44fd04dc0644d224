"""What the user-facing tasks do once the options are parsed: boot, smoke, test, ci."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from wgcompat import matrix, paths
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.module_build import ModuleBuild, ModuleBuildRequest, build_module
from wgcompat.pipeline import KernelSelection, resolve_kernel, say, selection

REPORTS = paths.REPO / "reports"


def parse_put(spec: str) -> tuple[Path, str]:
    host, sep, guest = spec.partition(":")
    if not sep or not host or not guest.startswith("/"):
        raise UserError(f"--put {spec!r} is not HOST:GUEST", "write --put ./file:/root/file (the guest path is absolute)")
    path = Path(host).expanduser()
    if not path.exists():
        raise UserError(f"--put {spec!r}: {path} does not exist", "name an existing file or folder on the host")
    return path, guest


def bootable(kb: KernelBuild) -> Path:
    if kb.image is None or not kb.image.is_file():
        raise UserError(f"{kb.build_dir} has no kernel image to boot (headers or an unbuilt tree)",
                        "use --kernel VERSION or --kernel-src PATH so wgcompat builds a bootable kernel")
    return kb.image


def console_log_dir(kb: KernelBuild, what: str) -> Path:
    return paths.logs_dir() / f"{what}-{kb.build_dir.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def start_guest(kb: KernelBuild, module: ModuleBuild | None, put: list[tuple[Path, str]], log_dir: Path,
                cmdline_extra: str = ""):
    """The one place the harness starts a guest (a GuestVM context manager)."""
    from wgcompat.guest.vm import GuestVM

    return GuestVM(kernel_image=bootable(kb), modules_root=kb.modules_root,
                   wireguard_ko=module.ko if module else None, put=put, log_dir=log_dir,
                   cmdline_extra=cmdline_extra)


def boot_session(sel: KernelSelection, crypto: str, debug_module: bool, command: str | None, put: list[str],
                 with_module: bool = True) -> int:
    puts = [parse_put(p) for p in put]
    kb = resolve_kernel(sel)
    bootable(kb)
    module = build_module(ModuleBuildRequest(kb, crypto=crypto, debug=debug_module), progress=say) if with_module else None
    log_dir = console_log_dir(kb, "boot")
    say(f"booting {kb.release}; console log in {log_dir}")
    with start_guest(kb, module, puts, log_dir) as vm:
        if module:
            loaded = vm.run("modprobe wireguard", timeout=60)
            if loaded.status != 0:
                raise UserError(f"modprobe wireguard failed in the guest: {loaded.output.strip()}",
                                f"see the console log in {log_dir}")
        if command is None:
            vm.interact()
            return 0
        result = vm.run(command, timeout=600)
        sys.stdout.write(result.output)
        if result.output and not result.output.endswith("\n"):
            sys.stdout.write("\n")
        return result.status


# (what, command, text its output must contain)
SMOKE_STEPS = (
    ("load the module", "modprobe wireguard && cat /sys/module/wireguard/version", ""),
    ("create an interface", "ip link add wg0 type wireguard && ip -d link show wg0", "wireguard"),
    ("configure it with wg", "umask 077 && wg genkey > /tmp/k && wg set wg0 private-key /tmp/k listen-port 51820 "
                             "&& wg show wg0 listen-port && test \"$(wg show wg0 public-key)\" = \"$(wg pubkey < /tmp/k)\" "
                             "&& echo public-key-matches", "51820\npublic-key-matches"),
    ("delete it and unload", "ip link del wg0 && rmmod wireguard && ! test -d /sys/module/wireguard && echo unloaded",
     "unloaded"),
)


def smoke(sel: KernelSelection, crypto: str) -> int:
    """Kernel, module, boot, load, smoke-check; then where everything is."""
    kb = resolve_kernel(sel)
    module = build_module(ModuleBuildRequest(kb, crypto=crypto), progress=say)
    log_dir = console_log_dir(kb, "smoke")
    say(f"booting {kb.release}; console log in {log_dir}")
    failures = 0
    with start_guest(kb, module, [], log_dir) as vm:
        release = vm.run("uname -r", timeout=30).output.strip()
        print(f"guest kernel: {release}")
        for what, cmd, expected in SMOKE_STEPS:
            r = vm.run(cmd, timeout=120)
            good = r.status == 0 and expected in r.output
            mark = "ok" if good else f"FAILED (exit {r.status}{', expected ' + repr(expected) if r.status == 0 else ''})"
            print(f"  {what}: {mark}")
            for line in r.output.strip().splitlines()[-4:]:
                print(f"      {line}")
            failures += not good
    print("\nartefacts:")
    for name, path in (("kernel image", kb.image), ("kernel build", kb.build_dir), ("modules", kb.modules_root),
                       ("wireguard.ko", module.ko), ("compat.h", module.compat_h),
                       ("module build log", module.log), ("console log", log_dir)):
        print(f"  {name:17} {path}")
    return 1 if failures else 0


def pytest_vm_args(sel: KernelSelection, crypto: str, junit: Path, keyword: str | None) -> list[str]:
    args = [sys.executable, "-m", "pytest", "vmtests", f"--config={sel.flavour}", f"--crypto={crypto}",
            f"--junitxml={junit}", f"--console-logs={junit.parent / 'consoles'}", "-rfE",
            f"--basetemp={junit.parent / 'tmp'}"]  # concurrent pytest runs must not clean each other's temp dirs
    if sel.kernel_dir:
        args.append(f"--kernel-dir={sel.kernel_dir}")
    elif sel.kernel_src:
        args.append(f"--kernel-src={sel.kernel_src}")
    else:
        args.append(f"--kernel={sel.kernel or matrix.load().default}")
    if keyword:
        args += ["-k", keyword]
    return args


def run_vmtests(sel: KernelSelection, crypto: str = "auto", keyword: str | None = None,
                junit: Path | None = None) -> int:
    tag = (sel.kernel or (sel.kernel_src and Path(sel.kernel_src).name) or "kernel-dir") + f"-{sel.flavour}"
    junit = junit or REPORTS / tag / "junit.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    code = subprocess.run(pytest_vm_args(sel, crypto, junit, keyword), cwd=paths.REPO).returncode
    return code


def run_ci() -> int:
    """Unit tests, then the VM suites on the default kernel. Stops at the first failing step."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, list[str]]] = [
        ("harness and crypto unit tests", [sys.executable, "-m", "pytest", "tests", "-q", "-rfE",
                                           f"--junitxml={REPORTS / 'unit.xml'}"]),
    ]
    default = matrix.load().default
    sel = selection(default)
    steps.append((f"VM tests on {default}", pytest_vm_args(sel, "auto", REPORTS / f"{default}-normal" / "junit.xml", None)))
    for what, cmd in steps:
        say(f"CI step: {what}")
        started = time.monotonic()
        code = subprocess.run(cmd, cwd=paths.REPO).returncode
        say(f"CI step: {what}: exit {code} after {time.monotonic() - started:.0f} s")
        if code not in (0,):
            return code
    return 0
