"""The kernel.org provider against a local HTTP server: good, corrupted and missing
tarballs, missing sums, a sums file signed by a key the test generates (good, tampered,
signed by another key), no network; and the resolution error message."""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import socket
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.kernel.providers import (
    KernelOrgProvider,
    ProviderUnavailable,
    local_tree,
    resolve,
    tree_release,
)
from wgcompat.kernel.version import KernelVersion


def make_tarball(release: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        major, minor, *rest = release.split(".")
        files = {
            "Makefile": f"VERSION = {major}\nPATCHLEVEL = {minor}\nSUBLEVEL = {rest[0] if rest else 0}\nEXTRAVERSION =\n",
            "Kconfig": "config FOO\n\tbool\n",
        }
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"linux-{release}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Mirror:
    """A directory tree served over HTTP on loopback: v5.x/linux-*.tar.xz and sha256sums.asc."""

    def __init__(self, root: Path):
        self.root = root
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, release: str, *, corrupt: bool = False, missing: bool = False, in_sums: bool = True) -> None:
        d = self.root / f"v{release.split('.')[0]}.x"
        d.mkdir(parents=True, exist_ok=True)
        data = make_tarball(release)
        digest = hashlib.sha256(data).hexdigest()
        if corrupt:
            data = data[: len(data) // 2]  # truncated in transit
        if not missing:
            (d / f"linux-{release}.tar.xz").write_bytes(data)
        if in_sums:
            with (d / "sha256sums.asc").open("a") as f:
                f.write(f"{digest}  linux-{release}.tar.xz\n")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(tmp_path):
    m = Mirror(tmp_path / "mirror")
    yield m
    m.close()


def test_series_resolves_to_newest_point_release(mirror):
    for r in ("5.4.1", "5.4.10", "5.4.9", "5.10.3"):
        mirror.publish(r)
    cand = KernelOrgProvider(mirror=mirror.url).find(KernelVersion.parse("5.4"))
    assert cand is not None and cand.release == "5.4.10"


def test_good_tarball_is_fetched_verified_and_extracted(mirror, isolated_cache):
    mirror.publish("5.4.10")
    provider = KernelOrgProvider(mirror=mirror.url)
    cand = provider.find(KernelVersion.parse("5.4.10"))
    tree = provider.fetch(cand)
    assert tree.release == "5.4.10" and tree.provider == "kernel.org"
    assert tree_release(tree.path) == "5.4.10"
    assert (isolated_cache / "downloads/kernel.org/linux-5.4.10.tar.xz").is_file()


def test_corrupted_download_is_refused_and_not_kept(mirror, isolated_cache):
    mirror.publish("5.4.10", corrupt=True)
    provider = KernelOrgProvider(mirror=mirror.url)
    cand = provider.find(KernelVersion.parse("5.4"))
    with pytest.raises(UserError) as err:
        provider.fetch(cand)
    assert "checksum failed" in err.value.cause and "sha256" in err.value.cause
    assert "WGCOMPAT_KERNEL_ORG_MIRROR" in err.value.fix
    dl = isolated_cache / "downloads/kernel.org"
    assert not list(dl.glob("linux-5.4.10*")), "a corrupted tarball must not stay in the cache"
    assert not (isolated_cache / "sources").exists() or not list((isolated_cache / "sources").iterdir())


def test_missing_tarball_names_the_url(mirror):
    mirror.publish("5.4.10", missing=True)
    provider = KernelOrgProvider(mirror=mirror.url)
    cand = provider.find(KernelVersion.parse("5.4"))
    with pytest.raises(UserError) as err:
        provider.fetch(cand)
    assert "linux-5.4.10.tar.xz" in err.value.cause and "404" in err.value.cause
    assert err.value.cause.startswith("download failed")


def make_signing_key(home: Path, name: str) -> Path:
    """A new signing key in the GnuPG home ``home``; returns a keyring file with its public key."""
    home.mkdir(mode=0o700, parents=True)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", f"{name} <{name}@example.invalid>", "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    keyring = home / "public.gpg"
    keyring.write_bytes(subprocess.run([*gpg, "--export"], check=True, capture_output=True).stdout)
    return keyring


def clearsign(home: Path, path: Path) -> None:
    gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    signed = subprocess.run([*gpg, "--clearsign", "--output", "-", str(path)], check=True, capture_output=True).stdout
    path.write_bytes(signed)


@pytest.fixture(scope="module")
def signing_keys(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """(GnuPG home, public keyring) of two keys: "kernel.org" and "someone else"."""
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        pytest.fail("gpg and gpgv are needed (apt-get install gnupg gpgv)", pytrace=False)
    root = tmp_path_factory.mktemp("gnupg")
    return {name: (root / name.replace(" ", "-"), make_signing_key(root / name.replace(" ", "-"), name.split()[0]))
            for name in ("kernel.org", "someone else")}


def test_a_signed_sums_file_is_checked_and_the_tarball_fetched(mirror, isolated_cache, signing_keys, monkeypatch):
    home, keyring = signing_keys["kernel.org"]
    mirror.publish("5.4.10")
    clearsign(home, mirror.root / "v5.x/sha256sums.asc")
    monkeypatch.setenv("WGCOMPAT_KERNEL_ORG_KEYRING", str(keyring))
    provider = KernelOrgProvider(mirror=mirror.url)
    tree = provider.fetch(provider.find(KernelVersion.parse("5.4")))
    assert tree_release(tree.path) == "5.4.10"


@pytest.mark.parametrize("how", ["tampered after signing", "signed by another key"])
def test_a_sums_file_whose_signature_fails_is_refused_by_name(mirror, isolated_cache, signing_keys, monkeypatch,
                                                                 how):
    home, keyring = signing_keys["kernel.org"]
    mirror.publish("5.4.10")
    sums = mirror.root / "v5.x/sha256sums.asc"
    if how == "tampered after signing":
        clearsign(home, sums)
        sums.write_text(sums.read_text().replace("linux-5.4.10", "linux-5.4.11"))
    else:
        clearsign(signing_keys["someone else"][0], sums)
    monkeypatch.setenv("WGCOMPAT_KERNEL_ORG_KEYRING", str(keyring))
    with pytest.raises(UserError) as err:
        KernelOrgProvider(mirror=mirror.url).find(KernelVersion.parse("5.4"))
    assert "the signature of" in err.value.cause and "sha256sums.asc" in err.value.cause
    assert not (isolated_cache / "downloads").exists(), "nothing is downloaded on a bad signature"


def test_release_missing_from_sums_is_not_offered(mirror):
    mirror.publish("5.4.10", in_sums=False)
    assert KernelOrgProvider(mirror=mirror.url).find(KernelVersion.parse("5.4")) is None


def test_mirror_from_environment(mirror, monkeypatch):
    mirror.publish("5.4.3")
    monkeypatch.setenv("WGCOMPAT_KERNEL_ORG_MIRROR", mirror.url)
    assert KernelOrgProvider().find(KernelVersion.parse("5.4")).release == "5.4.3"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_is_reported_as_unreachable():
    provider = KernelOrgProvider(mirror=f"http://127.0.0.1:{closed_port()}", timeout_s=5)
    with pytest.raises(ProviderUnavailable):
        provider.find(KernelVersion.parse("5.4"))


class Empty:
    name = "debian"

    def find(self, want):
        return None

    def fetch(self, candidate):  # pragma: no cover - never called
        raise AssertionError


def test_no_provider_lists_what_was_tried_and_how_to_point_at_a_tree():
    unreachable = KernelOrgProvider(mirror=f"http://127.0.0.1:{closed_port()}", timeout_s=5)
    with pytest.raises(UserError) as err:
        resolve(KernelVersion.parse("5.4"), [Empty(), unreachable])
    msg = str(err.value)
    assert "debian: has no 5.4" in msg
    assert "kernel.org: unreachable" in msg
    assert "--kernel-src" in err.value.fix and "--kernel-dir" in err.value.fix


def test_local_tree_reads_its_release(tmp_path):
    (tmp_path / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 4\nSUBLEVEL = 286\nEXTRAVERSION =\n")
    (tmp_path / "Kconfig").write_text("")
    assert local_tree(tmp_path).release == "5.4.286"


def test_local_tree_that_is_not_a_kernel(tmp_path):
    with pytest.raises(UserError) as err:
        local_tree(tmp_path)
    assert "not a kernel source tree" in err.value.cause
