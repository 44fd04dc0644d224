"""Cache identity: what invalidates cached probe answers, and that a cached run compiles nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wgcompat import cache
from wgcompat.compat import generator
from wgcompat.compat.catalogue import load_catalogue
from wgcompat.compat.generator import CompatRequest, cache_key, generate
from wgcompat.compat.tree import KernelTree

from .conftest import HEALTHY_HEADERS, make_fake_tree

CATALOGUE = load_catalogue()


def _key(kdir: Path) -> str:
    return cache_key(KernelTree.open(kdir), CATALOGUE, "gcc").hexdigest()


def test_key_is_stable_for_the_same_build(healthy_tree: Path) -> None:
    assert _key(healthy_tree) == _key(healthy_tree)


def test_key_changes_when_module_symvers_changes(healthy_tree: Path) -> None:
    before = _key(healthy_tree)
    with (healthy_tree / "Module.symvers").open("a") as symvers:
        symvers.write("0x3\tcurve25519\tvmlinux\tEXPORT_SYMBOL\t\n")
    assert _key(healthy_tree) != before


def test_key_changes_when_config_changes(healthy_tree: Path) -> None:
    before = _key(healthy_tree)
    config = healthy_tree / ".config"
    config.write_text(config.read_text().replace("CONFIG_IPV6=y", "CONFIG_IPV6=m"))
    assert _key(healthy_tree) != before


def test_key_changes_with_the_kernel_version_string(tmp_path: Path) -> None:
    one = make_fake_tree(tmp_path / "a", HEALTHY_HEADERS, release="6.1.0-1")
    two = make_fake_tree(tmp_path / "b", HEALTHY_HEADERS, release="6.1.0-2")
    assert _key(one) != _key(two)


def test_key_changes_with_the_probe_sources(healthy_tree: Path, tmp_path: Path) -> None:
    probes = tmp_path / "probes"
    probes.mkdir()
    for path in (CATALOGUE.probes[0].source.parent).iterdir():  # type: ignore[union-attr]
        (probes / path.name).write_bytes(path.read_bytes())
    tree = KernelTree.open(healthy_tree)
    original = cache_key(tree, generator.load_catalogue(probes), "gcc").hexdigest()
    (probes / "kfree_sensitive.c").write_text((probes / "kfree_sensitive.c").read_text() + "\n")
    assert cache_key(tree, generator.load_catalogue(probes), "gcc").hexdigest() != original


def test_second_run_is_cached_and_compiles_nothing(
    healthy_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = CompatRequest(
        kernel_dir=healthy_tree, output_dir=tmp_path / "out", cache_dir=tmp_path / "cache", cc="gcc"
    )
    first = generate(request)
    assert not first.cached

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached run must not run the probes")

    monkeypatch.setattr(generator, "run_probes", no_compiling)
    (tmp_path / "out" / "compat.h").unlink()
    second = generate(request)
    assert second.cached
    assert second.compat_h.read_text() == first.compat_h.read_text()
    assert [(p.name, p.present) for p in second.probes] == [(p.name, p.present) for p in first.probes]
    # one complete entry (and its lock), no leftovers
    entry = second.cache_entry.name  # type: ignore[union-attr]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [entry, f"{entry}.lock"]


def test_changed_symvers_probes_again(healthy_tree: Path, tmp_path: Path) -> None:
    request = CompatRequest(
        kernel_dir=healthy_tree, output_dir=tmp_path / "out", cache_dir=tmp_path / "cache", cc="gcc"
    )
    assert not generate(request).cached
    with (healthy_tree / "Module.symvers").open("a") as symvers:
        symvers.write("0x4\tdst_cache_reset_now\tvmlinux\tEXPORT_SYMBOL_GPL\t\n")
    again = generate(request)
    assert not again.cached
    by_name = {p.name: p for p in again.probes}
    assert by_name["export_dst_cache_reset_now"].present
    assert by_name["export_dst_cache_reset_now"].detail == "EXPORT_SYMBOL_GPL in vmlinux"


def test_key_changes_with_the_compiler_version(
    healthy_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cc = tmp_path / "wgc-cc"
    cc.write_text('#!/bin/sh\necho "wgc-cc (test) $WGC_TEST_CC_VERSION"\n')
    cc.chmod(0o755)
    tree = KernelTree.open(healthy_tree)
    monkeypatch.setenv("WGC_TEST_CC_VERSION", "1.0")
    before = cache_key(tree, CATALOGUE, str(cc)).hexdigest()
    monkeypatch.setenv("WGC_TEST_CC_VERSION", "2.0")
    assert cache_key(tree, CATALOGUE, str(cc)).hexdigest() != before


def test_an_unfinished_entry_is_probed_again(healthy_tree: Path, tmp_path: Path) -> None:
    request = CompatRequest(
        kernel_dir=healthy_tree, output_dir=tmp_path / "out", cache_dir=tmp_path / "cache", cc="gcc"
    )
    entry = generate(request).cache_entry
    assert entry is not None
    (entry / cache.MARKER).unlink()  # as if the run had been killed before its marker
    again = generate(request)
    assert not again.cached and again.cache_entry == entry and (entry / cache.MARKER).is_file()


def test_kernel_v_takes_only_a_complete_build_from_the_kernel_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wgcompat.compat.cli import resolve_kernel_dir

    monkeypatch.setenv("WGCOMPAT_CACHE", str(tmp_path / "cache"))
    kernels = tmp_path / "cache" / "kernels"
    done = make_fake_tree(kernels / "9.9.9-normal-aaaaaaaaaaaa", HEALTHY_HEADERS)
    (done / cache.MARKER).write_text("{}")
    make_fake_tree(kernels / "9.9.9-normal-bbbbbbbbbbbb", HEALTHY_HEADERS)  # being built: no marker yet
    os.utime(done / "Module.symvers", (1, 1))  # the newer Module.symvers is the unfinished one's
    assert resolve_kernel_dir("9.9.9") == done
