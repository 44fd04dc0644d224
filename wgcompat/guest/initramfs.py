"""The guest's userland: a cached base initramfs plus a small per-boot overlay.

Base image
    Debian packages (``BASE_PACKAGES`` and their dependency closure, minus the
    install-time-only packages in ``SKIP_PACKAGES``) unpacked with ``dpkg-deb -x``
    into a staging tree, trimmed (docs, man pages, locales), completed with
    busybox applet links, iptables alternatives, /etc basics, our ``/init`` and
    the console server, and written as a cpio "newc" archive. It is cached
    under ``paths.initramfs_dir()/base-<key>/`` where the key hashes the package
    list, the exact .deb file names, the compression and ``BUILDER_VERSION``.
    It is built in a temporary folder and renamed into place only when
    complete, so an interrupted build is never taken for a finished one.

Overlay (per boot, cheap)
    A second cpio archive appended to the base (Linux unpacks concatenated
    archives): the kernel's modules (``<modules_root>/lib/modules/<release>``)
    with the kernel's own ``wireguard.ko`` moved to ``/lib/modules/reference/``,
    our ``wireguard.ko`` as ``/lib/modules/<release>/updates/wireguard.ko``,
    ``depmod`` run, plus extra files (``put``).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wgcompat import paths
from wgcompat.errors import UserError
from wgcompat.guest.cpio import CpioWriter

BUILDER_VERSION = 3
SUITE = "bookworm"
FILES = Path(__file__).resolve().parent / "files"

BASE_PACKAGES: tuple[str, ...] = (
    "bash", "busybox-static", "iproute2", "wireguard-tools", "wireguard-go", "iputils-ping",
    "iperf3", "ncat", "iptables", "kmod", "procps", "python3-minimal", "netbase",
)

# Needed only to install packages (maintainer scripts), or covered by busybox.
SKIP_PACKAGES: frozenset[str] = frozenset({
    "dpkg", "debconf", "debconf-2.0", "cdebconf", "adduser", "passwd", "perl-base", "perl", "init-system-helpers",
    "usrmerge", "coreutils", "tar", "mawk", "debianutils", "base-files", "logsave", "sensible-utils",
    "lsb-base", "sysvinit-utils", "libpam-modules", "libpam-modules-bin", "libpam0g", "libpam-runtime",
    "libsemanage2", "libsemanage-common", "libsepol2", "udev", "systemd", "initramfs-tools",
    "initramfs-tools-core", "linux-base", "klibc-utils", "libklibc", "cpio", "readline-common",
})
SKIP_PATTERNS = (re.compile(r"^perl-modules-"), re.compile(r"^libperl\d"))

# Trimmed from the staging tree.
PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
         "usr/share/bug", "usr/share/bash-completion", "usr/share/zsh", "usr/share/fish", "usr/share/menu",
         "usr/share/common-licenses", "usr/share/doc-base", "usr/share/pixmaps", "usr/share/applications",
         "usr/lib/python3.11/pydoc_data", "usr/lib/python3.11/ensurepip", "etc/init.d", "etc/cron.daily",
         "etc/logrotate.d", "lib/systemd", "usr/lib/systemd", "etc/systemd")

IPTABLES_ALTERNATIVES = {
    "iptables": "xtables-nft-multi", "iptables-save": "xtables-nft-multi", "iptables-restore": "xtables-nft-multi",
    "ip6tables": "xtables-nft-multi", "ip6tables-save": "xtables-nft-multi", "ip6tables-restore": "xtables-nft-multi",
}

Compression = Literal["none", "gzip"]


# Host tools the builder runs, and the Debian package that provides each.
HOST_TOOLS = {"dpkg-deb": "dpkg", "dpkg": "dpkg", "depmod": "kmod", "modinfo": "kmod"}


def _tool(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a host tool; a missing one is a UserError that says how to install it."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    except FileNotFoundError as exc:
        package = HOST_TOOLS.get(argv[0], argv[0])
        raise UserError(f"{argv[0]} is not installed on this host (the guest image builder needs it)",
                        f"run `apt-get install {package}` (as root), then try again") from exc


@dataclass(frozen=True)
class BaseImage:
    path: Path                  # the cpio archive (append an overlay to it); manifest.json beside it
    debs: tuple[str, ...]       # exact .deb file names that went in
    size: int
    cached: bool
    seconds: float


@dataclass(frozen=True)
class OverlayRequest:
    out: Path
    release: str | None = None              # kernel release; from modules_root or the .ko if None
    modules_root: Path | None = None        # INSTALL_MOD_PATH of the kernel (holds lib/modules/<release>)
    wireguard_ko: Path | None = None        # our module
    put: Sequence[tuple[Path, str]] = field(default_factory=tuple)  # (host file or folder, absolute guest path)


@dataclass(frozen=True)
class Overlay:
    path: Path
    release: str | None
    modules: int                # .ko files in the overlay
    reference_ko: bool          # the kernel's own wireguard.ko was moved to /lib/modules/reference
    size: int


# --------------------------------------------------------------------------- debs

@dataclass(frozen=True)
class DebInfo:
    path: Path
    package: str
    version: str
    depends: tuple[tuple[str, ...], ...]   # each a list of alternatives
    provides: tuple[str, ...]


def _split_relations(text: str) -> tuple[tuple[str, ...], ...]:
    out: list[tuple[str, ...]] = []
    for group in filter(None, (g.strip() for g in text.split(","))):
        alts = tuple(re.split(r"[\s(:\[]", a.strip(), maxsplit=1)[0] for a in group.split("|"))
        out.append(tuple(a for a in alts if a))
    return tuple(out)


def read_deb(path: Path) -> DebInfo:
    proc = _tool(["dpkg-deb", "-f", str(path), "Package", "Version", "Depends", "Pre-Depends", "Provides"])
    if proc.returncode != 0:
        raise UserError(f"{path} is not a readable .deb: {proc.stderr.strip()}",
                        f"delete {path} and run the command again to download it anew")
    fields: dict[str, str] = {}
    key = ""
    for line in proc.stdout.splitlines():
        if line[:1].isspace() and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    deps = _split_relations(fields.get("Pre-Depends", "")) + _split_relations(fields.get("Depends", ""))
    provides = tuple(p[0] for p in _split_relations(fields.get("Provides", "")))
    return DebInfo(path=path, package=fields.get("Package", ""), version=fields.get("Version", ""),
                   depends=deps, provides=provides)


def _newest(a: DebInfo, b: DebInfo) -> DebInfo:
    proc = _tool(["dpkg", "--compare-versions", a.version, "gt", b.version])
    return a if proc.returncode == 0 else b


def skipped(package: str) -> bool:
    return package in SKIP_PACKAGES or any(p.match(package) for p in SKIP_PATTERNS)


def closure(roots: Sequence[str], debs: Sequence[Path]) -> list[DebInfo]:
    """The runtime dependency closure of ``roots`` among ``debs`` (install-time packages skipped)."""
    by_name: dict[str, DebInfo] = {}
    for d in debs:
        info = read_deb(d)
        by_name[info.package] = _newest(info, by_name[info.package]) if info.package in by_name else info
    providers: dict[str, str] = {}
    for info in by_name.values():
        for p in info.provides:
            providers.setdefault(p, info.package)
    chosen: dict[str, DebInfo] = {}
    todo = list(roots)
    for root in roots:
        if root not in by_name:
            raise UserError(f"the guest package {root} was not downloaded",
                            f"check that Debian {SUITE} has {root}; the downloaded files are in {debs[0].parent if debs else '?'}")
    while todo:
        name = todo.pop()
        name = name if name in by_name else providers.get(name, name)
        if name in chosen or skipped(name) or name not in by_name:
            continue
        info = by_name[name]
        chosen[name] = info
        for alts in info.depends:
            if any(a in chosen or (providers.get(a) in chosen) for a in alts):
                continue
            pick = next((a for a in alts if a in by_name or a in providers), None)
            if pick is not None:
                todo.append(pick)
    return sorted(chosen.values(), key=lambda i: i.package)


def download_debs(packages: Sequence[str]) -> list[Path]:
    """The .deb files of ``packages`` and their closure, from the private apt environment."""
    from wgcompat.apt import apt_env

    env = apt_env(paths.cache_root(), SUITE)
    env.update()
    env.download_closure(list(packages))
    return sorted(env.archives.glob("*.deb"))


# --------------------------------------------------------------------------- cache

def _key(packages: Sequence[str], compress: str, deb_names: Sequence[str] | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"v": BUILDER_VERSION, "packages": sorted(packages), "compress": compress,
                         "files": [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(FILES.iterdir())],
                         "builder": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}).encode())
    if deb_names is not None:
        h.update(json.dumps(sorted(deb_names)).encode())
    return h.hexdigest()[:16]


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _complete_images(root: Path, family: str) -> list[Path]:
    """Finished base images of a package family, newest first (a temp dir is never one)."""
    found = [d for d in root.glob(f"base-{family}-*") if (d / "manifest.json").is_file()]
    return sorted(found, key=lambda d: (d / "manifest.json").stat().st_mtime, reverse=True)


def _load(d: Path, cached: bool, seconds: float) -> BaseImage:
    m = json.loads((d / "manifest.json").read_text())
    archive = d / m["archive"]
    return BaseImage(path=archive, debs=tuple(m["debs"]), size=archive.stat().st_size, cached=cached,
                     seconds=seconds)


def _clean_stale_tmp(root: Path) -> None:
    for d in root.glob(".tmp-base-*"):
        pid = d.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def build_base(*, cache_dir: Path | None = None, packages: Sequence[str] = BASE_PACKAGES,
               compress: Compression = "none", refresh: bool = False,
               fetch: Callable[[Sequence[str]], list[Path]] = download_debs,
               progress: Callable[[str], None] = lambda s: None) -> BaseImage:
    """The base image, from the cache when one exists for these packages.

    ``refresh=True`` asks apt again and rebuilds when the .deb set changed.
    """
    started = time.monotonic()
    root = cache_dir or paths.initramfs_dir()
    family = _key(packages, compress, None)
    if not refresh:
        done = _complete_images(root, family)
        if done:
            return _load(done[0], True, time.monotonic() - started)
    with _locked(root / "base.lock"):
        if not refresh:  # someone else may have finished it while we waited
            done = _complete_images(root, family)
            if done:
                return _load(done[0], True, time.monotonic() - started)
        _clean_stale_tmp(root)
        progress(f"downloading the guest packages ({', '.join(packages)}) from Debian {SUITE}")
        debs = fetch(packages)
        chosen = closure(packages, debs)
        names = [c.path.name for c in chosen]
        key = f"{family}-{_key(packages, compress, names)}"
        final = root / f"base-{key}"
        if (final / "manifest.json").is_file():
            os.utime(final / "manifest.json")
            return _load(final, True, time.monotonic() - started)
        progress(f"building the guest base image from {len(chosen)} packages")
        tmp = root / f".tmp-base-{key}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            staging = tmp / "root"
            staging.mkdir()
            populate(staging, chosen)
            archive = tmp / ("base.cpio.gz" if compress == "gzip" else "base.cpio")
            write_archive(staging, archive, compress)
            shutil.rmtree(staging)
            (tmp / "manifest.json").write_text(json.dumps({
                "key": key, "packages": list(packages), "debs": names, "archive": archive.name,
                "builder": BUILDER_VERSION, "compress": compress}, indent=1))
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)  # the image exists only once it is complete
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for older in _complete_images(root, family):
            if older != final:  # superseded images of the same package list (60 MB each)
                shutil.rmtree(older, ignore_errors=True)
        return _load(final, False, time.monotonic() - started)


# --------------------------------------------------------------------------- staging

def populate(staging: Path, chosen: Sequence[DebInfo]) -> None:
    for info in chosen:
        proc = _tool(["dpkg-deb", "-x", str(info.path), str(staging)])
        if proc.returncode != 0:
            raise UserError(f"dpkg-deb could not unpack {info.path.name}: {proc.stderr.strip()}",
                            f"delete {info.path} and run again to download it anew")
    for rel in PRUNE:
        shutil.rmtree(staging / rel, ignore_errors=True)
    for d in ("proc", "sys", "dev", "tmp", "run", "root", "mnt", "var/tmp", "var/lib", "etc", "lib/modules",
              "usr/lib/wgcompat", "usr/local/bin", "usr/local/sbin", "sys/fs/cgroup"):
        (staging / d).mkdir(parents=True, exist_ok=True)
    os.chmod(staging / "tmp", 0o1777)
    os.chmod(staging / "var/tmp", 0o1777)
    _busybox_links(staging)
    sbin = staging / "usr/sbin"
    for name, target in IPTABLES_ALTERNATIVES.items():
        if (sbin / target).exists() and not _exists_anywhere(staging, name):
            (sbin / name).symlink_to(target)
    etc = staging / "etc"
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (etc / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    (etc / "shadow").write_text("root::1::::::\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    (etc / "hostname").write_text("wgcompat\n")
    (etc / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files dns\nservices: files\nprotocols: files\n")
    (etc / "resolv.conf").write_text("")
    (etc / "profile").write_text("export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
    shutil.copy2(FILES / "init", staging / "init")
    shutil.copy2(FILES / "wgc-server", staging / "usr/lib/wgcompat/wgc-server")
    os.chmod(staging / "init", 0o755)
    shutil.copy2(FILES / "wgc-load-reference", staging / "usr/local/sbin/wgc-load-reference")
    for exe in ("usr/lib/wgcompat/wgc-server", "usr/local/sbin/wgc-load-reference"):
        os.chmod(staging / exe, 0o755)
    _check_libraries(staging)


def _exists_anywhere(staging: Path, name: str) -> bool:
    return any(os.path.lexists(staging / d / name) for d in ("bin", "sbin", "usr/bin", "usr/sbin"))


def _busybox_links(staging: Path) -> None:
    busybox = staging / "bin/busybox"
    if not busybox.is_file():
        raise UserError("busybox-static did not provide /bin/busybox in the guest image",
                        "check the busybox-static package of Debian bookworm in the private apt archive")
    proc = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"cannot list the busybox applets: {proc.stderr.strip()}",
                        "the host must be able to run the static x86_64 busybox binary")
    for entry in proc.stdout.split():
        name = entry.rsplit("/", 1)[-1]
        if name in ("init", "linuxrc") or _exists_anywhere(staging, name):
            continue
        link = staging / entry
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")


_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")


def _check_libraries(staging: Path) -> None:
    """Every shared library a guest program needs is in the image (else a package was skipped wrongly)."""
    if shutil.which("readelf") is None:
        return
    libdirs = [staging / d for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib")]
    present = {p.name for d in libdirs if d.is_dir() for p in d.iterdir()}
    programs = [p for d in ("bin", "sbin", "usr/bin", "usr/sbin") if (staging / d).is_dir()
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
                        "remove the package that ships them from SKIP_PACKAGES in wgcompat/guest/initramfs.py")


def write_archive(staging: Path, archive: Path, compress: Compression) -> None:
    raw = archive if compress == "none" else archive.with_suffix("")
    with raw.open("wb") as f:
        w = CpioWriter(f)
        w.device("dev/console", "c", 5, 1)
        w.device("dev/null", "c", 1, 3, 0o666)
        w.device("dev/ttyS0", "c", 4, 64)
        w.device("dev/ttyS1", "c", 4, 65)
        w.tree("", staging)
        w.close()
    if compress == "gzip":
        with raw.open("rb") as src, gzip.open(archive, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        raw.unlink()
        pad = (-archive.stat().st_size) % 512  # the next archive must start 4-aligned
        with archive.open("ab") as f:
            f.write(b"\0" * pad)


# --------------------------------------------------------------------------- overlay

_KO = re.compile(r"\.ko(\.xz|\.zst|\.gz)?$")


def ko_release(ko: Path) -> str:
    """The kernel release a module was built for (from its vermagic)."""
    proc = _tool(["modinfo", "-F", "vermagic", str(ko)])
    words = proc.stdout.split()
    if proc.returncode != 0 or not words:
        raise UserError(f"cannot read the vermagic of {ko}: {proc.stderr.strip() or 'no vermagic'}",
                        "pass the kernel release explicitly, or check that the file is a kernel module")
    return words[0]


def _release_of(modules_root: Path) -> str:
    mods = modules_root / "lib/modules"
    found = sorted(p.name for p in mods.iterdir() if p.is_dir()) if mods.is_dir() else []
    if len(found) != 1:
        raise UserError(f"{modules_root} should hold exactly one lib/modules/<release> folder, it has {found or 'none'}",
                        "pass the folder given to `make modules_install INSTALL_MOD_PATH=...`, or name the release")
    return found[0]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def build_overlay(req: OverlayRequest) -> Overlay:
    """Write the per-boot overlay archive to ``req.out``."""
    release = req.release
    if release is None and req.modules_root is not None:
        release = _release_of(req.modules_root)
    if release is None and req.wireguard_ko is not None:
        release = ko_release(req.wireguard_ko)
    count = 0
    reference = False
    with tempfile.TemporaryDirectory(prefix="wgc-overlay-") as tmpname:
        stage = Path(tmpname) / "root"
        if release is not None:
            moddir = stage / "lib/modules" / release
            src = req.modules_root / "lib/modules" / release if req.modules_root else None
            if src is not None:
                if not src.is_dir():
                    raise UserError(f"{req.modules_root} has no lib/modules/{release}",
                                    "run `make modules_install INSTALL_MOD_PATH=<dir>` for this kernel")
                shutil.copytree(src, moddir, symlinks=True, copy_function=_link_or_copy,
                                ignore=lambda d, names: [n for n in names if n in ("build", "source")])
            moddir.mkdir(parents=True, exist_ok=True)
            own = sorted((moddir / "kernel/drivers/net/wireguard").glob("wireguard.ko*"))
            if own:
                ref = stage / "lib/modules/reference"
                ref.mkdir(parents=True, exist_ok=True)
                for ko in own:
                    shutil.move(str(ko), ref / ko.name)
                reference = True
            if req.wireguard_ko is not None:
                if not req.wireguard_ko.is_file():
                    raise UserError(f"{req.wireguard_ko} does not exist", "build the module first (invoke build)")
                (moddir / "updates").mkdir(exist_ok=True)
                shutil.copy2(req.wireguard_ko, moddir / "updates/wireguard.ko")
            proc = _tool(["depmod", "-b", str(stage), release])
            if proc.returncode != 0:
                raise UserError(f"depmod failed for the guest's modules ({release}): {proc.stderr.strip()}",
                                "check the modules folder; `apt-get install kmod` provides depmod")
            count = sum(1 for p in moddir.rglob("*") if _KO.search(p.name))
        req.out.parent.mkdir(parents=True, exist_ok=True)
        with req.out.open("wb") as f:
            w = CpioWriter(f)
            if stage.exists():
                w.tree("", stage)
            for host, guest in req.put:
                if not guest.startswith("/"):
                    raise UserError(f"guest path {guest!r} is not absolute", "write the guest path as /root/name")
                if host.is_dir():
                    w.tree(guest, host)
                elif host.is_file():
                    w.parents(guest)
                    w.file(guest, host)
                else:
                    raise UserError(f"{host} does not exist", "name an existing file or folder on the host")
            w.close()
    return Overlay(path=req.out, release=release, modules=count, reference_ko=reference, size=req.out.stat().st_size)


def concatenate(parts: Sequence[Path], out: Path) -> Path:
    """One initrd file from the base and overlay archives (QEMU takes a single -initrd)."""
    with out.open("wb") as dst:
        for p in parts:
            with p.open("rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            pad = (-dst.tell()) % 4
            dst.write(b"\0" * pad)
    return out
