from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def fake_qemu(tmp_path: Path) -> Path:
    """An executable that behaves like qemu-system-x86_64 booting our guest (see fake_qemu.py)."""
    exe = tmp_path / "fake-qemu-system-x86_64"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE / 'fake_qemu.py'} \"$@\"\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never touch the user's wgcompat cache (real boots are in vmtests/)."""
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "wgcompat-cache"))
