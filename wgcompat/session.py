"""What the user-facing tasks do once the options are parsed: boot, smoke, test.

Each plans its run once (wgcompat.run.plan) and then boots or tests what the plan chose;
`invoke test` hands the plan to pytest as the run's artefacts.json.
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from wgcompat import paths
from wgcompat.arch import DEFAULT as DEFAULT_ARCH
from wgcompat.errors import UserError
from wgcompat.image.overlay import Put, checked_put
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.select import KernelSelection, resolve_kernel
from wgcompat.module_build import ModuleBuild
from wgcompat.progress import Ticker, say
from wgcompat.run.guests import bootable, start_guest
from wgcompat.run.plan import FILE_NAME, PlannedRun, RunRequest, plan_run
from wgcompat.vm.launcher import GuestVM
from wgcompat.vm.shell import chain, cmd, redirect


def _booted(stack: ExitStack, kb: KernelBuild, module: ModuleBuild | None, puts: list[Put],
            log_dir: Path) -> GuestVM:
    """The guest, image made and booted under a progress line; ``stack`` shuts it down."""
    started = time.monotonic()
    with Ticker(f"making the guest image and booting {kb.release}"):
        vm = stack.enter_context(start_guest(kb, module, puts, log_dir))
    say(f"guest up in {time.monotonic() - started:.1f} s")
    return vm


def parse_put(spec: str) -> Put:
    """``--put HOST:GUEST``: a file or folder for the guest's image (checked as start_guest's put is)."""
    host, sep, guest = spec.partition(":")
    if not sep or not host or not guest.startswith("/"):
        raise UserError(f"--put {spec!r} is not HOST:GUEST", "write --put ./file:/root/file (the guest path is absolute)")
    try:
        return checked_put(Path(host).expanduser(), guest)
    except UserError as exc:
        raise UserError(f"--put {spec!r}: {exc.cause}", exc.fix) from None


def console_log_dir(kb: KernelBuild, what: str) -> Path:
    return paths.logs_dir() / f"{what}-{kb.build_dir.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def boot_session(sel: KernelSelection, crypto: str, debug_module: bool, command: str | None, put: list[str],
                 with_module: bool = True, module_source: str = "build") -> int:
    puts = [parse_put(p) for p in put]
    if with_module:
        request = RunRequest(sel, crypto=crypto, debug_module=debug_module, module_source=module_source)
        artefacts = plan_run(request).require()
        kb, module = artefacts.kernel, artefacts.module
    elif module_source != "build":
        raise UserError(f"--no-module with --module-source {module_source}: the guest is to have no module of ours",
                        "drop one of them")
    else:
        kb, module = resolve_kernel(sel), None
    bootable(kb)
    log_dir = console_log_dir(kb, "boot")
    say(f"booting {kb.release}; console log in {log_dir}")
    with ExitStack() as stack:
        vm = _booted(stack, kb, module, puts, log_dir)
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


KEY = "/tmp/k"
# (what, command, text its output must contain)
SMOKE_STEPS = (
    ("load the module", chain(cmd("modprobe", "wireguard"), cmd("cat", "/sys/module/wireguard/version")), ""),
    ("create an interface", chain(cmd("ip", "link", "add", "wg0", "type", "wireguard"),
                                  cmd("ip", "-d", "link", "show", "wg0")), "wireguard"),
    ("configure it with wg", chain(cmd("umask", "077"), redirect(cmd("wg", "genkey"), stdout=KEY),
                                   cmd("wg", "set", "wg0", "private-key", KEY, "listen-port", 51820),
                                   cmd("wg", "show", "wg0", "listen-port"),
                                   redirect(cmd("wg", "show", "wg0", "public-key"), stdout="/tmp/shown"),
                                   redirect(cmd("wg", "pubkey"), stdin=KEY, stdout="/tmp/derived"),
                                   cmd("cmp", "/tmp/shown", "/tmp/derived"), cmd("echo", "public-key-matches")),
     "51820\npublic-key-matches"),
    ("delete it and unload", chain(cmd("ip", "link", "del", "wg0"), cmd("rmmod", "wireguard"),
                                   cmd("test", "!", "-d", "/sys/module/wireguard"), cmd("echo", "unloaded")),
     "unloaded"),
)


def smoke(sel: KernelSelection, crypto: str) -> int:
    """Kernel, module, boot, load, smoke-check; then the stages and where everything is."""
    planned = plan_run(RunRequest(sel, crypto=crypto))
    artefacts = planned.require()
    kb, module = artefacts.kernel, artefacts.module
    report = planned.write(paths.REPORTS / "smoke" / FILE_NAME)
    log_dir = console_log_dir(kb, "smoke")
    say(f"booting {kb.release}; console log in {log_dir}")
    failures = 0
    with ExitStack() as stack:
        vm = _booted(stack, kb, module, [], log_dir)
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
    print_stages(planned)
    print("\nartefacts:")
    for name, path in (("kernel image", kb.image), ("kernel build", kb.build_dir), ("modules", kb.modules_root),
                       ("wireguard.ko", module.ko), ("compat.h", module.compat_h),
                       ("module build log", module.log), ("console log", log_dir), ("artefacts file", report)):
        print(f"  {name:17} {path}")
    return 1 if failures else 0


def print_stages(planned: PlannedRun) -> None:
    print("\nstages:")
    for stage in planned.stages:
        print(f"  {stage.line()}")


def pytest_vm_args(artefacts: Path, junit: Path, keyword: str | None,
                   test_paths: tuple[str, ...] = ("vmtests",)) -> list[str]:
    """pytest over ``test_paths`` for the run planned in ``artefacts`` (its artefacts.json)."""
    args = [sys.executable, "-m", "pytest", *test_paths, f"--artefacts={artefacts}",
            f"--junitxml={junit}", f"--console-logs={junit.parent / 'consoles'}", "-rfE",
            f"--basetemp={junit.parent / 'tmp'}"]  # concurrent pytest runs must not clean each other's temp dirs
    if keyword:
        args += ["-k", keyword]
    return args


def run_vmtests(sel: KernelSelection, crypto: str = "auto", keyword: str | None = None,
                junit: Path | None = None, debug_module: bool = False, module_source: str = "build") -> int:
    """Plan the run (kernel and module, resolved once), write its artefacts.json beside the
    JUnit file, and run the VM suites on it."""
    request = RunRequest(sel, crypto=crypto, debug_module=debug_module, module_source=module_source)
    target = sel.kernel or (sel.kernel_src and Path(sel.kernel_src).name) or "kernel-dir"
    if sel.arch != DEFAULT_ARCH:
        target = f"{target}-{sel.arch}"
    junit = junit or paths.vmtests_report_dir(target, sel.flavour, crypto, debug_module, module_source) / "junit.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    planned = plan_run(request)
    artefacts = planned.write(junit.parent / FILE_NAME)
    for stage in planned.stages:
        say(stage.line())
    return subprocess.run(pytest_vm_args(artefacts, junit, keyword), cwd=paths.REPO).returncode
