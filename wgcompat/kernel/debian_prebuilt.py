"""Debian's own prebuilt kernels as a kernel source: ``--kernel debian:<series>[-<flavour>][@<suite>]``.

    debian:6.1                     bookworm's linux-image-6.1.0-N-amd64
    debian:6.1-cloud               its -cloud-amd64 flavour (also -rt: -rt-amd64)
    debian:6.12@bookworm-backports the suite named explicitly
    debian:6.12-rt                 trixie's PREEMPT_RT kernel (the first suite that carries 6.12)

Nothing is built. The suite's metapackage (``linux-image[-cloud|-rt]-amd64``) names the
kernel's image package; that package and its ``linux-headers-*`` with every package of
the kernel's own source they depend on (``-common``, ``linux-kbuild-*``; on sid the split
``linux-binary-*``/``linux-modules-*``) are downloaded through the private apt
environment of the suite (wgcompat.apt) and unpacked into one root:

    <cache>/debian-kernels/<release>-<digest>/root/      boot/vmlinuz-<release> (sid: beside the modules),
                                                         [usr/]lib/modules/<release>/ (depmod run),
                                                         usr/src/linux-headers-<release>/
    <cache>/debian-kernels/<release>-<digest>/fetch.log  what was downloaded
    <cache>/debian-kernels/<release>-<digest>/wgcompat-complete.json   written last

The KernelBuild it gives has the headers as its build tree, Debian's vmlinuz as its image
and the unpacked root as its modules root (the guest's image takes what it needs from it).

The headers package names the compiler the kernel was built with (``gcc-12``, ``gcc-14``,
``gcc-16-for-host``). When the host has no compiler of that major version or newer, the
module is built in a throwaway chroot of the suite (wgcompat.chroot): the headers tree gets
a ``wgcompat-toolchain.json`` (:data:`TOOLCHAIN_FILE`) saying which, which
wgcompat.module_build reads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from wgcompat import cache, paths
from wgcompat.apt import apt_env
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild, Progress
from wgcompat.kernel.version import upstream_from_debian

PREFIX = "debian:"
# our flavour word -> Debian's amd64 flavour
FLAVOURS = {"": "amd64", "cloud": "cloud-amd64", "rt": "rt-amd64"}
# The suites asked, in this order, when the name gives none; the release suites come
# before backports, so debian:6.12 is trixie's and debian:6.12@bookworm-backports says so.
SEARCH_SUITES = ("bullseye", "bookworm", "trixie", "sid", "bookworm-backports")
KNOWN_SUITES = (*SEARCH_SUITES, "bullseye-backports", "trixie-backports")
SYNTAX = "debian:<series>[-<flavour>][@<suite>]"
EXAMPLES = "debian:6.1, debian:6.1-cloud, debian:6.12-rt, debian:6.12@bookworm-backports, debian:7.2"
TOOLCHAIN_FILE = "wgcompat-toolchain.json"
FLAVOUR_PREFIX = "debian-"  # KernelBuild.flavour of these kernels: debian-amd64, debian-rt-amd64, ...
CODE = ("wgcompat.cache", "wgcompat.kernel.debian_prebuilt")

_SPEC = re.compile(r"^debian:(?P<series>\d+\.\d+)(?:-(?P<flavour>[a-z0-9]+))?(?:@(?P<suite>[a-z0-9-]+))?$")


@dataclass(frozen=True)
class PrebuiltSpec:
    """A parsed ``debian:...`` name."""

    series: str                 # 6.1
    flavour: str = ""           # "", "cloud" or "rt"
    suite: str | None = None    # None: the first of SEARCH_SUITES that carries the series

    @property
    def debian_flavour(self) -> str:
        return FLAVOURS[self.flavour]

    @property
    def metapackage(self) -> str:
        return f"linux-image-{self.debian_flavour}"

    def __str__(self) -> str:
        return (f"{PREFIX}{self.series}{'-' + self.flavour if self.flavour else ''}"
                f"{'@' + self.suite if self.suite else ''}")


def distribution_kernel(kb: KernelBuild) -> bool:
    """Is ``kb`` one of Debian's kernels (its whole module tree, of which a guest takes a part)?"""
    return kb.flavour.startswith(FLAVOUR_PREFIX)


