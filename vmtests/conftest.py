"""pytest configuration for the VM suites.

What to test comes planned: ``invoke test``, ``invoke matrix`` and CI resolve the kernel
and build the module once (wgcompat.run.plan) and pass the result as --artefacts FILE
(the run's artefacts.json), which this session loads and never resolves again. Run by
hand, pytest plans the run itself, once, from --kernel V | --kernel-src PATH |
--kernel-dir PATH, --config normal|debug, --crypto auto|bundled, --debug-module,
--module-source build|dkms.

Fixtures:
  artefacts      the planned run: its request, kernel build and module build (session)
  kernel_build   the kernel under test (session)
  module_build   wireguard.ko for it: the release build, or with --debug-module the
                 WG_DEBUG=1 build (self-tests at load, timer scaling), or with
                 --module-source dkms the one DKMS built from our .deb (session)
  vm             one guest with our module installed, shared by the tests that
                 do not break it (session); each test builds its own namespaces.
                 If a test leaves it unusable (a command timed out, the guest
                 died), that test fails and the next one gets a freshly booted guest.
  fresh_vm       a guest of its own, for tests marked ``destructive``
  bare_vm        a guest without our module, for tests of the harness itself

Every guest these fixtures boot is scanned for leaks at the end of its life
(``leak_checked``): on a debug kernel kmemleak scans once what the tests left has
aged past kmemleak's minimum age, so a destructive test's own guest, a shared guest
retired mid-session and the last shared guest are each scanned; a leak fails the
test whose fixture teardown found it, naming the objects. Guests whose console
broke are shut down without a scan.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wgcompat import paths
from wgcompat.errors import UserError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wgcompat")
    group.addoption("--kernel", default=None, help="kernel series or release (default: kernels.toml)")
    group.addoption("--kernel-src", default=None, help="local kernel source tree")
    group.addoption("--kernel-dir", default=None, help="configured kernel build tree")
    group.addoption("--config", default="normal", help="kernel flavour: normal, debug or signed")
    group.addoption("--crypto", default="auto", help="auto or bundled")
    group.addoption("--arch", default=None, help="x86_64 (default), arm64 or s390x: the guests' architecture")
    group.addoption("--peer-arch", default=None,
                    help="the architecture of the other guest of the cross-architecture test "
                         "(test_cross_arch.py; s390x: big-endian); without it that test is skipped")
    group.addoption("--debug-module", action="store_true", default=False,
                    help="test the WG_DEBUG build of the module (self-tests at load, timer scaling) "
                         "instead of the release build users install")
    group.addoption("--module-source", default="build",
                    help="who builds the wireguard.ko under test: build (the harness, the default) or dkms "
                         "(for --kernel debian:...: DKMS, from our .deb, in a throwaway root of the kernel's suite)")
    group.addoption("--console-logs", default=None, help="folder for the guests' console logs")
    group.addoption("--artefacts", default=None,
                    help="the run's artefacts.json, as `invoke test` plans it: the kernel and module to test "
                         "(instead of --kernel/--kernel-src/--kernel-dir, --config, --crypto, --debug-module, "
                         "--module-source)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "destructive: needs a fresh VM of its own")
    if config.getoption("--module-source", "build") != "build" and not config.getoption("--artefacts", None):
        # an unknown source, or dkms for a kernel DKMS cannot build for: one usage error, not
        # a setup error per test
        try:
            _request(config)
        except UserError as exc:
            raise pytest.UsageError(f"{exc.cause}\nfix: {exc.fix}") from None


def _fail_setup(exc: UserError) -> None:
    pytest.fail(f"{exc.cause}\nfix: {exc.fix}", pytrace=False)


PLANNING_OPTIONS = ("--kernel", "--kernel-src", "--kernel-dir", "--crypto", "--debug-module", "--arch",
                    "--module-source")


def _request(config: pytest.Config):
    """The RunRequest the planning options give (checked, nothing resolved yet)."""
    from wgcompat.kernel.select import selection
    from wgcompat.run.plan import RunRequest

    opt = config.getoption
    return RunRequest(selection(opt("--kernel"), opt("--kernel-src"), opt("--kernel-dir"), opt("--config"), opt("--arch")),
                      crypto=opt("--crypto"), debug_module=opt("--debug-module"), module_source=opt("--module-source"))


@pytest.fixture(scope="session")
def artefacts(pytestconfig: pytest.Config):
    """The run's kernel and module: read from --artefacts, or planned here once."""
    from wgcompat.run.plan import Artefacts, plan_run

    opt = pytestconfig.getoption
    try:
        if opt("--artefacts"):
            clashing = [o for o in PLANNING_OPTIONS if opt(o) not in (None, False, "auto", "build")]
            if clashing or opt("--config") != "normal":
                raise UserError(f"--artefacts names the kernel and module to test; {', '.join(clashing or ['--config'])} "
                                "would choose another", "pass either --artefacts or the options that plan a run")
            return Artefacts.read(Path(opt("--artefacts")))
        return plan_run(_request(pytestconfig)).require()
    except UserError as exc:
        _fail_setup(exc)


