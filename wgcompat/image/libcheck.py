"""The ELF check of the staged root: every shared library a guest program needs (its
DT_NEEDED entries, read with readelf) is in the image. A missing one means a package was
skipped that should not have been."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from wgcompat.errors import UserError

_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
def library_dirs(gnu: str = "x86_64-linux-gnu") -> tuple[str, ...]:
    """Where the dynamic linker of a Debian system of that GNU triplet finds libraries."""
    return (f"lib/{gnu}", f"usr/lib/{gnu}", "lib64", "lib", "usr/lib")


PROGRAM_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin")


def check_libraries(staging: Path, gnu: str = "x86_64-linux-gnu") -> None:
    """Raise a UserError naming each missing library and who needs it (skipped without readelf)."""
    if shutil.which("readelf") is None:
        return
    libdirs = [staging / d for d in library_dirs(gnu)]
    present = {p.name for d in libdirs if d.is_dir() for p in d.iterdir()}
    programs = [p for d in PROGRAM_DIRS if (staging / d).is_dir()
                for p in sorted((staging / d).iterdir()) if p.is_file() and not p.is_symlink()]
    missing: dict[str, list[str]] = {}
    for chunk in (programs[i:i + 64] for i in range(0, len(programs), 64)):
        proc = subprocess.run(["readelf", "-d", "-W", *map(str, chunk)], capture_output=True, text=True)
        current = ""
        for line in proc.stdout.splitlines():
            if line.startswith("File: "):
                current = line[6:].strip()
            for lib in _NEEDED.findall(line):
                if lib not in present:
                    missing.setdefault(lib, []).append(Path(current).name)
    if missing:
        what = "; ".join(f"{lib} (needed by {', '.join(sorted(set(users))[:3])})" for lib, users in sorted(missing.items()))
        raise UserError(f"the guest image lacks shared libraries: {what}",
                        "remove the package that ships them from SKIP_PACKAGES in wgcompat/image/debs.py")
