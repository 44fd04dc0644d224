"""Debian's prebuilt kernels (--kernel debian:...): the name, the packages it resolves to, the
toolchain decision, the errors, and the fetch into the cache, against a fake archive of
.deb files built with dpkg-deb (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.image.fake_debs import make_deb
from wgcompat import cache
from wgcompat.errors import UserError
from wgcompat.kernel import debian_prebuilt as dp
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.select import resolve_kernel, selection

# suite -> package -> version -> control fields
Index = dict[str, dict[str, dict[str, dict[str, str]]]]


class FakeArchive:
    """The Archive protocol over a dict, with .deb files made on demand."""

    def __init__(self, index: Index, debs: Path, files: dict[str, dict[str, bytes]] | None = None) -> None:
        self.index = index
        self.debs = debs
        self.files = files or {}
        self.downloads: list[str] = []

    def versions(self, suite: str, package: str) -> list[str]:
        if suite not in self.index:
            raise UserError(f"apt-get failed to update the package lists from Debian {suite}", "check the mirror")
        return sorted(self.index[suite].get(package, {}), reverse=True)

    def fields(self, suite: str, package: str, version: str) -> dict[str, str]:
        return self.index[suite][package][version]

    def download(self, suite: str, package: str, version: str) -> Path:
        self.downloads.append(f"{package}={version}")
        return make_deb(self.debs, package, version, files=self.files.get(package, {}))


def kernel(index: Index, suite: str, series_version: str, abi: str, compiler: str, flavour: str = "amd64") -> None:
    """One suite's kernel of one flavour: metapackage, signed image, headers, -common, kbuild."""
    packages = index.setdefault(suite, {})
    release = f"{abi}-{flavour}"
    packages.setdefault(f"linux-image-{flavour}", {})[series_version] = {
        "Depends": f"linux-image-{release} (= {series_version})", "Source": "linux-signed-amd64 (1)"}
    packages.setdefault(f"linux-image-{release}", {})[series_version] = {
        "Depends": "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool",
        "Source": "linux-signed-amd64 (1)"}
    packages.setdefault(f"linux-headers-{release}", {})[series_version] = {
        "Depends": f"linux-base (>= 4.12~), linux-headers-{abi}-common (= {series_version}), "
                   f"linux-image-{release} (= {series_version}) | linux-image-{release}-unsigned (= {series_version}), "
                   f"linux-kbuild-{abi}, {compiler}",
        "Source": f"linux ({series_version})"}
    packages.setdefault(f"linux-headers-{abi}-common", {})[series_version] = {"Source": f"linux ({series_version})"}
    packages.setdefault(f"linux-kbuild-{abi}", {})[series_version] = {
        "Depends": "libc6 (>= 2.38), libelf1t64, pahole", "Source": f"linux ({series_version})"}
    packages.setdefault("linux-base", {})["4.12"] = {"Depends": "debconf"}
    if compiler.startswith("linux-compiler-"):  # an empty package of the kernel's source naming gcc-N
        packages.setdefault(compiler, {})[series_version] = {"Depends": compiler.split("-")[2] + "-" +
                                                             compiler.split("-")[3], "Source": "linux"}


@pytest.fixture
def index() -> Index:
    idx: Index = {}
    kernel(idx, "bullseye", "5.10.262-1", "5.10.0-46", "linux-compiler-gcc-10-x86")
    kernel(idx, "bookworm", "6.1.192-3", "6.1.0-57", "linux-compiler-gcc-12-x86")
    kernel(idx, "bookworm", "6.1.192-3", "6.1.0-57", "linux-compiler-gcc-12-x86", flavour="cloud-amd64")
    kernel(idx, "trixie", "6.12.118-1", "6.12.118+deb13", "gcc-14")
    kernel(idx, "trixie", "6.12.118-1", "6.12.118+deb13", "gcc-14", flavour="rt-amd64")
    kernel(idx, "sid", "7.2.13-1", "7.2.13+deb14", "gcc-16-for-host")
    kernel(idx, "bookworm-backports", "6.12.95-1~bpo12+1", "6.12.95+deb12", "gcc-12")
    return idx