@pytest.fixture(scope="session")
def kernel_build(artefacts):
    return artefacts.kernel


@pytest.fixture(scope="session")
def module_build(artefacts):
    return artefacts.module


@pytest.fixture(scope="session")
def console_logs(pytestconfig: pytest.Config, kernel_build) -> Path:
    given = pytestconfig.getoption("--console-logs")
    folder = Path(given) if given else paths.logs_dir() / f"vmtests-{kernel_build.build_dir.name}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_dir(console_logs: Path, name: str) -> Path:
    return console_logs / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


@contextlib.contextmanager
def leak_checked(started: contextlib.AbstractContextManager[Any]) -> Iterator[Any]:
    """The guest of ``started`` (a start_guest() context), scanned by kmemleak before it shuts
    down when its user is done with it; when an exception ends its life (a broken console)
    it is shut down without a scan."""
    with started as guest:
        yield guest
        guest.check_kmemleak()


class SharedGuest:
    """The session's shared guest, booted on first use and re-booted after a test broke it.

    Attribute access goes to the current GuestVM. A CommandTimeout, a dead guest
    or a broken console fails the command that hit it, as usual, and retires
    the guest, so one bad test does not fail every test after it.
    """

    def __init__(self, start) -> None:
        self._start = start
        self._context = None
        self._guest = None
        self.boots = 0

    def _current(self):
        if self._guest is None:
            self._context = self._start(self.boots)
            self._guest = self._context.__enter__()
            self.boots += 1
        return self._guest

    def retire(self, broken: BaseException | None = None) -> None:
        """Shut the current guest down (the next use boots another): after its leak scan, or,
        when ``broken`` says its console is unusable, without one. A leak the scan finds is
        raised (KernelSplat) once the guest is down."""
        if self._context is not None:
            context, self._context, self._guest = self._context, None, None
            if broken is None:
                context.__exit__(None, None, None)
            else:
                context.__exit__(type(broken), broken, broken.__traceback__)

    def run(self, *args, **kwargs):
        from wgcompat.vm.console import CommandTimeout, ConsoleBroken, GuestDied

        fatal = (CommandTimeout, GuestDied, ConsoleBroken)
        guest = self._current()
        try:
            return guest.run(*args, **kwargs)
        except Exception as exc:
            # a kernel report raised from a timeout or a death leaves the console unusable too
            if isinstance(exc, fatal) or isinstance(exc.__cause__, fatal):
                self.retire(broken=exc)
            raise

    def check_kmemleak(self):
        """Scan the guest that ran the tests, if one is still up; never boot one just to scan it
        (a fresh kernel has no leaks to find). [] when there is none or it has no kmemleak."""
        if self._guest is None:
            return []
        return self._guest.check_kmemleak()

    def __getattr__(self, name: str):
        return getattr(self._current(), name)


@pytest.fixture(scope="session")
def vm(kernel_build, module_build, console_logs) -> Iterator[SharedGuest]:
    from wgcompat.run.guests import start_guest

    shared = SharedGuest(lambda n: leak_checked(start_guest(kernel_build, module_build, [],
                                                            _log_dir(console_logs, f"shared-vm-{n}"))))
    try:
        yield shared
    finally:
        shared.retire()


@pytest.fixture
def fresh_vm(request: pytest.FixtureRequest, kernel_build, module_build, console_logs) -> Iterator[object]:
    from wgcompat.run.guests import start_guest

    with leak_checked(start_guest(kernel_build, module_build, [], _log_dir(console_logs, request.node.name))) as guest:
        yield guest


@pytest.fixture(scope="session")
def bare_vm(kernel_build, console_logs) -> Iterator[object]:
    from wgcompat.run.guests import start_guest

    with leak_checked(start_guest(kernel_build, None, [], _log_dir(console_logs, "bare-vm"))) as guest:
        yield guest