def is_prebuilt(kernel: str | None) -> bool:
    """Does a --kernel value name a Debian prebuilt kernel?"""
    return bool(kernel) and str(kernel).startswith(PREFIX)


def parse_spec(text: str) -> PrebuiltSpec:
    """``debian:<series>[-<flavour>][@<suite>]``; a UserError naming what is wrong otherwise."""
    m = _SPEC.match(text.strip())
    if not m:
        raise UserError(f"'{text}' is not a Debian kernel name", f"write {SYNTAX}, e.g. {EXAMPLES}")
    flavour, suite = m.group("flavour") or "", m.group("suite")
    if flavour not in FLAVOURS:
        raise UserError(f"Debian has no '{flavour}' flavour of its amd64 kernels (in '{text}')",
                        "use one of: " + ", ".join(f"debian:{m.group('series')}{'-' + f if f else ''} ({d})"
                                                   for f, d in FLAVOURS.items()))
    if suite is not None and suite not in KNOWN_SUITES:
        raise UserError(f"'{suite}' (in '{text}') is not a Debian suite this harness knows",
                        f"use one of {', '.join(KNOWN_SUITES)}, or leave '@<suite>' out to search {', '.join(SEARCH_SUITES)}")
    return PrebuiltSpec(series=m.group("series"), flavour=flavour, suite=suite)


# --------------------------------------------------------------------------
# the archive


class Archive(Protocol):
    """What the resolution asks of Debian's archive (the apt environment; a fake in the tests)."""

    def versions(self, suite: str, package: str) -> list[str]:
        """The versions of ``package`` in ``suite``, newest first; [] when it has none."""
        ...

    def fields(self, suite: str, package: str, version: str) -> dict[str, str]:
        """The control fields of one package version (Depends, Source, ...)."""
        ...

    def download(self, suite: str, package: str, version: str) -> Path:
        """The .deb of one package version, verified by apt."""
        ...


