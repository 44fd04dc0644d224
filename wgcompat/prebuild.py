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

Wanted = tuple[str, str]  # (kernel, flavour)


def invoke_kernel_command(kernel: str, flavour: str, record: Path) -> list[str]:
    return ["nice", "-n", "19", sys.executable, "-m", "invoke", "kernel", "--kernel", kernel, "--config", flavour,
            "--record", str(record)]


class KernelPrebuilder:
    def __init__(self, wanted: Sequence[Wanted], log_dir: Path,
                 command: Callable[[str, str, Path], list[str]] = invoke_kernel_command) -> None:
        self._order = list(dict.fromkeys(wanted))  # first appearance, no repeats
        self._ended = {w: threading.Event() for w in self._order}
        self._codes: dict[Wanted, int] = {}
        self._log_dir = log_dir
        self._command = command
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kernel-prebuild", daemon=True)

    def log_of(self, kernel: str, flavour: str) -> Path:
        return self._log_dir / f"prebuild-{kernel}-{flavour}.log"

    def record_of(self, kernel: str, flavour: str) -> Path:
        """Where the build of (kernel, flavour) records the KernelBuild it resolved (JSON)."""
        return self._log_dir / f"prebuild-{kernel}-{flavour}.json"

    def start(self) -> KernelPrebuilder:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        for kernel, flavour in self._order:
            if self._stop.is_set():
                self._codes[(kernel, flavour)] = -1
            else:
                self.record_of(kernel, flavour).unlink(missing_ok=True)  # an older run's
                with self.log_of(kernel, flavour).open("w") as log:
                    self._codes[(kernel, flavour)] = subprocess.run(
                        self._command(kernel, flavour, self.record_of(kernel, flavour)), cwd=paths.REPO, stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL).returncode
            self._ended[(kernel, flavour)].set()

    def wait(self, kernel: str, flavour: str) -> int | None:
        """Blocks until the build of (kernel, flavour) has ended; its exit status, or None
        if this prebuilder was not asked for it."""
        ended = self._ended.get((kernel, flavour))
        if ended is None:
            return None
        ended.wait()
        return self._codes[(kernel, flavour)]

    def stop(self) -> None:
        """No new builds after the running one (which is left to finish: it may be reused)."""
        self._stop.set()
