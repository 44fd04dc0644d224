"""A private apt environment inside the wgcompat cache.

Kernel sources (linux-source-X.Y) and the guest's userland come from Debian's
archive. We never touch the host's apt configuration: each suite gets its own
sources list, state, lists and archive folders under ``<cache>/apt/<suite>``,
and an empty dpkg status so that ``apt-get install --download-only`` fetches the
whole dependency closure of what we ask for. apt verifies the Release
signatures against the host's Debian archive keyring, as it would for the host.

The mirror is the one the host already uses for Debian (read from its apt
sources), unless ``WGCOMPAT_DEBIAN_MIRROR`` says otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError

DEFAULT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
HOST_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
MIRROR_ENV = "WGCOMPAT_DEBIAN_MIRROR"

# Suites that carry each kernel series as linux-source-X.Y. Also the order in
# which the Debian provider looks for a series it does not know.
SUITES: tuple[str, ...] = ("bookworm", "bullseye", "trixie", "sid")


def _host_mirror_lines() -> list[str]:
    lines: list[str] = []
    for place in HOST_SOURCES:
        files = sorted(place.glob("*.sources")) + sorted(place.glob("*.list")) if place.is_dir() else [place]
        for f in files:
            try:
                lines.extend(f.read_text().splitlines())
            except OSError:
                continue
    return lines


def host_debian_mirror() -> str:
    """The Debian mirror URL: $WGCOMPAT_DEBIAN_MIRROR, else the host's own."""
    env = os.environ.get(MIRROR_ENV)
    if env:
        return env.rstrip("/")
    for line in _host_mirror_lines():
        line = line.split("#", 1)[0].strip()
        # deb822: "URIs: http://host/debian"; one-line: "deb [opts] http://host/debian suite comp"
        m = re.match(r"^URIs:\s*(\S+)", line) or re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s", line)
        if m and "security" not in m.group(1) and m.group(1).rstrip("/").endswith("/debian"):
            return m.group(1).rstrip("/")
    raise UserError(
        "no Debian mirror found in the host's apt sources",
        f"set {MIRROR_ENV}=http://<your Debian mirror>/debian, or add a Debian source to /etc/apt/sources.list.d/",
    )


