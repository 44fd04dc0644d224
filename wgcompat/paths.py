"""Where things live: the repository, the cache root and its folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_ENV = "WGCOMPAT_CACHE"
REPORTS = REPO / "reports"


def run_label(flavour: str, crypto: str, debug_module: bool = False, module_source: str = "build") -> str:
    """How a run's reports are named: the flavour, plus the crypto when it is forced,
    "wgdebug" for the WG_DEBUG module build and "dkms" for the module DKMS built, so such
    runs do not overwrite the default one."""
    label = flavour if crypto == "auto" else f"{flavour}-{crypto}"
    label = f"{label}-wgdebug" if debug_module else label
    return label if module_source == "build" else f"{label}-{module_source}"


def vmtests_report_dir(target: str, flavour: str, crypto: str, debug_module: bool = False,
                       module_source: str = "build") -> Path:
    """reports/<target>-<label>/: one vmtests run's JUnit XML, pytest log and consoles. A ':' or
    '@' of the target (debian:6.12@bookworm-backports) becomes '-': Kbuild refuses a module
    folder whose path has a ':' (the suites build test modules under the report folder)."""
    safe = target.replace(":", "-").replace("@", "-")
    return REPORTS / f"{safe}-{run_label(flavour, crypto, debug_module, module_source)}"


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