# --------------------------------------------------------------------------
# the name


@pytest.mark.parametrize("text, series, flavour, suite", [
    ("debian:6.1", "6.1", "", None),
    ("debian:6.1-cloud", "6.1", "cloud", None),
    ("debian:6.12-rt", "6.12", "rt", None),
    ("debian:6.12@bookworm-backports", "6.12", "", "bookworm-backports"),
    ("debian:6.12-cloud@bookworm-backports", "6.12", "cloud", "bookworm-backports"),
])
def test_the_name_gives_series_flavour_and_suite(text: str, series: str, flavour: str, suite: str | None) -> None:
    spec = dp.parse_spec(text)
    assert (spec.series, spec.flavour, spec.suite) == (series, flavour, suite)
    assert str(spec) == text
    assert spec.metapackage == {"": "linux-image-amd64", "cloud": "linux-image-cloud-amd64",
                                "rt": "linux-image-rt-amd64"}[flavour]


@pytest.mark.parametrize("text", ["debian:", "debian:6", "debian:6.1.192", "debian:6.1@", "debian:latest"])
def test_a_malformed_name_says_the_syntax(text: str) -> None:
    with pytest.raises(UserError) as err:
        dp.parse_spec(text)
    assert "is not a Debian kernel name" in err.value.cause
    assert dp.SYNTAX in err.value.fix and "debian:6.1-cloud" in err.value.fix


def test_an_unknown_flavour_names_the_flavours_there_are() -> None:
    with pytest.raises(UserError) as err:
        dp.parse_spec("debian:6.1-arm64")
    assert "no 'arm64' flavour" in err.value.cause
    assert "debian:6.1 (amd64)" in err.value.fix and "debian:6.1-cloud (cloud-amd64)" in err.value.fix
    assert "debian:6.1-rt (rt-amd64)" in err.value.fix


def test_an_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(UserError) as err:
        dp.parse_spec("debian:6.1@buster")
    assert "'buster'" in err.value.cause and "bookworm-backports" in err.value.fix


def test_a_prebuilt_kernel_refuses_our_debug_config() -> None:
    with pytest.raises(UserError) as err:
        selection("debian:6.1", config="debug")
    assert "--config debug" in err.value.cause and "--kernel 6.1 --config debug" in err.value.fix


def test_a_malformed_name_fails_at_selection_not_later() -> None:
    with pytest.raises(UserError, match="not a Debian kernel name"):
        selection("debian:six")


# --------------------------------------------------------------------------
# resolution


@pytest.mark.parametrize("text, suite, image, compiler, chroot", [
    ("debian:5.10", "bullseye", "linux-image-5.10.0-46-amd64", "linux-compiler-gcc-10-x86", False),
    ("debian:6.1", "bookworm", "linux-image-6.1.0-57-amd64", "linux-compiler-gcc-12-x86", False),
    ("debian:6.1-cloud", "bookworm", "linux-image-6.1.0-57-cloud-amd64", "linux-compiler-gcc-12-x86", False),
    ("debian:6.12", "trixie", "linux-image-6.12.118+deb13-amd64", "gcc-14", True),
    ("debian:6.12-rt", "trixie", "linux-image-6.12.118+deb13-rt-amd64", "gcc-14", True),
    ("debian:6.12@bookworm-backports", "bookworm-backports", "linux-image-6.12.95+deb12-amd64", "gcc-12", False),
    ("debian:7.2", "sid", "linux-image-7.2.13+deb14-amd64", "gcc-16-for-host", True),
])
def test_a_name_resolves_to_its_suites_packages(index: Index, tmp_path: Path, text: str, suite: str, image: str,
                                                compiler: str, chroot: bool) -> None:
    got = dp.resolve_prebuilt(dp.parse_spec(text), FakeArchive(index, tmp_path))
    assert (got.suite, got.image_package, got.compiler) == (suite, image, compiler)
    release = image.removeprefix("linux-image-")
    assert got.release == release and got.headers_package == f"linux-headers-{release}"
    names = [name for name, _ in got.packages]
    # the kernel's own source only: not linux-base (its own source), nor the compiler
    assert image in names and f"linux-headers-{release}" in names and "linux-base" not in names
    assert any(n.endswith("-common") for n in names) and any(n.startswith("linux-kbuild-") for n in names)
    assert all(n.startswith("linux-") and "unsigned" not in n for n in names)
    assert not any(n.startswith("gcc-") for n in names)
    assert dp.needs_chroot(got, host_major=12) is chroot


