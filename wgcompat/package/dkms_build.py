"""The module stage's second way (--module-source dkms): the wireguard.ko DKMS builds from
our .deb for one of Debian's kernels, in a throwaway root of that kernel's own suite.

    invoke package's .deb (package(), from the checkout, into a temporary folder)
        │ its sha256 + the kernel release + its headers' packages + the suite + the root image
        ▼ = the key of  <cache>/modules/<kernel build>-dkms-<digest>/
    throwaway root of the suite (wgcompat.package.root: a copy of the cached chroot)
      apt-get install ./wgcompat-dkms_<V>_all.deb          dkms add
      apt-get install linux-headers-<release>=<version>    the kernel's own headers: the .debs
                                                           the kernel stage unpacked, put in
                                                           apt's cache; DKMS's kernel hook
                                                           builds our module for them
      dkms autoinstall -k <release>                        (what the hook ran: nothing left to do)
      /lib/modules/<release>/updates/dkms/wireguard.ko[.xz]   signed with DKMS's key (bookworm on)
        ▼ copied out with DKMS's make.log, and the package's sources with the compat.h DKMS's
          build used (its PRE_BUILD run again: DKMS removes its build folder)
    <entry>/wireguard.ko, src/, make.log, dkms.log (each command and its output), the .deb

The guest then gets that file at the same path (updates/dkms/), and ModuleBuild.dkms keeps
what the root said of it (modinfo's fields, its sha256, DKMS's version) for the suites to
compare with what the guest loads. The entry is reused while its inputs stay the same; it
counts only once its marker is renamed into place (wgcompat.cache), and the .ko is copied
under a temporary name and renamed, so an interrupted run leaves nothing that looks done.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from wgcompat import cache, paths
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.debian_prebuilt import AptArchive, Unpacked, distribution_kernel, unpacked
from wgcompat.module_build import OUTPUTS, DkmsOrigin, ModuleBuild, split_warnings
from wgcompat.package.build import PackageRequest, PackageResult, package
from wgcompat.package.root import Root, RootImage, root_image, throwaway_root
from wgcompat.vm.console import CommandResult

CODE = ("wgcompat.cache", "wgcompat.package")
NAME = "wgcompat"  # dkms.conf's PACKAGE_NAME
# the packages of a Debian kernel that are its image, not its headers: the root gets the rest
IMAGE_SIDE = ("linux-image-", "linux-binary-", "linux-modules-")
GUEST_DIR = "updates/dkms"  # dkms.conf's DEST_MODULE_LOCATION, under /lib/modules/<release>/
# what of the build folder is not copied out: Kbuild's outputs and the probes' cache
# (compat.h, compat.mk and compat.log stay)
LEFT_IN_ROOT = (*(p for p in OUTPUTS if not p.startswith("compat.")), ".compat-cache")


@dataclass(frozen=True)
class DkmsModuleRequest:
    kernel: KernelBuild  # one of Debian's kernels (debian_prebuilt), as the kernel stage resolved it


def headers_side(kernel: Unpacked) -> tuple[tuple[str, str, Path], ...]:
    """The packages of the kernel the root installs: its headers and what they need from the
    kernel's source (-common, linux-kbuild, linux-compiler), not its image and modules."""
    return tuple(p for p in kernel.packages if not p[0].startswith(IMAGE_SIDE))


def dkms_entry(kb: KernelBuild, deb: PackageResult, kernel: Unpacked, image: RootImage) -> cache.Entry:
    """``modules/<kernel build>-dkms-<digest>``: the digest covers the .deb's bytes (its
    version and contents), the kernel release and its headers' packages, the suite, the root
    image the root is copied from, and this code."""
    key = cache.InputKey().code(*CODE)
    key.file("package", deb.deb).add("package version", f"{deb.version} {deb.source}")
    key.add("kernel release", kb.release)
    key.add("kernel packages", "\n".join(f"{name}={version}" for name, version, _ in headers_side(kernel)))
    key.add("suite", kernel.suite).add("root image", "\n".join([str(image.tree), *image.extra_sources]))
    return cache.Entry(paths.modules_dir() / f"{kb.build_dir.name}-dkms-{key.hexdigest(12)}", key.inputs)


