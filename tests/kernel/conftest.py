"""Fixtures shared by the kernel-side unit tests: an isolated cache root."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("WGCOMPAT_CACHE", str(cache))
    return cache