class AptArchive:
    """The private apt environments of wgcompat.apt, one per suite."""

    def _env(self, suite: str):  # -> AptEnv, its lists fresh
        from wgcompat.kernel.providers import _ensure_lists

        env = apt_env(paths.cache_root(), suite)
        _ensure_lists(env)
        return env

    def versions(self, suite: str, package: str) -> list[str]:
        return self._env(suite).candidates(package)

    def fields(self, suite: str, package: str, version: str) -> dict[str, str]:
        """apt-cache show, kept while the package lists stay the same (it takes about a second)."""
        env = self._env(suite)
        stamp = max((p.stat().st_mtime_ns for p in (env.root / "lists").glob("*_Packages*")), default=0)
        memo = env.root / "cache" / "show" / f"{package}={version.replace(':', '%3a')}-{stamp}"
        if memo.is_file():
            return parse_control(memo.read_text())
        proc = subprocess.run(["apt-cache", *env._options(), "show", f"{package}={version}"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise UserError(f"apt-cache cannot show {package}={version} in Debian {suite}: {proc.stderr.strip()}",
                            f"the package lists may be stale: remove {env.root / 'state/updated'} and retry")
        stanza = proc.stdout.split("\n\n", 1)[0]
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(stanza)
        tmp.rename(memo)
        return parse_control(stanza)

    def download(self, suite: str, package: str, version: str) -> Path:
        from wgcompat.kernel.providers import _cached_deb

        env = self._env(suite)
        return _cached_deb(env, package, version) or env.download_exact(package, version)


def parse_control(stanza: str) -> dict[str, str]:
    """One control stanza (``Field: value`` with continuation lines) as a dict."""
    out: dict[str, str] = {}
    last = None
    for line in stanza.splitlines():
        if line[:1] in (" ", "\t") and last:
            out[last] += "\n" + line.strip()
        elif ":" in line:
            last, _, value = line.partition(":")
            out[last] = value.strip()
    return out


@dataclass(frozen=True)
class Relation:
    package: str
    op: str = ""        # "=", ">=", ... or ""
    version: str = ""


def parse_depends(text: str) -> list[list[Relation]]:
    """A Depends field: a list of alternatives, each a list of relations."""
    out: list[list[Relation]] = []
    for group in filter(None, (g.strip() for g in text.split(","))):
        alts = []
        for alt in group.split("|"):
            m = re.match(r"^\s*([a-z0-9][a-z0-9+.-]*)(?::\S+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?", alt)
            if m:
                alts.append(Relation(m.group(1), m.group(2) or "", m.group(3) or ""))
        if alts:
            out.append(alts)
    return out


# --------------------------------------------------------------------------
# resolution


@dataclass(frozen=True)
class Prebuilt:
    """What a ``debian:`` name resolved to: the packages to fetch and the toolchain they need."""

    spec: PrebuiltSpec
    suite: str
    image_package: str           # linux-image-6.1.0-57-amd64
    version: str                 # Debian version, 6.1.192-3
    packages: tuple[tuple[str, str], ...]  # (name, version) of everything unpacked
    compiler: str                # the compiler package the headers name: gcc-12, gcc-14, gcc-16-for-host
    build_needs: tuple[str, ...] = ()  # other packages the headers side needs: pahole, libelf1, ...

    @property
    def upstream(self) -> str:
        return upstream_from_debian(self.version)

    @property
    def release(self) -> str:
        """``uname -r``: the image package's name without its prefix (and ``-unsigned``)."""
        return self.image_package.removeprefix("linux-image-").removesuffix("-unsigned")

    @property
    def headers_package(self) -> str:
        return f"linux-headers-{self.release}"

    @property
    def compiler_major(self) -> int:
        m = re.search(r"gcc-(\d+)", self.compiler)
        return int(m.group(1)) if m else 0


def _series_of(debian_version: str) -> str:
    m = re.match(r"^(\d+\.\d+)", upstream_from_debian(debian_version))
    return m.group(1) if m else ""


def _image_of(fields: dict[str, str]) -> Relation | None:
    """The linux-image-<release> relation of a metapackage's Depends."""
    for alts in parse_depends(fields.get("Depends", "")):
        first = alts[0]
        if first.package.startswith("linux-image-"):
            return first
    return None


def find(spec: PrebuiltSpec, archive: Archive) -> tuple[str, str, str]:
    """(suite, image package, version) of the newest kernel of ``spec``'s series and flavour;
    a UserError naming what each suite carries when none has it."""
    suites = (spec.suite,) if spec.suite else SEARCH_SUITES
    carried: list[str] = []
    for suite in suites:
        try:
            versions = archive.versions(suite, spec.metapackage)
        except UserError as exc:
            carried.append(f"{suite}: unreachable ({exc.cause.splitlines()[0]})")
            continue
        if not versions:
            carried.append(f"{suite}: no {spec.metapackage}")
            continue
        series_here = []
        for version in versions:
            series = _series_of(version)
            if series == spec.series:
                image = _image_of(archive.fields(suite, spec.metapackage, version))
                if image is None:
                    raise UserError(f"{spec.metapackage} {version} in Debian {suite} depends on no linux-image-* package",
                                    "report this: the metapackage's layout changed")
                return suite, image.package, image.version or version
            series_here.append(series)
        carried.append(f"{suite}: {'/'.join(dict.fromkeys(series_here))}")
    where = f"Debian {spec.suite}" if spec.suite else f"Debian ({', '.join(SEARCH_SUITES)})"
    flavour = f" {spec.debian_flavour}" if spec.flavour else ""
    raise UserError(f"{where} carries no {spec.series}{flavour} kernel ({spec.metapackage}); "
                    f"it has: {'; '.join(carried)}",
                    f"name a series Debian carries ({EXAMPLES}), with @<suite> to pick a suite, "
                    f"or build {spec.series} from source: --kernel {spec.series}")


def _from_kernel_source(fields: dict[str, str], package: str) -> bool:
    """Is this binary package built from the kernel's own source (``linux``, ``linux-signed-*``)?"""
    source = fields.get("Source", package).split()[0]
    return source == "linux" or source.startswith("linux-signed-")


def closure(archive: Archive, suite: str, roots: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``roots`` and every package of the kernel's own source they depend on (first
    alternative of each dependency; an exact version where the relation gives one)."""
    seen: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name, version = pending.pop(0)
        if name in seen:
            continue
        fields = archive.fields(suite, name, version)
        if not _from_kernel_source(fields, name):
            continue
        seen[name] = version
        for alts in parse_depends(fields.get("Depends", "")):
            dep = alts[0]
            if not dep.package.startswith("linux-") or dep.package in seen:
                continue
            if dep.op == "=":
                pending.append((dep.package, dep.version))
            else:
                offered = archive.versions(suite, dep.package)
                if not offered:
                    raise UserError(f"{name} {version} depends on {dep.package}, which Debian {suite} lacks",
                                    "retry later (the archive may be mid-update) or name another suite with @<suite>")
                pending.append((dep.package, offered[0]))
    return sorted(seen.items())


def compiler_of(headers_fields: dict[str, str]) -> str:
    """The compiler package the headers depend on (gcc-14, gcc-16-for-host, linux-compiler-gcc-12-x86)."""
    for alts in parse_depends(headers_fields.get("Depends", "")):
        for rel in alts:
            if re.search(r"(^|-)gcc-\d+", rel.package):
                return rel.package
    return "gcc"


def resolve_prebuilt(spec: PrebuiltSpec, archive: Archive) -> Prebuilt:
    suite, image, version = find(spec, archive)
    headers = f"linux-headers-{image.removeprefix('linux-image-').removesuffix('-unsigned')}"
    if version not in archive.versions(suite, headers):
        raise UserError(f"Debian {suite} has {image} {version} but not {headers} {version}",
                        "retry later (the archive may be mid-update), or name another suite with @<suite>")
    packages = closure(archive, suite, [(image, version), (headers, version)])
    compiler = compiler_of(archive.fields(suite, headers, version))
    return Prebuilt(spec=spec, suite=suite, image_package=image, version=version, packages=tuple(packages),
                    compiler=compiler, build_needs=build_needs(archive, suite, packages, compiler))


def build_needs(archive: Archive, suite: str, packages: Sequence[tuple[str, str]], compiler: str) -> tuple[str, ...]:
    """What the headers side (headers, -common, linux-kbuild) depends on outside the kernel's
    source, the compiler aside: libraries of linux-kbuild's programs, pahole for module BTF."""
    ours = {name for name, _ in packages}
    needs: list[str] = []
    for name, version in packages:
        if not name.startswith(("linux-headers-", "linux-kbuild-")):
            continue
        for alts in parse_depends(archive.fields(suite, name, version).get("Depends", "")):
            dep = alts[0].package
            if dep not in ours and dep != compiler and not dep.startswith("linux-") and dep not in needs:
                needs.append(dep)
    return tuple(needs)


# --------------------------------------------------------------------------
# the toolchain


def host_gcc_major() -> int:
    try:
        out = subprocess.run(["gcc", "-dumpversion"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    m = re.match(r"(\d+)", out.strip())
    return int(m.group(1)) if m else 0


def needs_chroot(prebuilt: Prebuilt, host_major: int) -> bool:
    """A compiler newer than the host's (and, with it, a newer C library for linux-kbuild's
    programs) means the suite's own chroot; an older one is stood in for by the host's gcc."""
    return prebuilt.compiler_major > host_major


def installed(package: str) -> bool:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip().endswith(" installed")


def check_host_needs(prebuilt: Prebuilt, is_installed: Callable[[str], bool] | None = None) -> None:
    """A module built on the host needs the tools the headers depend on (pahole, for module
    BTF): say which packages to install. The compiler is left out (an older one is stood in
    for by the host's gcc), and so are shared libraries: bookworm has none of bullseye's
    libssl1.1, which only sign-file links, and a library modpost needs that the host lacks
    shows as modpost's own error."""
    check = is_installed or installed
    missing = [name for name in prebuilt.build_needs
               if not name.startswith("lib") and not check(name.split(":")[0])]
    if missing:
        raise UserError(f"building modules for Debian's {prebuilt.release} needs {', '.join(missing)} on this host "
                        f"({prebuilt.headers_package} and linux-kbuild depend on {'them' if len(missing) > 1 else 'it'})",
                        f"apt-get install {' '.join(missing)} (tools/apt-packages.txt lists what ./wgc installs)")


def chroot_packages(prebuilt: Prebuilt) -> tuple[str, ...]:
    """What the chroot installs: the compiler, make, perl (kernel-doc, which W=1 runs), sparse
    (the suites' static check, C=2) and linux-kbuild (for its libraries)."""
    kbuild = [name for name, _ in prebuilt.packages if name.startswith("linux-kbuild-")]
    return (prebuilt.compiler, "make", "perl", "sparse", *kbuild)


# --------------------------------------------------------------------------
# fetching


def entry(prebuilt: Prebuilt) -> cache.Entry:
    key = cache.InputKey().code(*CODE)
    key.add("suite", prebuilt.suite).add("packages", "\n".join(f"{n}={v}" for n, v in prebuilt.packages))
    name = f"{prebuilt.release}-{key.hexdigest(12)}"
    return cache.Entry(paths.cache_root() / "debian-kernels" / name, key.inputs)


def modules_root(root: Path) -> Path:
    """The folder that holds lib/modules/<release> (``root``, or ``root/usr`` on a merged-/usr layout)."""
    return root if (root / "lib/modules").is_dir() else root / "usr"


def _unpack(archive: Archive, prebuilt: Prebuilt, folder: Path, progress: Progress) -> Path:
    root = folder / "root"
    root.mkdir()
    log = folder / "fetch.log"
    with log.open("w") as f:
        for name, version in prebuilt.packages:
            deb = archive.download(prebuilt.suite, name, version)
            f.write(f"{name} {version} {deb}\n")
            proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True)
            if proc.returncode != 0:
                deb.unlink(missing_ok=True)
                raise UserError(f"{deb.name} is corrupt ({proc.stderr.strip()[-200:]})",
                                "it has been deleted; run the command again to download it afresh")
    progress(f"unpacked {len(prebuilt.packages)} packages of Debian {prebuilt.suite} into {root}")
    return log


def _relocate(root: Path) -> None:
    """Debian's headers Makefiles name their trees by absolute path
    (``include /usr/src/linux-headers-<release>-common/Makefile``; sid's also
    ``KBUILD_OUTPUT=/usr/src/linux-headers-<release>``): point such paths into ``root``,
    where the packages were unpacked."""
    for makefile in (root / "usr/src").glob("*/Makefile"):
        text = makefile.read_text(errors="surrogateescape")
        fixed = re.sub(r"(?<![\w/.~+-])/usr/src/", lambda m: f"{root}/usr/src/", text)
        if fixed != text:
            makefile.write_text(fixed, errors="surrogateescape")


def _depmod(mroot: Path, release: str) -> None:
    proc = subprocess.run(["depmod", "-b", str(mroot), release], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"depmod failed on Debian's modules of {release}: {proc.stderr.strip()[-300:]}",
                        "apt-get install kmod, then run the command again")


def _fetch(archive: Archive, prebuilt: Prebuilt, folder: Path, chroot_needed: bool,
           progress: Progress) -> dict[str, object]:
    started = time.monotonic()
    log = _unpack(archive, prebuilt, folder, progress)
    root = folder / "root"
    release = prebuilt.release
    headers = root / "usr/src" / prebuilt.headers_package
    mroot = modules_root(root)
    # /boot/vmlinuz-<release>, or beside the modules (sid's split linux-binary-* package)
    image = next((p for p in (root / "boot" / f"vmlinuz-{release}", mroot / "lib/modules" / release / "vmlinuz")
                  if p.is_file()), root / "boot" / f"vmlinuz-{release}")
    missing = [str(p) for p in (image, headers / "Makefile", mroot / "lib/modules" / release) if not p.exists()]
    if missing:
        raise UserError(f"the packages of {prebuilt.image_package} {prebuilt.version} lack {', '.join(missing)}",
                        "report this: Debian's package layout changed")
    _relocate(root)
    _depmod(mroot, release)
    if chroot_needed:
        (headers / TOOLCHAIN_FILE).write_text(json.dumps(
            {"suite": prebuilt.suite, "packages": list(chroot_packages(prebuilt))}, indent=1) + "\n")
    kb = KernelBuild(build_dir=headers, release=release, version=prebuilt.upstream,
                     flavour=f"{FLAVOUR_PREFIX}{prebuilt.spec.debian_flavour}", image=image, modules_root=mroot,
                     source=f"debian:{prebuilt.suite} {prebuilt.image_package} {prebuilt.version}", log=log)
    return {**kb.to_json(), "seconds": round(time.monotonic() - started, 1)}


@dataclass(frozen=True)
class Unpacked:
    """What the entry of one of Debian's kernels was made from, read back from it: the suite
    and every package unpacked, with its .deb (fetch.log), for a root where DKMS builds
    against the same headers (wgcompat.package.dkms_build)."""

    suite: str
    packages: tuple[tuple[str, str, Path], ...]  # (name, version, the .deb apt verified)


def unpacked(kb: KernelBuild) -> Unpacked:
    """The suite and packages of ``kb``, one of Debian's kernels (``distribution_kernel``),
    from the source line and fetch.log that :func:`_fetch` and :func:`_unpack` wrote."""
    found = re.match(rf"^{PREFIX}(\S+) ", kb.source)
    lines = kb.log.read_text().splitlines() if kb.log is not None and kb.log.is_file() else []
    packages = tuple((name, version, Path(deb)) for name, version, deb in
                     (line.split(" ", 2) for line in lines if line.count(" ") >= 2))
    if not distribution_kernel(kb) or found is None or not packages:
        raise UserError(f"{kb.build_dir} is not an unpacked Debian kernel (its source is {kb.source!r}, "
                        f"its fetch log {kb.log})", "name one of Debian's kernels: --kernel debian:6.1, ...")
    return Unpacked(suite=found.group(1), packages=packages)


def fetch_prebuilt(spec: PrebuiltSpec, archive: Archive | None = None,
                   progress: Progress = lambda _: None) -> KernelBuild:
    """The KernelBuild of a ``debian:`` name: resolved, downloaded and unpacked (cached)."""
    archive = archive or AptArchive()
    prebuilt = resolve_prebuilt(spec, archive)
    progress(f"{spec}: {prebuilt.image_package} {prebuilt.version} from Debian {prebuilt.suite} "
             f"(built with {prebuilt.compiler})")
    if shutil.which("dpkg-deb") is None:
        raise UserError("dpkg-deb is not installed (it unpacks Debian's kernel packages)", "apt-get install dpkg")
    chroot_needed = needs_chroot(prebuilt, host_gcc_major())
    if not chroot_needed:
        check_host_needs(prebuilt)
    the_entry = entry(prebuilt)
    outcome = cache.obtain(the_entry, f"Debian's kernel {prebuilt.release}",
                           lambda folder: _fetch(archive, prebuilt, folder, chroot_needed, progress),
                           wait=True, progress=progress)
    return replace(KernelBuild.from_json(outcome.result), cached=outcome.cached)


def toolchain_of(build_dir: Path) -> dict[str, object] | None:
    """The chroot a headers tree's modules are built in (its TOOLCHAIN_FILE), or None: the host."""
    path = build_dir / TOOLCHAIN_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise UserError(f"{path} is not JSON ({exc})", f"remove the folder {build_dir.parents[2]} and run again") from exc
    return data if isinstance(data, dict) else None