def dkms_module(request: DkmsModuleRequest, progress=lambda _: None) -> ModuleBuild:
    """The wireguard.ko DKMS built from the checkout's .deb for ``request.kernel`` (cached)."""
    kb = request.kernel
    if not distribution_kernel(kb):
        raise UserError(f"DKMS builds our .deb for Debian's kernels; {kb.release} ({kb.source or kb.build_dir}) "
                        "is not one", "name one of Debian's kernels (--kernel debian:6.1, ...), or drop "
                        "--module-source dkms")
    kernel = unpacked(kb)
    with tempfile.TemporaryDirectory(prefix="wgcompat-dkms-deb-") as tmp:
        deb = package(PackageRequest(Path(tmp)))
        image = root_image(kernel.suite)
        entry = dkms_entry(kb, deb, kernel, image)
        outcome = cache.obtain(entry, f"the DKMS build in {entry.path}",
                               lambda out: _build(kb, kernel, deb, image, out, progress), wait=True, progress=progress)
    built = ModuleBuild.from_json(outcome.result, cached=outcome.cached)
    progress(f"wireguard.ko {built.dkms.package_version if built.dkms else ''} built by DKMS for {kb.release}"
             f"{' (cached)' if outcome.cached else ''}: {built.ko}")
    return built


class _Session:
    """The commands run in one root, each written to dkms.log; a failing one is a UserError."""

    def __init__(self, root: Root, suite: str, log: IO[str], log_path: Path) -> None:
        self.root, self.suite, self.log, self.log_path = root, suite, log, log_path

    def run(self, argv: list[str], fix: str) -> CommandResult:
        result = self.root.run(argv, check=False)
        self.log.write(f"$ {shlex.join(argv)}\n{result.output.rstrip()}\n[exit {result.status}]\n\n")
        self.log.flush()
        if result.status != 0:
            tail = "\n".join(result.output.strip().splitlines()[-20:])
            raise UserError(f"in the throwaway {self.suite} root, `{shlex.join(argv)}` exited {result.status}:\n"
                            f"{tail}\nfull log: {self.log_path}", fix)
        return result


def modinfo_fields(text: str) -> dict[str, str]:
    """modinfo's ``field: value`` lines; a field given twice (depends, alias) keeps its first
    value, a signature's continuation lines are joined to their field."""
    fields: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last] += line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            last = key.strip()
            fields[last] = value.strip()
        elif sep:
            last = None
    return fields


def _deb_of(suite: str, name: str, version: str, deb: Path) -> Path:
    """The .deb the kernel stage unpacked; downloaded again (verified by apt) when it is gone."""
    return deb if deb.is_file() else AptArchive().download(suite, name, version)


def _build(kb: KernelBuild, kernel: Unpacked, deb: PackageResult, image: RootImage, out: Path,
           progress) -> dict[str, Any]:
    started = time.monotonic()
    log_path = out / "dkms.log"
    kept = out / deb.deb.name
    shutil.copy2(deb.deb, kept)
    fix_mirror = "check that the Debian mirror is reachable (the root uses the suite's apt sources), then run again"
    progress(f"installing {deb.deb.name} and {kb.release}'s headers in a throwaway {kernel.suite} root; "
             f"DKMS builds the module there (log: {log_path})")
    with log_path.open("w") as log, throwaway_root(image) as root:
        session = _Session(root, kernel.suite, log, log_path)
        ours = root.put(kept, f"/tmp/wgcompat-dkms/{kept.name}")
        # apt's own cache gets the kernel stage's .debs: apt installs those, downloading nothing
        for name, version, path in headers_side(kernel):
            root.put(_deb_of(kernel.suite, name, version, path), f"/var/cache/apt/archives/{path.name}")
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends"]
        session.run(["apt-get", "update", "-q"], fix_mirror)
        session.run([*install, ours], f"see {log_path}; `pytest vmtests/package` tries the package's install alone")
        session.run([*install, f"linux-headers-{kb.release}={_version_of(kernel, f'linux-headers-{kb.release}')}"],
                    f"see {log_path} (DKMS's output is there); {fix_mirror}")
        session.run(["dkms", "autoinstall", "-k", kb.release], f"see DKMS's make.log in {log_path}")
        status = session.run(["dkms", "status", "-m", NAME, "-v", deb.version, "-k", kb.release], "see the log")
        if ": installed" not in status.output:
            raise UserError(f"DKMS did not install {NAME} {deb.version} for {kb.release} in the {kernel.suite} root: "
                            f"`dkms status` says {status.output.strip()!r}; full log: {log_path}",
                            "read DKMS's output in the log (a BUILD_EXCLUSIVE skip names its reason)")
        moddir = f"/lib/modules/{kb.release}"
        found = session.run(["find", f"{moddir}/{GUEST_DIR}", "-name", "wireguard.ko*"], "see the log").output.split()
        if len(found) != 1:
            raise UserError(f"DKMS installed {found or 'no file'} as wireguard.ko* under {moddir}/{GUEST_DIR} in the "
                            f"{kernel.suite} root; full log: {log_path}", "report this: dkms.conf's "
                            "DEST_MODULE_LOCATION and DKMS's layout should give exactly one")
        installed = found[0]
        facts = _facts(session, kb, deb, installed)
        ko = _copy_out(root, installed, out)
        src, make_log = _build_tree(session, root, deb.version, kb.release, out)
    text = make_log.read_text(errors="replace") if make_log.is_file() else ""
    warnings, header_warnings = split_warnings(text, Path(f"/var/lib/dkms/{NAME}/{deb.version}/build"))
    origin = DkmsOrigin(package=kept, suite=kernel.suite, guest_path=installed.removeprefix(f"{moddir}/"), **facts)
    built = ModuleBuild(ko=ko, build_dir=src, compat_h=src / "compat.h", log=log_path, warnings=warnings,
                        seconds=round(time.monotonic() - started, 1), header_warnings=header_warnings, dkms=origin)
    return built.to_json()


