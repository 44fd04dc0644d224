"""Module builds: content-addressed folders, one build for two concurrent callers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from wgcompat import module_build as mb
from wgcompat.kernel.build import KernelBuild


@pytest.fixture
def request_(tmp_path, monkeypatch) -> mb.ModuleBuildRequest:
    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    kernel = KernelBuild(build_dir=tmp_path / "kernels" / "6.1.192-normal-abc", release="6.1.192",
                         version="6.1.192", flavour="normal")
    return mb.ModuleBuildRequest(kernel)


def fake_build(calls: list[str], gate: threading.Event | None = None):
    def build(request, out: Path, progress) -> mb.ModuleBuild:
        calls.append(out.name)
        if gate is not None:
            gate.wait(10)
        out.mkdir(parents=True, exist_ok=True)
        built = mb.ModuleBuild(ko=out / "src/wireguard.ko", build_dir=out / "src", compat_h=out / "src/compat.h",
                               log=out / "build.log", warnings=(), seconds=0.0)
        (out / mb.MARKER).write_text(json.dumps({"ko": str(built.ko), "build_dir": str(built.build_dir),
                                                 "compat_h": str(built.compat_h), "log": str(built.log),
                                                 "warnings": []}))
        return built
    return build


def test_two_concurrent_builds_of_the_same_module_build_once(request_, monkeypatch):
    calls: list[str] = []
    gate = threading.Event()
    monkeypatch.setattr(mb, "_build", fake_build(calls, gate))
    results: list[mb.ModuleBuild] = []
    threads = [threading.Thread(target=lambda: results.append(mb.build_module(request_))) for _ in range(2)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(20)
    assert len(calls) == 1, "the second caller must wait for the first build and reuse it"
    assert len(results) == 2 and results[0].ko == results[1].ko


def test_a_source_change_gets_a_new_folder(request_, monkeypatch):
    digests = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(mb, "source_digest", lambda: next(digests))
    calls: list[str] = []
    monkeypatch.setattr(mb, "_build", fake_build(calls))
    first, second = mb.build_module(request_), mb.build_module(request_)
    assert first.ko != second.ko and calls == [first.ko.parent.parent.name, second.ko.parent.parent.name]


def test_unknown_crypto_choice(request_):
    with pytest.raises(Exception) as err:
        mb.build_module(mb.ModuleBuildRequest(request_.kernel, crypto="fast"))
    assert "bundled" in str(err.value)


def test_warnings_in_kernel_headers_are_told_apart_from_ours(tmp_path: Path) -> None:
    from wgcompat.module_build import split_warnings

    src = tmp_path / "src"
    log = "\n".join([
        f"{src}/replay.c:12:3: warning: unused variable ‘x’ [-Wunused-variable]",
        "/cache/sources/linux-5.10.262/include/linux/mmzone.h:1136:13: warning: variable ‘nid’ set but not used",
        f"In file included from {src}/replay.c:1:",
        "./include/linux/mmzone.h:1136:13: warning: variable ‘nid’ set but not used",
        f"{src}/compat.h:40:1: warning: no previous prototype for ‘wgc_x’ [-Wmissing-prototypes]",
    ])
    ours, headers = split_warnings(log, src)
    assert [w.split(":")[0] for w in ours] == [f"{src}/replay.c", f"{src}/compat.h"]
    assert len(headers) == 2 and all("mmzone.h" in w for w in headers)


def test_module_build_reports_the_crypto_compat_chose(tmp_path):
    from wgcompat.errors import UserError
    from wgcompat.module_build import ModuleBuild

    built = ModuleBuild(ko=tmp_path / "wireguard.ko", build_dir=tmp_path, compat_h=tmp_path / "compat.h",
                        log=tmp_path / "build.log", warnings=(), seconds=0.0)
    (tmp_path / "compat.mk").write_text("# crypto: bundled (forced)\nWGC_CRYPTO := bundled\n")
    assert built.crypto == "bundled"
    (tmp_path / "compat.mk").write_text("# nothing chosen\n")
    with pytest.raises(UserError, match="does not set WGC_CRYPTO"):
        built.crypto