@dataclass(frozen=True)
class AptEnv:
    """One suite's private apt state: ``root/{etc,state,lists,archives}``."""

    root: Path
    suite: str
    mirror: str
    keyring: Path = DEFAULT_KEYRING
    architecture: str = "amd64"  # Debian's name of the architecture packages are taken for

    @property
    def archives(self) -> Path:
        return self.root / "archives"

    def _options(self) -> list[str]:
        r = self.root
        opts = {
            "Dir::Etc::SourceList": r / "etc/sources.list",
            "Dir::Etc::SourceParts": r / "etc/sources.list.d",
            "Dir::Etc::Preferences": r / "etc/preferences",
            "Dir::Etc::PreferencesParts": r / "etc/preferences.d",
            "Dir::State": r / "state",
            "Dir::State::Lists": r / "lists",
            "Dir::State::status": r / "state/status",
            "Dir::Cache": r / "cache",
            "Dir::Cache::archives": self.archives,
            "APT::Get::AllowUnauthenticated": "false",
            "APT::Install-Recommends": "false",
            "APT::Architecture": self.architecture,
            "APT::Architectures": self.architecture,
            "Debug::NoLocking": "true",
        }
        args: list[str] = []
        for key, value in opts.items():
            args += ["-o", f"{key}={value}"]
        return args

    def prepare(self) -> None:
        for d in ("etc/sources.list.d", "etc/preferences.d", "state", "lists/partial", "cache", "archives/partial"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "state/status").touch()
        suites = [self.suite]
        if self.suite in ("bullseye", "bookworm", "trixie"):
            suites.append(f"{self.suite}-updates")
        text = "".join(
            f"deb [signed-by={self.keyring}] {self.mirror} {s} main\n" for s in suites
        )
        security = self.mirror.rsplit("/", 1)[0] + "/debian-security"
        if self.suite in ("bullseye", "bookworm", "trixie"):
            text += f"deb [signed-by={self.keyring}] {security} {self.suite}-security main\n"
        (self.root / "etc/sources.list").write_text(text)

    def _apt(self, *args: str, what: str) -> subprocess.CompletedProcess[str]:
        cmd = ["apt-get", "-q", *self._options(), *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except FileNotFoundError as exc:
            raise UserError("apt-get is not installed", "this harness needs a Debian host with apt") from exc
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
            raise UserError(
                f"apt-get failed to {what} from Debian {self.suite} ({self.mirror}):\n{tail}",
                f"check that the mirror is reachable (or set {MIRROR_ENV}) and retry; the private apt state is in {self.root}",
            )
        return proc

    def update(self) -> None:
        self.prepare()
        self._apt("update", what="update the package lists")

    def candidates(self, package: str) -> list[str]:
        """Versions of ``package`` this suite offers, newest first (empty if none).

        apt-cache takes seconds on a private state, so the answer is kept until
        the package lists change (``update`` rewrites them).
        """
        lists = self.root / "lists"
        stamp = max((p.stat().st_mtime_ns for p in lists.glob("*_Packages*")), default=0)
        memo = self.root / "cache" / f"candidates-{package}-{stamp}.txt"
        if stamp and memo.is_file():
            return memo.read_text().split()
        cmd = ["apt-cache", *self._options(), "madison", package]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = []
        for line in proc.stdout.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 2 and parts[0] == package:
                out.append(parts[1])
        if stamp and proc.returncode == 0:
            memo.parent.mkdir(parents=True, exist_ok=True)
            for old in memo.parent.glob(f"candidates-{package}-*.txt"):
                old.unlink(missing_ok=True)
            tmp = memo.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text("\n".join(out))
            tmp.rename(memo)
        return out

    def download_closure(self, packages: Sequence[str]) -> list[Path]:
        """Download ``packages`` and everything they depend on; return those .deb files.

        The private status file is empty, so apt treats every dependency as
        missing: a simulated install names the whole closure, then apt
        downloads it (signature-verified) into the archive folder.
        """
        plan = self._apt("install", "-s", "-y", *packages, what=f"resolve {' '.join(packages)}")
        names = set(re.findall(r"^Inst (\S+) ", plan.stdout, re.M))
        if not names:
            raise UserError(f"apt resolved no packages for {' '.join(packages)}",
                            f"check the names exist in Debian {self.suite}; state is in {self.root}")
        self._apt("install", "--download-only", "-y", *packages, what=f"download {' '.join(packages)}")
        arch_names = {n.split(":", 1)[0] for n in names}
        return sorted(d for d in self.archives.glob("*.deb") if d.name.split("_", 1)[0] in arch_names)

    def download_exact(self, package: str, version: str | None = None) -> Path:
        """Download one package (no dependencies) into the archive folder."""
        spec = f"{package}={version}" if version else package
        self.archives.mkdir(parents=True, exist_ok=True)
        cmd = ["apt-get", "-q", *self._options(), "download", spec]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.archives)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
            raise UserError(f"apt-get could not download {spec} from Debian {self.suite}:\n{tail}",
                            f"check that the mirror is reachable (or set {MIRROR_ENV}); state is in {self.root}")
        matches = sorted(self.archives.glob(f"{package}_*.deb"))
        if version:
            wanted = {f"{package}_{v}_" for v in (version, version.replace(":", "%3a"))}
            matches = [m for m in matches if any(m.name.startswith(w) for w in wanted)]
        if not matches:
            raise UserError(f"apt-get reported success but no {spec} .deb is in {self.archives}",
                            f"remove {self.root} and retry")
        return matches[-1]


def apt_env(cache_root: Path, suite: str, architecture: str = "amd64") -> AptEnv:
    """One suite's private apt state (``<cache>/apt/<suite>``; ``<suite>-<architecture>`` for
    another architecture than amd64)."""
    name = suite if architecture == "amd64" else f"{suite}-{architecture}"
    return AptEnv(root=cache_root / "apt" / name, suite=suite, mirror=host_debian_mirror(), architecture=architecture)