def _facts(session: _Session, kb: KernelBuild, deb: PackageResult, installed: str) -> dict[str, Any]:
    """What the root says of the file DKMS installed: modinfo, its sha256, DKMS's version."""
    info = modinfo_fields(session.run(["modinfo", installed], "see the log").output)
    if info.get("version") != deb.version or not info.get("vermagic", "").startswith(f"{kb.release} "):
        raise UserError(f"{installed} in the root is not {NAME} {deb.version} for {kb.release} (modinfo: version "
                        f"{info.get('version')!r}, vermagic {info.get('vermagic')!r}); full log: {session.log_path}",
                        "report this: DKMS installed another module than the package's")
    sha = session.run(["sha256sum", installed], "see the log").output.split()[0]
    version = session.run(["dkms", "--version"], "see the log").output.strip()
    return {"package_version": deb.version, "dkms_version": version, "sha256": sha, "modinfo": info}


def _inside(root: Root, path: str) -> Path:
    """The host path of ``path`` inside the root, its symlinks (/lib -> usr/lib) resolved there."""
    real = root.run(["readlink", "-f", path]).output.strip()
    return root.path / real.lstrip("/")


def _copy_out(root: Root, installed: str, out: Path) -> Path:
    """DKMS's file into the entry, under its own name (wireguard.ko, or .ko.xz where the suite
    compresses modules): copied under a temporary name, then renamed."""
    ko = out / Path(installed).name
    partial = out / f".{ko.name}.partial"
    shutil.copy2(_inside(root, installed), partial)
    os.replace(partial, ko)
    return ko


def _build_tree(session: _Session, root: Root, version: str, release: str, out: Path) -> tuple[Path, Path]:
    """``src``: the package's sources with the compat.h, compat.mk and compat.log of this
    kernel, and the make.log of DKMS's build. DKMS removes its build folder once it has
    built (dkms 3's clean_build), so the package's own PRE_BUILD step runs again in the root,
    on a copy of /usr/src/wgcompat-<V>: the generator answers the same for the same headers
    and compiler (the kernel's, which it reads from their .config, as DKMS does)."""
    tree, copy, kdir = f"/usr/src/{NAME}-{version}", "/tmp/wgcompat-dkms/src", f"/lib/modules/{release}/build"
    session.run(["cp", "-a", tree, copy], "see the log")
    session.run(["sh", "-c", 'cd "$1" && exec generator/wgc-dkms-prebuild "$2"', "sh", copy, kdir],
                "read the generator's output in the log (compat.log); DKMS's build ran the same step")
    src = out / "src"
    shutil.copytree(_inside(root, copy), src, symlinks=True, ignore=shutil.ignore_patterns(*LEFT_IN_ROOT))
    logs = session.run(["find", f"/var/lib/dkms/{NAME}/{version}/{release}", "-name", "make.log"],
                       "see the log").output.split()
    make_log = out / "make.log"
    if logs:
        shutil.copy2(_inside(root, logs[0]), make_log)
    return src, make_log


def _version_of(kernel: Unpacked, package: str) -> str:
    versions = [version for name, version, _ in kernel.packages if name == package]
    if not versions:
        raise UserError(f"the kernel of Debian {kernel.suite} was unpacked without {package}",
                        "report this: the kernel stage unpacks its headers package")
    return versions[0]
