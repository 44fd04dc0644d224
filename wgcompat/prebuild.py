"""Kernel builds ahead of need, for `invoke ci`.

A CI step's guests keep about one core busy (TCG runs a guest on one host thread), so
while one step tests, the next step's kernel can compile on what is left. The
prebuilder builds the kernels the plan needs, one at a time and in plan order, each as
`invoke kernel` in a child process at the lowest CPU priority (nice 19): the guests of
the running step keep the CPU they need and the build soaks up the rest.

A step waits for its kernel's build to end before it starts, so two processes never
race for one build (the build lock would refuse the second). Each build records the
KernelBuild it resolved (`invoke kernel --record FILE`), and the steps use that record,
so a CI run resolves each kernel once. If a build failed, the step runs anyway: its own
build attempt reports the error as any test run would.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from wgcompat import paths
from wgcompat.arch import DEFAULT as DEFAULT_ARCH

Wanted = tuple[str, str, str]  # (kernel, flavour, architecture)


def invoke_kernel_command(kernel: str, flavour: str, record: Path, arch: str = DEFAULT_ARCH) -> list[str]:
    more = [] if arch == DEFAULT_ARCH else ["--arch", arch]
    return ["nice", "-n", "19", sys.executable, "-m", "invoke", "kernel", "--kernel", kernel, "--config", flavour,
            *more, "--record", str(record)]


def _name(kernel: str, flavour: str, arch: str) -> str:
    return f"{kernel}-{flavour}" if arch == DEFAULT_ARCH else f"{kernel}-{arch}-{flavour}"


class KernelPrebuilder:
    def __init__(self, wanted: Sequence[tuple[str, str] | Wanted], log_dir: Path,
                 command: Callable[[str, str, Path, str], list[str]] = invoke_kernel_command) -> None:
        # (kernel, flavour) is an x86_64 build; first appearance, no repeats
        self._order: list[Wanted] = list(dict.fromkeys((*w, DEFAULT_ARCH)[:3] for w in wanted))
        self._ended = {w: threading.Event() for w in self._order}
        self._codes: dict[Wanted, int] = {}
        self._log_dir = log_dir
        self._command = command
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kernel-prebuild", daemon=True)

    def log_of(self, kernel: str, flavour: str, arch: str = DEFAULT_ARCH) -> Path:
        return self._log_dir / f"prebuild-{_name(kernel, flavour, arch)}.log"

    def record_of(self, kernel: str, flavour: str, arch: str = DEFAULT_ARCH) -> Path:
        """Where the build of (kernel, flavour, arch) records the KernelBuild it resolved (JSON)."""
        return self._log_dir / f"prebuild-{_name(kernel, flavour, arch)}.json"

    def start(self) -> KernelPrebuilder:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        for wanted in self._order:
            if self._stop.is_set():
                self._codes[wanted] = -1
            else:
                kernel, flavour, arch = wanted
                record = self.record_of(*wanted)
                record.unlink(missing_ok=True)  # an older run's
                with self.log_of(*wanted).open("w") as log:
                    self._codes[wanted] = subprocess.run(
                        self._command(kernel, flavour, record, arch), cwd=paths.REPO, stdout=log,
                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
            self._ended[wanted].set()

    def wait(self, kernel: str, flavour: str, arch: str = DEFAULT_ARCH) -> int | None:
        """Blocks until the build of (kernel, flavour, arch) has ended; its exit status, or
        None if this prebuilder was not asked for it."""
        ended = self._ended.get((kernel, flavour, arch))
        if ended is None:
            return None
        ended.wait()
        return self._codes[(kernel, flavour, arch)]

    def stop(self) -> None:
        """No new builds after the running one (which is left to finish: it may be reused)."""
        self._stop.set()
