"""Where things live: the repository, the cache root and its folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_ENV = "WGCOMPAT_CACHE"
REPORTS = REPO / "reports"


def run_label(flavour: str, crypto: str, debug_module: bool = False) -> str:
    """How a run's reports are named: the flavour, plus the crypto when it is forced and
    "wgdebug" for the WG_DEBUG module build, so such runs do not overwrite the default one."""
    label = flavour if crypto == "auto" else f"{flavour}-{crypto}"
    return f"{label}-wgdebug" if debug_module else label


def vmtests_report_dir(target: str, flavour: str, crypto: str, debug_module: bool = False) -> Path:
    """reports/<target>-<label>/: one vmtests run's JUnit XML, pytest log and consoles. A ':' or
    '@' of the target (debian:6.12@bookworm-backports) becomes '-': Kbuild refuses a module
    folder whose path has a ':' (the suites build test modules under the report folder)."""
    safe = target.replace(":", "-").replace("@", "-")
    return REPORTS / f"{safe}-{run_label(flavour, crypto, debug_module)}"


def cache_root() -> Path:
    """$WGCOMPAT_CACHE, else $XDG_CACHE_HOME/wgcompat, else ~/.cache/wgcompat."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "wgcompat").resolve()


def downloads_dir() -> Path:
    return cache_root() / "downloads"


def sources_dir() -> Path:
    return cache_root() / "sources"


def kernels_dir() -> Path:
    return cache_root() / "kernels"


def modules_dir() -> Path:
    return cache_root() / "modules"


def initramfs_dir() -> Path:
    return cache_root() / "initramfs"


def logs_dir() -> Path:
    return cache_root() / "logs"
