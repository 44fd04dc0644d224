"""Where kernel sources come from.

A provider turns a requested version into an extracted source tree in the
cache. They are tried in this order (docs/kernels.md says the same):

1. ``--kernel-src PATH`` / ``--kernel-dir PATH``: a tree the user already has
   (handled by the caller; no provider is consulted).
2. Debian: ``linux-source-X.Y`` from Debian's archive, through a private apt
   environment (signatures verified by apt).
3. kernel.org: the release tarball, streamed to disk with progress and verified
   against the published sha256 sums; where a keyring of kernel.org's signing keys
   is given (``WGCOMPAT_KERNEL_ORG_KEYRING``, a keyring file gpgv reads) the sums
   file's signature is checked first and only its signed lines are trusted. The
   mirror can be overridden with ``WGCOMPAT_KERNEL_ORG_MIRROR``. A failure says which
   of the three failed: the download, the signature or the checksum.

Every extraction goes to a temporary folder that is renamed into place when
complete, so an interrupted run never leaves a tree a later run would trust.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wgcompat import paths
from wgcompat.apt import SUITES, AptEnv, apt_env
from wgcompat.checksum import sha256_file
from wgcompat.errors import UserError
from wgcompat.kernel.version import KernelVersion, sort_key, upstream_from_debian
from wgcompat.progress import Ticker

KERNEL_ORG_ENV = "WGCOMPAT_KERNEL_ORG_MIRROR"
KERNEL_ORG_KEYRING_ENV = "WGCOMPAT_KERNEL_ORG_KEYRING"
KERNEL_ORG_DEFAULT = "https://cdn.kernel.org/pub/linux/kernel"
LOCAL = "local"  # the provider name of a --kernel-src tree


class ProviderUnavailable(Exception):
    """The provider could not be asked (no network, mirror down)."""


@dataclass(frozen=True)
class SourceTree:
    """An extracted kernel source tree."""

    path: Path
    release: str  # upstream release, e.g. 6.1.192
    provider: str  # "debian:bookworm", "kernel.org", "local"
    origin: str  # package version, URL or path it came from

    @property
    def is_local(self) -> bool:
        """A tree the user has (``--kernel-src``), which may change at any time: its origin
        does not say what it holds (a fetched tree is what its verified origin says)."""
        return self.provider == LOCAL


@dataclass(frozen=True)
class Candidate:
    """What a provider would fetch for a request."""

    provider: "Provider"
    release: str
    detail: str  # Debian package version, tarball URL, ...


@dataclass(frozen=True)
class Attempt:
    provider: str
    outcome: str


class Provider(Protocol):
    name: str

    def find(self, want: KernelVersion) -> Candidate | None: ...

    def fetch(self, candidate: Candidate) -> SourceTree: ...


# --------------------------------------------------------------------------
# helpers shared by the providers


def _extract_tarball(tarball: Path, dest: Path, release: str) -> Path:
    """Extract a kernel tarball into ``dest`` atomically; return the tree's top."""
    if (dest / "Makefile").is_file():
        return dest
    tmp = dest.with_name(dest.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        subprocess.run(["tar", "-xf", str(tarball), "-C", str(tmp)], check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot extract {tarball}: {exc.stderr.strip()[-400:]}",
                        f"the file may be truncated or corrupt: delete it and retry (it will be downloaded again)") from exc
    tops = [p for p in tmp.iterdir() if p.is_dir()]
    if len(tops) != 1 or not (tops[0] / "Makefile").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{tarball} does not hold one kernel source tree", f"delete {tarball} and retry")
    shutil.rmtree(dest, ignore_errors=True)
    tops[0].rename(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return dest


def tree_release(src: Path) -> str:
    """VERSION.PATCHLEVEL.SUBLEVEL from a tree's top Makefile."""
    try:
        text = (src / "Makefile").read_text(errors="replace")
    except OSError as exc:
        raise UserError(f"{src} has no top-level Makefile: it is not a kernel source tree",
                        "point --kernel-src at the top of a Linux source tree (the folder with Makefile and Kconfig)") from exc
    fields = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"):
        m = re.search(rf"^{key}\s*=\s*(\S*)\s*$", text, re.M)
        fields[key] = m.group(1) if m else ""
    if not fields["VERSION"] or not fields["PATCHLEVEL"]:
        raise UserError(f"{src}/Makefile has no VERSION/PATCHLEVEL: not a kernel source tree",
                        "point --kernel-src at the top of a Linux source tree")
    release = f"{fields['VERSION']}.{fields['PATCHLEVEL']}"
    if fields["SUBLEVEL"] not in ("", "0"):
        release += f".{fields['SUBLEVEL']}"
    return release + fields["EXTRAVERSION"]


# --------------------------------------------------------------------------
# Debian


@dataclass
class DebianProvider:
    """linux-source-X.Y packages from Debian's archive."""

    suites: Sequence[str] = SUITES
    suite_hints: dict[str, str] | None = None
    name: str = "debian"

    def _envs(self, want: KernelVersion) -> list[AptEnv]:
        order = list(self.suites)
        hint = (self.suite_hints or {}).get(want.series)
        if hint in order:
            order.remove(hint)
            order.insert(0, hint)
        return [apt_env(paths.cache_root(), s) for s in order]

    def find(self, want: KernelVersion) -> Candidate | None:
        package = f"linux-source-{want.series}"
        found: list[tuple[str, str, AptEnv]] = []
        reached = 0
        for env in self._envs(want):
            try:
                _ensure_lists(env)
            except UserError:
                continue
            reached += 1
            for version in env.candidates(package):
                release = upstream_from_debian(version)
                if want.matches(release):
                    found.append((release, version, env))
            if found and want.series in (self.suite_hints or {}):
                break  # the hinted suite has it: no need to ask the others
        if reached == 0:
            raise ProviderUnavailable("no Debian suite could be reached (apt-get update failed)")
        if not found:
            return None
        release, version, env = max(found, key=lambda f: sort_key(f[0]))
        return Candidate(provider=self, release=release, detail=f"{env.suite}:{package}={version}")

    def fetch(self, candidate: Candidate) -> SourceTree:
        suite, spec = candidate.detail.split(":", 1)
        package, version = spec.split("=", 1)
        dest = paths.sources_dir() / f"linux-{candidate.release}-debian"
        if not (dest / "Makefile").is_file():
            env = apt_env(paths.cache_root(), suite)
            _ensure_lists(env)
            deb = _cached_deb(env, package, version) or env.download_exact(package, version)
            tarball = _tarball_from_deb(deb, package, dest.parent)
            try:
                _extract_tarball(tarball, dest, candidate.release)
            finally:
                tarball.unlink(missing_ok=True)
        return SourceTree(path=dest, release=candidate.release, provider=f"debian:{suite}",
                          origin=f"{package} {version}")


def _ensure_lists(env: AptEnv, max_age_s: float = 24 * 3600) -> None:
    """apt-get update for this suite unless its lists are fresh."""
    import time

    lists = env.root / "lists"
    stamp = env.root / "state/updated"
    if stamp.exists() and any(lists.glob("*_Packages*")) and time.time() - stamp.stat().st_mtime < max_age_s:
        return
    env.update()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()


def _cached_deb(env: AptEnv, package: str, version: str) -> Path | None:
    """A previously downloaded .deb whose SHA256 still matches the archive's index."""
    debs = [d for d in env.archives.glob(f"{package}_*.deb")
            if d.name.split("_")[1] in (version, version.replace(":", "%3a"))]
    if not debs:
        return None
    show = subprocess.run(["apt-cache", *env._options(), "show", f"{package}={version}"],
                          capture_output=True, text=True)
    m = re.search(r"^SHA256:\s*([0-9a-f]{64})", show.stdout, re.M)
    if not m or sha256_file(debs[0]) != m.group(1):
        debs[0].unlink(missing_ok=True)
        return None
    return debs[0]


def _tarball_from_deb(deb: Path, package: str, workdir: Path) -> Path:
    """Pull usr/src/linux-source-X.Y.tar.* out of the package."""
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = workdir / f".{package}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        deb.unlink(missing_ok=True)
        raise UserError(f"{deb.name} is corrupt ({exc.stderr.strip()[-200:]})",
                        "it has been deleted; run the command again to download it afresh") from exc
    tarballs = sorted((tmp / "usr/src").glob(f"{package}.tar.*"))
    if not tarballs:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{deb.name} holds no usr/src/{package}.tar.*", "report this: the package layout changed")
    out = workdir / (f".{package}-{os.getpid()}" + "".join(tarballs[0].suffixes))
    tarballs[0].rename(out)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


# --------------------------------------------------------------------------
# kernel.org


@dataclass
class KernelOrgProvider:
    """Release tarballs from kernel.org (or a mirror), checked against sha256sums.asc."""

    mirror: str | None = None
    timeout_s: float = 20.0
    name: str = "kernel.org"

    @property
    def base(self) -> str:
        return (self.mirror or os.environ.get(KERNEL_ORG_ENV) or KERNEL_ORG_DEFAULT).rstrip("/")

    def _dir_url(self, want: KernelVersion) -> str:
        return f"{self.base}/v{want.major}.x"

    def _open(self, url: str):  # -> http.client.HTTPResponse
        try:
            return urllib.request.urlopen(url, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise FileNotFoundError(url) from exc
            raise ProviderUnavailable(f"{url}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderUnavailable(f"{url}: {reason}") from exc

    def _get(self, url: str) -> bytes:
        with self._open(url) as resp:
            return resp.read()

    def _download(self, url: str, dest: Path) -> None:
        """``url`` streamed into ``dest`` a MiB at a time, with progress for a long download."""
        with self._open(url) as resp, dest.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0

            def fraction() -> float | None:
                return done / total if total else None

            with Ticker(f"downloading {url.rsplit('/', 1)[-1]}", fraction):
                try:
                    while chunk := resp.read(1 << 20):
                        out.write(chunk)
                        done += len(chunk)
                except OSError as exc:
                    raise ProviderUnavailable(f"{url}: {exc} after {done} bytes") from exc

    def _signed_text(self, url: str, raw: bytes) -> str:
        """The sums file's text; with a keyring, only what its signature covers, checked by gpgv."""
        keyring = os.environ.get(KERNEL_ORG_KEYRING_ENV)
        if not keyring:
            return raw.decode(errors="replace")
        if shutil.which("gpgv") is None:
            raise UserError(f"{KERNEL_ORG_KEYRING_ENV} is set but gpgv is not installed, so the signature of "
                            f"{url} cannot be checked", "apt-get install gpgv, or unset the variable")
        proc = subprocess.run(["gpgv", "--keyring", str(Path(keyring).expanduser().resolve()), "--output", "-"],
                              input=raw, capture_output=True)
        if proc.returncode != 0:
            why = proc.stderr.decode(errors="replace").strip().splitlines()
            raise UserError(f"the signature of {url} does not verify against the keyring {keyring}: "
                            f"{'; '.join(why[-3:])}",
                            "the sums file is not what kernel.org signed: use another mirror "
                            f"({KERNEL_ORG_ENV}); if the keyring is outdated, refresh it")
        return proc.stdout.decode(errors="replace")

    def _sums(self, want: KernelVersion) -> dict[str, str]:
        url = f"{self._dir_url(want)}/sha256sums.asc"
        try:
            text = self._signed_text(url, self._get(url))
        except FileNotFoundError:
            return {}
        sums = {}
        for line in text.splitlines():
            m = re.match(r"^([0-9a-f]{64})\s+\*?(linux-[0-9][^\s]*\.tar\.xz)\s*$", line.strip())
            if m:
                sums[m.group(2)] = m.group(1)
        return sums

    def find(self, want: KernelVersion) -> Candidate | None:
        sums = self._sums(want)
        releases = [name[len("linux-"):-len(".tar.xz")] for name in sums]
        matching = [r for r in releases if re.fullmatch(r"\d+\.\d+(\.\d+)?", r) and want.matches(r)]
        if not matching:
            return None
        release = max(matching, key=sort_key)
        return Candidate(provider=self, release=release, detail=f"{self._dir_url(want)}/linux-{release}.tar.xz")

    def fetch(self, candidate: Candidate) -> SourceTree:
        want = KernelVersion.parse(candidate.release)
        name = f"linux-{candidate.release}.tar.xz"
        expected = self._sums(want).get(name)
        if not expected:
            raise UserError(f"{self._dir_url(want)}/sha256sums.asc has no checksum for {name}",
                            "the mirror is incomplete: set WGCOMPAT_KERNEL_ORG_MIRROR to another mirror, "
                            "or download the tree yourself and pass --kernel-src PATH")
        dl = paths.downloads_dir() / "kernel.org"
        dl.mkdir(parents=True, exist_ok=True)
        final = dl / name
        if not final.exists() or sha256_file(final) != expected:
            tmp = dl / f".{name}.{os.getpid()}.part"
            try:
                self._download(candidate.detail, tmp)
            except FileNotFoundError as exc:
                tmp.unlink(missing_ok=True)
                raise UserError(f"download failed: {candidate.detail} is missing on the mirror (HTTP 404)",
                                "set WGCOMPAT_KERNEL_ORG_MIRROR to a complete mirror, or use --kernel-src PATH") from exc
            except ProviderUnavailable as exc:
                tmp.unlink(missing_ok=True)
                raise UserError(f"download failed: cannot download {candidate.detail}: {exc}",
                                "check the network or set WGCOMPAT_KERNEL_ORG_MIRROR to a reachable mirror") from exc
            got = sha256_file(tmp)
            if got != expected:
                tmp.unlink(missing_ok=True)
                raise UserError(
                    f"checksum failed: {name} from {self.base} has sha256 {got} but sha256sums.asc says {expected} "
                    "(corrupted or truncated download); nothing was kept",
                    "run the command again; if it repeats, set WGCOMPAT_KERNEL_ORG_MIRROR to another mirror")
            tmp.rename(final)
        dest = paths.sources_dir() / f"linux-{candidate.release}-kernel.org"
        _extract_tarball(final, dest, candidate.release)
        return SourceTree(path=dest, release=candidate.release, provider="kernel.org", origin=candidate.detail)


# --------------------------------------------------------------------------
# resolution


def default_providers(suite_hints: dict[str, str] | None = None) -> list[Provider]:
    return [DebianProvider(suite_hints=suite_hints), KernelOrgProvider()]


def resolve(want: KernelVersion, providers: Sequence[Provider]) -> tuple[Candidate, list[Attempt]]:
    """The first provider that has ``want``; otherwise a UserError listing every attempt."""
    attempts: list[Attempt] = []
    for provider in providers:
        try:
            candidate = provider.find(want)
        except ProviderUnavailable as exc:
            attempts.append(Attempt(provider.name, f"unreachable ({exc})"))
            continue
        if candidate is not None:
            return candidate, attempts
        attempts.append(Attempt(provider.name, f"has no {want}"))
    tried = "; ".join(f"{a.provider}: {a.outcome}" for a in attempts)
    raise UserError(
        f"no provider has Linux {want} (tried {tried})",
        f"point at a tree you have: --kernel-src PATH (a {want} source tree) or --kernel-dir PATH "
        "(a configured build tree or installed headers, e.g. /lib/modules/VERSION/build)",
    )


def local_tree(src: Path) -> SourceTree:
    src = src.expanduser().resolve()
    if not (src / "Makefile").is_file() or not (src / "Kconfig").is_file():
        raise UserError(f"{src} is not a kernel source tree (no Makefile and Kconfig at its top)",
                        "point --kernel-src at the top of a Linux source tree")
    return SourceTree(path=src, release=tree_release(src), provider=LOCAL, origin=str(src))


def fetch_source(want: KernelVersion, providers: Sequence[Provider]) -> SourceTree:
    candidate, _ = resolve(want, providers)
    return candidate.provider.fetch(candidate)


__all__ = [
    "Attempt", "Candidate", "DebianProvider", "KernelOrgProvider", "Provider", "ProviderUnavailable",
    "SourceTree", "default_providers", "fetch_source", "local_tree", "resolve", "tree_release",
]
