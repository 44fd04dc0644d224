"""The CI kernel prebuilder, with a fake build command (no kernel is built)."""

from __future__ import annotations

import sys
from pathlib import Path

from wgcompat.prebuild import KernelPrebuilder, invoke_kernel_command


def fake_build(record: Path):
    """A 'build' that appends its kernel to ``record``; kernel "bad" fails with exit 3."""
    def command(kernel: str, flavour: str, kernel_record: Path, arch: str) -> list[str]:
        code = 3 if kernel == "bad" else 0
        name = f"{kernel}-{flavour}" if arch == "x86_64" else f"{kernel}-{arch}-{flavour}"
        script = (f"open({str(record)!r}, 'a').write('{name}\\n'); "
                  f"open({str(kernel_record)!r}, 'w').write('{kernel}'); "
                  f"print('building {kernel}'); raise SystemExit({code})")
        return [sys.executable, "-c", script]
    return command


def test_builds_each_kernel_once_in_plan_order_and_reports_each_exit(tmp_path: Path) -> None:
    record = tmp_path / "built"
    wanted = [("6.1", "normal"), ("6.1", "debug"), ("6.1", "normal"), ("6.1", "normal", "arm64"), ("bad", "normal"),
              ("7.2", "normal")]
    pre = KernelPrebuilder(wanted, tmp_path / "logs", command=fake_build(record)).start()
    assert pre.wait("7.2", "normal") == 0  # the last one: all have ended
    assert record.read_text().split() == ["6.1-normal", "6.1-debug", "6.1-arm64-normal", "bad-normal", "7.2-normal"]
    assert pre.wait("6.1", "normal", "arm64") == 0 and pre.wait("7.2", "normal", "arm64") is None
    assert pre.wait("6.1", "normal") == 0
    assert pre.wait("bad", "normal") == 3
    assert pre.log_of("bad", "normal").read_text() == "building bad\n"
    assert pre.wait("5.10", "normal") is None  # not asked for
    assert pre.record_of("7.2", "normal").read_text() == "7.2"  # each build is told where to record its kernel


def test_stop_skips_the_builds_not_yet_started(tmp_path: Path) -> None:
    record = tmp_path / "built"
    pre = KernelPrebuilder([("6.1", "normal"), ("7.2", "normal")], tmp_path, command=fake_build(record))
    pre.stop()
    pre.start()
    assert pre.wait("7.2", "normal") == -1
    assert not record.exists()


def test_the_real_command_is_invoke_kernel_at_the_lowest_priority() -> None:
    cmd = invoke_kernel_command("6.12", "debug", Path("/r/k.json"))
    assert cmd[:3] == ["nice", "-n", "19"]
    assert cmd[-8:] == ["invoke", "kernel", "--kernel", "6.12", "--config", "debug", "--record", "/r/k.json"]
    arm64 = invoke_kernel_command("6.1", "normal", Path("/r/k.json"), "arm64")
    assert arm64[-10:] == ["invoke", "kernel", "--kernel", "6.1", "--config", "normal", "--arch", "arm64",
                           "--record", "/r/k.json"]