def test_a_host_build_names_the_packages_the_host_lacks(index: Index, tmp_path: Path) -> None:
    got = dp.resolve_prebuilt(dp.parse_spec("debian:6.12@bookworm-backports"), FakeArchive(index, tmp_path))
    assert got.build_needs == ("libc6", "libelf1t64", "pahole")  # the compiler and linux-* aside
    with pytest.raises(UserError) as err:
        dp.check_host_needs(got, is_installed=lambda name: name != "pahole")
    assert "needs pahole on this host" in err.value.cause and err.value.fix.startswith("apt-get install pahole")
    dp.check_host_needs(got, is_installed=lambda name: True)
    # libraries are not asked for (bullseye's libssl1.1, for sign-file only, is not in bookworm)
    dp.check_host_needs(got, is_installed=lambda name: name == "pahole")


def test_the_chroot_gets_the_compiler_make_and_kbuild(index: Index, tmp_path: Path) -> None:
    got = dp.resolve_prebuilt(dp.parse_spec("debian:7.2"), FakeArchive(index, tmp_path))
    assert dp.chroot_packages(got) == ("gcc-16-for-host", "make", "perl", "sparse", "linux-kbuild-7.2.13+deb14")
    assert got.compiler_major == 16


def test_a_series_debian_does_not_carry_names_what_it_has_and_how_to_fix(index: Index, tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        dp.resolve_prebuilt(dp.parse_spec("debian:6.6"), FakeArchive(index, tmp_path))
    cause = err.value.cause
    assert "carries no 6.6 kernel" in cause
    for offered in ("bullseye: 5.10", "bookworm: 6.1", "trixie: 6.12", "sid: 7.2", "bookworm-backports: 6.12"):
        assert offered in cause
    assert "--kernel 6.6" in err.value.fix and "debian:6.1" in err.value.fix


def test_a_series_missing_from_the_named_suite_says_which_suite(index: Index, tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        dp.resolve_prebuilt(dp.parse_spec("debian:6.1@trixie"), FakeArchive(index, tmp_path))
    assert "Debian trixie carries no 6.1 kernel" in err.value.cause and "trixie: 6.12" in err.value.cause


def test_a_flavour_a_suite_lacks_is_reported(index: Index, tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        dp.resolve_prebuilt(dp.parse_spec("debian:5.10-rt"), FakeArchive(index, tmp_path))
    assert "no 5.10 rt-amd64 kernel" in err.value.cause and "no linux-image-rt-amd64" in err.value.cause


def test_an_unreachable_suite_is_named_and_the_others_still_asked(index: Index, tmp_path: Path) -> None:
    del index["bullseye"]
    got = dp.resolve_prebuilt(dp.parse_spec("debian:6.1"), FakeArchive(index, tmp_path))
    assert got.suite == "bookworm"
    with pytest.raises(UserError) as err:
        dp.resolve_prebuilt(dp.parse_spec("debian:5.10"), FakeArchive(index, tmp_path))
    assert "bullseye: unreachable" in err.value.cause


def test_headers_missing_for_the_image_version_is_an_error(index: Index, tmp_path: Path) -> None:
    del index["bookworm"]["linux-headers-6.1.0-57-amd64"]
    with pytest.raises(UserError, match="not linux-headers-6.1.0-57-amd64 6.1.192-3"):
        dp.resolve_prebuilt(dp.parse_spec("debian:6.1"), FakeArchive(index, tmp_path))


@pytest.mark.parametrize("depends, package", [
    ("linux-headers-x-common (= 1), linux-kbuild-6.1 (>= 1), linux-compiler-gcc-12-x86", "linux-compiler-gcc-12-x86"),
    ("gcc-16-for-host, linux-base (>= 4.12~)", "gcc-16-for-host"),
    ("linux-base, gcc-14", "gcc-14"),
])
def test_the_compiler_is_read_from_the_headers_depends(depends: str, package: str) -> None:
    assert dp.compiler_of({"Depends": depends}) == package


def test_depends_parsing_keeps_alternatives_and_versions() -> None:
    got = dp.parse_depends("a (= 1.0-2), b:any | c (>= 3~), d")
    assert got == [[dp.Relation("a", "=", "1.0-2")], [dp.Relation("b"), dp.Relation("c", ">=", "3~")],
                   [dp.Relation("d")]]


# --------------------------------------------------------------------------
# fetching into the cache


def _files(abi: str, flavour: str = "amd64") -> dict[str, dict[str, bytes]]:
    release = f"{abi}-{flavour}"
    common = f"linux-headers-{abi}-common"
    return {
        f"linux-image-{release}": {f"boot/vmlinuz-{release}": b"bzImage",
                                   f"lib/modules/{release}/kernel/net/ipv4/udp_tunnel.ko": b"ko",
                                   f"lib/modules/{release}/modules.order": b"kernel/net/ipv4/udp_tunnel.ko\n"},
        f"linux-headers-{release}": {f"usr/src/linux-headers-{release}/Makefile":
                                     f"KBUILD_OUTPUT=/usr/src/linux-headers-{release}\n"
                                     f"include /usr/src/{common}/Makefile\n".encode(),
                                     f"usr/src/linux-headers-{release}/.config":
                                     b'CONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"\n'},
        common: {f"usr/src/{common}/Makefile": b"# the common half\n"},
    }


@pytest.fixture(autouse=True)
def host_has_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "installed", lambda name: True)


def test_fetch_unpacks_relocates_and_caches(index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "host_gcc_major", lambda: 12)
    release = "6.12.118+deb13-amd64"
    archive = FakeArchive(index, tmp_path / "debs", _files("6.12.118+deb13"))
    (tmp_path / "debs").mkdir()
    kb = dp.fetch_prebuilt(dp.parse_spec("debian:6.12"), archive)
    assert kb.release == release and kb.version == "6.12.118" and kb.flavour == "debian-amd64"
    assert dp.distribution_kernel(kb) and not kb.cached
    assert kb.image is not None and kb.image.read_bytes() == b"bzImage"
    assert kb.modules_root is not None and (kb.modules_root / f"lib/modules/{release}/modules.dep").is_file()
    # the headers' absolute include now points into the unpacked root
    output, include = (kb.build_dir / "Makefile").read_text().splitlines()
    assert output == f"KBUILD_OUTPUT={kb.build_dir}"
    assert include == f"include {kb.build_dir.parent}/linux-headers-6.12.118+deb13-common/Makefile"
    assert Path(include.split()[1]).is_file()
    # gcc-14 > the host's 12: a chroot of trixie builds its modules
    assert dp.toolchain_of(kb.build_dir) == {"suite": "trixie",
                                             "packages": ["gcc-14", "make", "perl", "sparse",
                                                                          "linux-kbuild-6.12.118+deb13"]}
    assert "trixie" in kb.source and "linux-image-6.12.118+deb13-amd64 6.12.118-1" in kb.source
    fetched = len(archive.downloads)
    again = dp.fetch_prebuilt(dp.parse_spec("debian:6.12"), archive)
    assert again.cached and again.build_dir == kb.build_dir and len(archive.downloads) == fetched


def test_a_host_compiler_kernel_has_no_toolchain_file(index: Index, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "host_gcc_major", lambda: 12)
    (tmp_path / "debs").mkdir()
    kb = dp.fetch_prebuilt(dp.parse_spec("debian:6.12@bookworm-backports"),
                           FakeArchive(index, tmp_path / "debs", _files("6.12.95+deb12")))
    assert dp.toolchain_of(kb.build_dir) is None and kb.source.startswith("debian:bookworm-backports ")


def test_an_unpacked_kernel_says_its_suite_and_the_debs_it_was_made_from(index: Index, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """What the DKMS root installs (wgcompat.package.dkms_build): the very packages unpacked."""
    monkeypatch.setattr(dp, "host_gcc_major", lambda: 12)
    (tmp_path / "debs").mkdir()
    archive = FakeArchive(index, tmp_path / "debs", _files("6.12.95+deb12"))
    kb = dp.fetch_prebuilt(dp.parse_spec("debian:6.12@bookworm-backports"), archive)
    cached = dp.fetch_prebuilt(dp.parse_spec("debian:6.12@bookworm-backports"), archive)
    again = dp.unpacked(cached)
    assert cached.cached and again == dp.unpacked(kb) and again.suite == "bookworm-backports"
    assert [f"{name}={version}" for name, version, _ in again.packages] == sorted(archive.downloads)
    assert all(deb.is_file() and deb.name.startswith(f"{name}_") for name, _, deb in again.packages)


def test_a_kernel_of_ours_is_not_an_unpacked_debian_kernel(tmp_path: Path) -> None:
    kb = KernelBuild(build_dir=tmp_path / "6.1.192-normal-abc", release="6.1.192", version="6.1.192",
                     flavour="normal", source="kernel.org linux-6.1.192.tar.xz", log=tmp_path / "build.log")
    with pytest.raises(UserError) as err:
        dp.unpacked(kb)
    assert "not an unpacked Debian kernel" in err.value.cause and "debian:6.1" in err.value.fix


def test_a_package_without_the_kernel_leaves_no_complete_entry(index: Index, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "host_gcc_major", lambda: 12)
    files = _files("6.1.0-57")
    del files["linux-image-6.1.0-57-amd64"]["boot/vmlinuz-6.1.0-57-amd64"]
    (tmp_path / "debs").mkdir()
    with pytest.raises(UserError) as err:
        dp.fetch_prebuilt(dp.parse_spec("debian:6.1"), FakeArchive(index, tmp_path / "debs", files))
    assert "vmlinuz-6.1.0-57-amd64" in err.value.cause
    entries = list((tmp_path / "cache" / "debian-kernels").iterdir())
    assert entries and not any((e / cache.MARKER).exists() for e in entries if e.is_dir())


def test_resolve_kernel_takes_the_debian_route(index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "host_gcc_major", lambda: 12)
    (tmp_path / "debs").mkdir()
    archive = FakeArchive(index, tmp_path / "debs", _files("6.1.0-57", "cloud-amd64"))
    monkeypatch.setattr(dp, "AptArchive", lambda: archive)
    kb = resolve_kernel(selection("debian:6.1-cloud"))
    assert kb.release == "6.1.0-57-cloud-amd64" and kb.flavour == "debian-cloud-amd64"
    assert json.loads(json.dumps(kb.to_json()))["release"] == kb.release


def test_the_report_folder_of_a_debian_kernel_has_no_colon() -> None:
    from wgcompat import paths

    folder = paths.vmtests_report_dir("debian:6.12@bookworm-backports", "normal", "auto")
    assert folder.name == "debian-6.12-bookworm-backports-normal"  # Kbuild refuses M= paths with ':'
