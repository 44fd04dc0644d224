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
