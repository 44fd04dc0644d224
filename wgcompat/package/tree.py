"""The tree a packager builds from: module sources, the compat generator, dkms.conf.

The same tree goes into /usr/src/wgcompat-<version>/ of the .deb and into the source
tarball:

    dkms.conf            AUTOINSTALL; PRE_BUILD runs the generator for the target kernel
    Kbuild Makefile *.c *.h crypto/ selftest/ uapi/    module/ of the repository
    version.mk           the module version and the commit it was built from
    generator/wgc-compat the generator's entry point (the distribution's python3)
    generator/wgc-dkms-prebuild  DKMS's PRE_BUILD: the generator, its output in compat.log
    generator/wgcompat/  the generator: wgcompat.compat with its probes and templates,
                         and the three harness modules it imports (GENERATOR_MODULES)

Nothing else of the harness ships: tests/compat/test_standalone.py runs the generator
from this tree alone with the system's python3 and checks it needs no newer Python than
Debian bullseye's 3.9.
"""

from __future__ import annotations

import shutil
from fnmatch import fnmatch
from pathlib import Path

from wgcompat.package.version import VERSION_MK, PackageVersion
from wgcompat.paths import REPO

FILES = Path(__file__).resolve().parent / "files"

# What wgcompat.compat imports from outside itself: stdlib-only modules, no venv needed.
GENERATOR_MODULES = ("wgcompat/__init__.py", "wgcompat/errors.py", "wgcompat/cache.py", "wgcompat/paths.py")
GENERATOR_PACKAGE = "wgcompat/compat"
# Left out of the shipped generator: the developer's benchmark of the probes.
GENERATOR_EXCLUDE = ("__pycache__", "*.pyc", "bench.py")


def generator_files() -> list[tuple[Path, str]]:
    """(file in the repository, path under generator/) for every file of the generator."""
    files = [(REPO / rel, rel) for rel in GENERATOR_MODULES]
    package = REPO / GENERATOR_PACKAGE
    for path in sorted(p for p in package.rglob("*") if p.is_file()):
        rel = path.relative_to(package)
        if any(fnmatch(part, pattern) for part in rel.parts for pattern in GENERATOR_EXCLUDE):
            continue
        files.append((path, f"{GENERATOR_PACKAGE}/{rel.as_posix()}"))
    files.append((FILES / "wgc-compat", "wgc-compat"))
    return files


def copy_generator(dest: Path) -> Path:
    """Copy the generator into ``dest`` (made here); returns its entry point."""
    for source, rel in generator_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest / "wgc-compat"


# --------------------------------------------------------------------------
# the whole tree

# Build outputs and generated files left out of the shipped module sources.
MODULE_EXCLUDE = ("*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd", "modules.order", "Module.symvers",
                  "compat.h", "compat.mk", "compat.log", ".compat-cache", ".tmp_versions", VERSION_MK)
# What the kernel range of dkms.conf's BUILD_EXCLUSIVE_KERNEL admits: 4.19 and 4.20, every
# 5.x, 6.x and 7.x. The oldest is where the compat probes stop (docs/kernels.md).
KERNEL_REGEX = r"^(4\.(19|20)|[567]\.[0-9]+)(\.|-|$)"


def dkms_conf(version: PackageVersion) -> str:
    text = (FILES / "dkms.conf.in").read_text()
    return text.replace("@VERSION@", version.version).replace("@KERNEL_REGEX@", KERNEL_REGEX)


def write_tree(dest: Path, version: PackageVersion) -> Path:
    """The packaged tree in ``dest`` (which must not exist): see the module docstring."""
    shutil.copytree(REPO / "module", dest, ignore=shutil.ignore_patterns(*MODULE_EXCLUDE))
    (dest / VERSION_MK).write_text(version.version_mk())
    (dest / "dkms.conf").write_text(dkms_conf(version))
    generator = dest / "generator"
    copy_generator(generator)
    shutil.copy2(FILES / "wgc-dkms-prebuild", generator / "wgc-dkms-prebuild")
    return dest
