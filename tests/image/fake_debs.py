"""Fake .deb files for the image tests (built with dpkg-deb, no network), and a fetcher that
hands them out as download_debs would."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

BUSYBOX = next((Path(p) for p in ("/bin/busybox", "/usr/bin/busybox") if Path(p).is_file()), None)
needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="the host has no static busybox (apt-get install busybox-static)")


def make_deb(out_dir: Path, package: str, version: str = "1.0", depends: str = "", provides: str = "",
             files: dict[str, bytes | Path] | None = None) -> Path:
    root = out_dir / f"src-{package}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    control = f"Package: {package}\nVersion: {version}\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: test\n"
    if depends:
        control += f"Depends: {depends}\n"
    if provides:
        control += f"Provides: {provides}\n"
    (root / "DEBIAN/control").write_text(control)
    for rel, content in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, p)
        else:
            p.write_bytes(content)
            p.chmod(0o755 if "/bin/" in f"/{rel}" or "/sbin/" in f"/{rel}" else 0o644)
    deb = out_dir / f"{package}_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "-Znone", "--root-owner-group", "-b", str(root), str(deb)], check=True,
                   capture_output=True)
    shutil.rmtree(root)
    return deb


def fake_archive(d: Path) -> list[Path]:
    """A small archive: packages with dependencies, alternatives, Provides and one install-time package."""
    assert BUSYBOX is not None
    return [
        make_deb(d, "busybox-static", files={"bin/busybox": BUSYBOX}),
        make_deb(d, "bash", depends="libc6 (>= 2.36), base-files, debianutils",
                 files={"bin/bash": b"#!/bin/busybox sh\n", "usr/share/doc/bash/copyright": b"GPL",
                        "usr/share/man/man1/bash.1.gz": b"man"}),
        make_deb(d, "libc6", depends="libgcc-s1", files={"lib/x86_64-linux-gnu/libc.so.6": b"libc"}),
        make_deb(d, "libgcc-s1", provides="libgcc1", files={"lib/x86_64-linux-gnu/libgcc_s.so.1": b"gcc"}),
        make_deb(d, "tool", depends="libmissing | libbar, virtual-thing, dpkg, libgcc1",
                 files={"usr/bin/tool": b"#!/bin/sh\n"}),
        make_deb(d, "libbar", files={"usr/lib/x86_64-linux-gnu/libbar.so.1": b"bar"}),
        make_deb(d, "libprov", provides="virtual-thing", files={"usr/lib/x86_64-linux-gnu/libprov.so": b"p"}),
        make_deb(d, "dpkg", files={"usr/bin/dpkg": b"#!/bin/sh\n"}),
        make_deb(d, "extra-pkg", files={"usr/bin/extra": b"#!/bin/sh\n"}),
        make_deb(d, "iptables", files={"usr/sbin/xtables-nft-multi": b"#!/bin/sh\n"}),
    ]


PACKAGES = ("bash", "busybox-static", "tool", "iptables")


class Fetcher:
    def __init__(self, debs: Sequence[Path]) -> None:
        self.debs = list(debs)
        self.calls = 0

    def __call__(self, packages: Sequence[str]) -> list[Path]:
        self.calls += 1
        return self.debs


