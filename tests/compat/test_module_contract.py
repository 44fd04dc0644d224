"""Every wgc_*/WGC_* name module/ uses is provided by compat.h or by module/ itself (Contract 1).

A name module/ starts using without a shim would only fail when someone builds for a kernel;
this catches it on every run.
"""

from __future__ import annotations

import re
from pathlib import Path

from wgcompat.paths import REPO

NAME = re.compile(r"\b(?:wgc|WGC)_[A-Za-z0-9_]+\b")
# names module/ may use that compat.h defines through a probe list rather than in the shims
PROBE_DEFINES = re.compile(r"^WGC_HAVE_[A-Z0-9_]+$")


def _names(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        found |= set(NAME.findall(path.read_text(errors="replace")))
    return found


def test_module_uses_only_names_compat_or_module_provides() -> None:
    module = REPO / "module"
    # the device and protocol side (module/*.c, *.h) against compat.h; module/crypto/ and
    # module/selftest/ carry their own wgc_ names (the bundled crypto of Contract 2)
    top = sorted(p for p in module.iterdir() if p.suffix in (".c", ".h"))
    used = _names(top)
    own = _names(sorted(p for d in ("crypto", "selftest") for p in (module / d).rglob("*") if p.is_file()))
    for path in top:
        own |= set(re.findall(r"#define\s+((?:wgc|WGC)_[A-Za-z0-9_]+)", path.read_text()))
    provided_by_compat = _names(sorted(p for p in (REPO / "wgcompat" / "compat" / "templates").rglob("*") if p.is_file()))
    missing = sorted(name for name in used - own - provided_by_compat if not PROBE_DEFINES.match(name))
    assert missing == [], (
        "module/ uses these names, but neither wgcompat/compat/templates nor module/ defines them; "
        "add the shim to wgcompat/compat/templates/shims/: " + ", ".join(missing)
    )


def test_kernel_apis_wrappers_are_all_in_compat() -> None:
    listed = REPO / "module" / "KERNEL-APIS.md"
    wrappers = {n for n in _names([listed]) if not PROBE_DEFINES.match(n)} if listed.exists() else set()
    provided = _names(sorted(p for p in (REPO / "wgcompat" / "compat" / "templates").rglob("*") if p.is_file()))
    assert sorted(wrappers - provided) == []
