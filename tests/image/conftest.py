from __future__ import annotations

from pathlib import Path

import pytest

from tests.image.fake_debs import BUSYBOX, fake_archive


@pytest.fixture(scope="session")
def debs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if BUSYBOX is None:
        pytest.skip("the host has no static busybox (apt-get install busybox-static)")
    return fake_archive(tmp_path_factory.mktemp("archives"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never touch the user's wgcompat cache (real boots are in vmtests/)."""
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "wgcompat-cache"))
