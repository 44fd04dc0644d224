"""The batched probe run against fake kernel trees: answers, logs, and the control probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgcompat.cache import MARKER
from wgcompat.compat.generator import CompatRequest, generate
from wgcompat.compat.runner import ControlProbeFailed


def _generate(kdir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return generate(
        CompatRequest(kernel_dir=kdir, output_dir=tmp_path / "out", cache_dir=tmp_path / "cache", cc="gcc")
    )


def test_answers_come_from_which_objects_built(healthy_tree: Path, tmp_path: Path) -> None:
    result = _generate(healthy_tree, tmp_path)
    by_name = {p.name: p for p in result.probes}
    assert by_name["control"].present
    assert by_name["kfree_sensitive"].present
    assert by_name["kfree_sensitive"].detail == "compiles"
    missing = by_name["timer_container_of"]
    assert not missing.present
    assert "timer_container_of" in missing.detail
    assert missing.log is not None and "timer_container_of" in missing.log.read_text()
    assert by_name["header_crypto_blake2s"].present is False
    assert by_name["export_udp_tunnel_xmit_skb"].detail == "EXPORT_SYMBOL_GPL in net/ipv4/udp_tunnel"
    assert by_name["kconfig_crypto_lib_utils"].present and by_name["kconfig_crypto_lib_utils"].detail.endswith("=m")
    assert not by_name["kconfig_kasan"].present
    header = result.compat_h.read_text()
    assert "#define WGC_HAVE_KFREE_SENSITIVE" in header and "9.9.9-fake" in header
    assert "WGC_CRYPTO := bundled" in result.compat_mk.read_text()


def test_broken_tree_stops_at_the_control_probe_with_the_compiler_error(
    broken_tree: Path, tmp_path: Path
) -> None:
    with pytest.raises(ControlProbeFailed) as failure:
        _generate(broken_tree, tmp_path)
    message = str(failure.value)
    assert "control probe" in message
    assert "linux/module.h: No such file or directory" in message
    assert "nothing was generated" in message
    assert not (tmp_path / "out" / "compat.h").exists()
    assert not list((tmp_path / "cache").glob(f"*/{MARKER}")), "no entry a later run would trust"


def test_broken_compiler_stops_at_the_control_probe(healthy_tree: Path, tmp_path: Path) -> None:
    cc = tmp_path / "badcc"
    cc.write_text('#!/bin/sh\nfor a in "$@"; do [ "$a" = /dev/null ] && exec gcc "$@"; done\n'
                  'echo "badcc: internal compiler error: the toolchain is broken" >&2\nexit 4\n')
    cc.chmod(0o755)
    with pytest.raises(ControlProbeFailed) as failure:
        generate(CompatRequest(kernel_dir=healthy_tree, output_dir=tmp_path / "out",
                               cache_dir=tmp_path / "cache", cc=str(cc)))
    assert "internal compiler error: the toolchain is broken" in str(failure.value)


def test_missing_module_symvers_names_the_fix(healthy_tree: Path, tmp_path: Path) -> None:
    (healthy_tree / "Module.symvers").unlink()
    with pytest.raises(Exception) as failure:
        _generate(healthy_tree, tmp_path)
    assert "Module.symvers" in str(failure.value) and "make modules" in str(failure.value)


def test_table_lists_every_probe_and_the_compat_h_path(healthy_tree: Path, tmp_path: Path) -> None:
    from wgcompat.compat import format_table

    result = _generate(healthy_tree, tmp_path)
    table = format_table(result)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["probe", "kind", "result", "time"]
    kfree = next(line for line in lines if line.startswith("kfree_sensitive "))
    assert kfree.split()[1:3] == ["compile", "yes"]
    timer = next(line for line in lines if line.startswith("timer_container_of "))
    assert timer.split()[2] == "no"
    assert next(line for line in lines if line.startswith("control ")).split()[2] == "ok"
    assert f"compat.h: {result.compat_h}" in table
    assert "crypto: bundled" in table


def test_stand_in_compiler_drops_the_flags_it_rejects(newer_compiler_tree: Path, tmp_path: Path) -> None:
    result = generate(
        CompatRequest(kernel_dir=newer_compiler_tree, output_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    )
    assert result.dropped_cflags == ["-fwgc-no-such-flag"]
    assert any("wgc-test-gcc-99, which is not installed" in note for note in result.notes)
    assert {p.name: p.present for p in result.probes}["kfree_sensitive"]
    assert "WGC_DROP_CFLAGS := -fwgc-no-such-flag" in result.compat_mk.read_text()
    assert "probing with the host's gcc" in result.compat_h.read_text()


def test_the_kernels_own_compiler_rejecting_its_flags_is_a_broken_tree(
    newer_compiler_tree: Path, tmp_path: Path
) -> None:
    with pytest.raises(ControlProbeFailed) as failure:
        _generate(newer_compiler_tree, tmp_path)  # cc="gcc" given explicitly: not a stand-in
    assert "-fwgc-no-such-flag" in str(failure.value)


def test_headers_not_installed_name_the_package_to_install() -> None:
    from wgcompat.compat.tree import KernelTree, KernelTreeError

    with pytest.raises(KernelTreeError, match=r"headers of kernel 9\.9\.9-no-such-kernel are not installed") as err:
        KernelTree.open(Path("/lib/modules/9.9.9-no-such-kernel/build"))
    assert "apt-get install linux-headers-9.9.9-no-such-kernel" in err.value.fix
