"""What the user-facing tasks do once the options are parsed: boot, smoke, test, ci."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from wgcompat import matrix, paths
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.module_build import ModuleBuild, ModuleBuildRequest, build_module
from wgcompat.pipeline import KernelSelection, resolve_kernel, say, selection
from wgcompat.prebuild import KernelPrebuilder

REPORTS = paths.REPORTS


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


def pytest_vm_args(sel: KernelSelection, crypto: str, junit: Path, keyword: str | None,
                   test_paths: tuple[str, ...] = ("vmtests",), debug_module: bool = False) -> list[str]:
    args = [sys.executable, "-m", "pytest", *test_paths, f"--config={sel.flavour}", f"--crypto={crypto}",
            f"--junitxml={junit}", f"--console-logs={junit.parent / 'consoles'}", "-rfE",
            f"--basetemp={junit.parent / 'tmp'}"]  # concurrent pytest runs must not clean each other's temp dirs
    if sel.kernel_dir:
        args.append(f"--kernel-dir={sel.kernel_dir}")
    elif sel.kernel_src:
        args.append(f"--kernel-src={sel.kernel_src}")
    else:
        args.append(f"--kernel={sel.kernel or matrix.load().default}")
    if debug_module:
        args.append("--debug-module")
    if keyword:
        args += ["-k", keyword]
    return args


def run_vmtests(sel: KernelSelection, crypto: str = "auto", keyword: str | None = None,
                junit: Path | None = None, debug_module: bool = False) -> int:
    target = sel.kernel or (sel.kernel_src and Path(sel.kernel_src).name) or "kernel-dir"
    junit = junit or paths.vmtests_report_dir(target, sel.flavour, crypto, debug_module) / "junit.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    args = pytest_vm_args(sel, crypto, junit, keyword, debug_module=debug_module)
    return subprocess.run(args, cwd=paths.REPO).returncode


@dataclass(frozen=True)
class CiStep:
    """One step of `invoke ci`: a pytest run over some paths for one kernel/flavour/crypto."""

    name: str
    paths: tuple[str, ...]
    kernel: str | None = None  # None: not a VM step
    flavour: str = "normal"
    crypto: str = "auto"
    debug_module: bool = False  # the WG_DEBUG build instead of the release build
    deselect: tuple[str, ...] = ()  # node ids left out, each listed in KNOWN_UNSTABLE with its reason
    options: tuple[str, ...] = ()  # more pytest options, e.g. a shorter churn

    @property
    def tag(self) -> str:
        return re.sub(r"[^A-Za-z0-9.]+", "-", self.name).strip("-").lower()


# The scenarios the debug kernel (KASAN, lockdep, kmemleak, PREEMPT) runs in CI: the
# data path (1), creation and teardown (9), hostile input (11). Its guests run several
# times slower than the normal kernel's, so the rest of the suite runs there only in
# `invoke test --config debug` and `invoke matrix`.
DEBUG_SCENARIOS = ("vmtests/wireguard/test_tunnel.py", "vmtests/wireguard/test_config.py",
                   "vmtests/wireguard/test_hostile.py")
# Of those, what the debug kernel adds nothing to (counter arithmetic, wg-quick's and
# setconf's parsing, all on the normal kernel in the same run): about 6 of its 28 min.
DEBUG_SKIPS = ("-k", "not (transfer_counters or no_traffic_counts or wg_quick or setconf_from_a_file)")


# What only the WG_DEBUG module build can show: its load-time self-tests, one result each,
# the timer scenarios that need its time_divisor parameter, the teardown race its
# response_delay_ms parameter widens, and the churn its object counters check.
WGDEBUG_TESTS = ("vmtests/wireguard/test_selftests.py", "vmtests/wireguard/test_timers.py",
                 "vmtests/wireguard/test_handshake_queue.py", "vmtests/wireguard/test_churn.py")
# The churn in CI: a tenth of the default (1,000 interface lifetimes and 100 module
# loads, about 18 min on the 1-vCPU guest), which `invoke test --debug-module` runs.
CI_CHURN = ("--churn-cycles", "100", "--churn-loads", "20")


# Tests CI leaves out until they are fixed, with the reason. `invoke matrix` and
# `invoke test` still run them; keep this list short and each entry temporary.
KNOWN_UNSTABLE: dict[str, str] = {
    # "node id": "why it is left out of CI, and what would fix it" — empty: nothing is left out
}


def ci_plan() -> list[CiStep]:
    """What CI checks, in order. The default kernel gets everything; the other kernels of
    kernels.toml's ``ci`` get the harness checks and scenario 1 (`invoke matrix` runs the
    whole suite on every kernel of ``matrix``)."""
    m = matrix.load()
    plan = [
        CiStep("unit tests", ("tests",)),
        CiStep(f"{m.default}: harness and every scenario", ("vmtests",), kernel=m.default,
               deselect=tuple(KNOWN_UNSTABLE)),
        CiStep(f"{m.default} debug kernel: scenarios 1 9 11", DEBUG_SCENARIOS, kernel=m.default, flavour="debug",
               options=DEBUG_SKIPS),
        CiStep(f"{m.default} bundled crypto: scenarios 1 5", DEBUG_SCENARIOS[:2], kernel=m.default, crypto="bundled"),
        CiStep(f"{m.default} WG_DEBUG module: self-tests, timers, churn", WGDEBUG_TESTS, kernel=m.default,
               debug_module=True, options=CI_CHURN),
    ]
    for k in m.ci_kernels:
        if k != m.default:
            plan.append(CiStep(f"{k}: harness and scenario 1", ("vmtests/harness/test_boot.py",
                                                                  "vmtests/wireguard/test_tunnel.py"), kernel=k))
    return plan


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML file; (0, 1, 0) if it is missing."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 1, 0
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(x.get("tests", 0)) for x in suites)
    failed = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
    skipped = sum(int(x.get("skipped", 0)) for x in suites)
    return tests - failed - skipped, failed, skipped


def _run_ci_step(step: CiStep, prebuilder: KernelPrebuilder) -> tuple[CiStep, int, float, tuple[int, int, int]]:
    out = REPORTS / "ci" / step.tag
    out.mkdir(parents=True, exist_ok=True)
    junit = out / "junit.xml"
    junit.unlink(missing_ok=True)
    started = time.monotonic()
    if step.kernel is None:
        cmd = [sys.executable, "-m", "pytest", *step.paths, "-q", "-rfE", f"--junitxml={junit}",
               f"--basetemp={out / 'tmp'}"]
    else:
        code = prebuilder.wait(step.kernel, step.flavour)
        if code:
            say(f"the background build of {step.kernel} ({step.flavour}) failed (exit {code}, "
                f"{prebuilder.log_of(step.kernel, step.flavour)}); the step builds it itself")
        sel = selection(step.kernel, config=step.flavour)
        cmd = pytest_vm_args(sel, step.crypto, junit, None, step.paths, debug_module=step.debug_module)
        for node in step.deselect:
            say(f"CI leaves out {node}: {KNOWN_UNSTABLE.get(node, 'see ci_plan()')}")
            cmd += ["--deselect", node]
        cmd += list(step.options)
    say(f"CI step: {step.name}")
    code = subprocess.run(cmd, cwd=paths.REPO).returncode
    counts = junit_counts(junit)
    seconds = time.monotonic() - started
    say(f"CI step: {step.name}: exit {code}, {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped, "
        f"{seconds:.0f} s")
    return step, code, seconds, counts


def run_ci() -> int:
    """Every step of ci_plan(), a table of results, and one closing count line. The
    kernels are built ahead, in the background (wgcompat.prebuild)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    plan = ci_plan()
    prebuilder = KernelPrebuilder([(s.kernel, s.flavour) for s in plan if s.kernel is not None],
                                  REPORTS / "ci").start()
    rows: list[tuple[CiStep, int, float, tuple[int, int, int]]] = []
    try:
        for step in plan:
            rows.append(_run_ci_step(step, prebuilder))
    finally:
        prebuilder.stop()
    print("\nCI summary:")
    for step, code, seconds, (passed, failed, skipped) in rows:
        print(f"  {'ok  ' if code == 0 else 'FAIL'} {step.name:55} {passed:4} passed {failed:3} failed "
              f"{skipped:3} skipped {seconds:6.0f} s")
    total = [sum(r[3][i] for r in rows) for i in range(3)]
    print(f"ci: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0 if all(code == 0 for _, code, _, _ in rows) else 1
