"""Whether KVM may be used: the accelerator choice and the probe boot (fake QEMU binaries, no VM)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.image.probe import PROBE_MARKER
from wgcompat.vm.kvm import KvmVerdict, probe_kvm, resolve_accel


def test_tcg_when_the_kvm_probe_fails(tmp_path: Path) -> None:
    failing = lambda kernel: KvmVerdict(False, "probe boot hung", False)  # noqa: E731
    accel, why = resolve_accel("auto", tmp_path / "bzImage", probe=failing)
    assert accel == "tcg" and "probe boot hung" in why
    working = lambda kernel: KvmVerdict(True, "ok", False)  # noqa: E731
    assert resolve_accel("auto", tmp_path / "bzImage", probe=working)[0] == "kvm"
    assert resolve_accel("tcg", tmp_path / "bzImage", probe=working)[0] == "tcg"
    with pytest.raises(UserError) as err:
        resolve_accel("kvm", tmp_path / "bzImage", probe=failing)
    assert "does not work on this host" in err.value.cause


def fake_binary(tmp_path: Path, name: str, body: str) -> Path:
    exe = tmp_path / name
    exe.write_text('#!/bin/sh\ncase "$1" in --version) echo "QEMU emulator version 0.0 (fake)"; exit 0;; esac\n' + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


@pytest.fixture
def devkvm(tmp_path: Path) -> Path:
    p = tmp_path / "kvm"
    p.write_text("")
    return p


needs_busybox = pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="no static busybox on the host")


@needs_busybox
def test_probe_that_crashes_gives_tcg_and_is_cached(tmp_path: Path, devkvm: Path) -> None:
    count = tmp_path / "runs"
    fake = fake_binary(tmp_path, "qemu-crash", f'echo run >> {count}\n'
                       'echo "error: failed to set MSR 0x10a" >&2; kill -ABRT $$\n')
    first = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert not first.usable and not first.cached and "failed to set MSR" in first.reason
    second = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert not second.usable and second.cached
    assert count.read_text().count("run") == 1


@needs_busybox
def test_probe_that_hangs_gives_tcg(tmp_path: Path, devkvm: Path) -> None:
    fake = fake_binary(tmp_path, "qemu-hang", "exec sleep 600\n")
    verdict = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm, timeout=1)
    assert not verdict.usable and "hung" in verdict.reason


@needs_busybox
def test_probe_that_reaches_userspace_allows_kvm(tmp_path: Path, devkvm: Path) -> None:
    fake = fake_binary(tmp_path, "qemu-ok", f'echo "{PROBE_MARKER}"\n')
    verdict = probe_kvm(tmp_path / "bzImage", qemu=str(fake), cache_dir=tmp_path / "cache", devkvm=devkvm)
    assert verdict.usable


def test_no_dev_kvm_means_tcg_without_probing(tmp_path: Path) -> None:
    verdict = probe_kvm(tmp_path / "bzImage", qemu="/nonexistent/qemu", cache_dir=tmp_path / "cache",
                        devkvm=tmp_path / "missing-kvm")
    assert not verdict.usable and "missing" in verdict.reason
