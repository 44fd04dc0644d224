"""Integration: generate for four real kernel trees; the answers differ where the kernels do.

Opt-in (it compiles ~80 probes per kernel the first time; later runs hit the cache):
    WGCOMPAT_COMPAT_KERNELS=1 pytest tests/compat/test_kernels.py
Trees: Debian's linux-headers packages, unpacked under $WGCOMPAT_KHEADERS (default
/tmp/kheaders/<series>/usr/src/linux-headers-*-amd64), and the host's own 6.1 headers.
The expected values are facts read in those trees' headers (and in facts §5), including
Debian stable backports: 6.1.y has get_random_u32_below and pcpu_stat_type, 5.10.y has
dst_cache_reset_now, 6.12.y has pernet exit_rtnl and kzalloc_obj.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wgcompat.compat.generator import CompatRequest, CompatResult, generate
from wgcompat.paths import REPO, cache_root

ENABLED = os.environ.get("WGCOMPAT_COMPAT_KERNELS") == "1"
KHEADERS = Path(os.environ.get("WGCOMPAT_KHEADERS", "/tmp/kheaders"))
SERIES = ("5.10", "6.1", "6.12", "7.2")

#: probe -> answer on (5.10, 6.1, 6.12, 7.2)
EXPECTED: dict[str, tuple[int, int, int, int]] = {
    "netif_rx_ni": (1, 0, 0, 0),
    "netif_napi_add_3args": (0, 1, 1, 1),
    "genl_resv_start_op": (0, 1, 1, 1),
    "genl_split_ops": (0, 0, 1, 1),
    "genl_info_dump": (0, 0, 1, 1),
    "netdev_lltx": (0, 0, 1, 1),
    "netif_f_lltx": (1, 1, 0, 0),
    "u64_stats_fetch_begin_irq": (1, 1, 0, 0),
    "header_crypto_utils": (0, 0, 1, 1),
    "header_linux_unaligned": (0, 0, 1, 1),
    "get_random_u32_below": (0, 1, 1, 1),
    "netdev_pcpu_stat_tstats": (0, 1, 1, 1),
    "register_random_vmfork_notifier": (0, 1, 1, 1),
    "pernet_exit_rtnl": (0, 0, 1, 1),
    "kzalloc_obj": (0, 0, 1, 1),
    "dst_cache_reset_now": (1, 1, 1, 1),
    "timer_container_of": (0, 0, 0, 1),
    "from_timer": (1, 1, 1, 0),
    "del_timer_sync": (1, 1, 1, 0),
    "rtnl_newlink_params": (0, 0, 0, 1),
    "setup_udp_tunnel_sock_sk": (0, 0, 0, 1),
    "udp_tunnel_xmit_skb_ipcb_flags": (0, 0, 0, 1),
    "udp_tunnel6_xmit_skb_int": (1, 1, 0, 0),
    "header_net_ipv6_stubs": (1, 1, 1, 0),
    "blake2s_key_first": (0, 0, 0, 1),
    "blake2s_ctx": (0, 0, 0, 1),
    "export_curve25519": (0, 0, 0, 1),
    "export_curve25519_null_point": (1, 1, 1, 0),
    "export_blake2s256_hmac": (0, 0, 0, 0),
}


def _tree(series: str) -> Path | None:
    if series == "6.1":
        found = sorted(Path("/usr/src").glob("linux-headers-6.1.*-amd64"))
    else:
        found = sorted((KHEADERS / series / "usr" / "src").glob(f"linux-headers-{series}*-amd64"))
    return found[-1] if found else None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompatResult]:
    if not ENABLED:
        pytest.skip("set WGCOMPAT_COMPAT_KERNELS=1 to probe the Debian header trees")
    missing = [s for s in SERIES if _tree(s) is None]
    if missing:
        pytest.skip(
            f"no linux-headers tree for {', '.join(missing)} under {KHEADERS}/<series>/usr/src "
            "(apt-get download linux-headers-*-amd64, -common and linux-kbuild-*, then dpkg-deb -x)"
        )
    out = tmp_path_factory.mktemp("compat")
    return {
        series: generate(
            CompatRequest(kernel_dir=_tree(series), output_dir=out / series,  # type: ignore[arg-type]
                          cache_dir=cache_root() / "compat")
        )
        for series in SERIES
    }


@pytest.mark.parametrize("probe", sorted(EXPECTED))
def test_answers_differ_where_the_kernels_differ(results: dict[str, CompatResult], probe: str) -> None:
    got = tuple(int({p.name: p.present for p in results[s].probes}[probe]) for s in SERIES)
    assert got == EXPECTED[probe], f"{probe} on {SERIES}"


def test_every_kernel_has_a_usable_crypto_library(results: dict[str, CompatResult]) -> None:
    assert {s: results[s].crypto for s in SERIES} == {s: "kernel" for s in SERIES}


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("crypto", ["auto", "bundled"])
def test_compat_h_compiles_with_w1(
    results: dict[str, CompatResult], series: str, crypto: str, tmp_path: Path
) -> None:
    """Every wrapper, shim and crypto function of compat.h, used once, builds warning-free."""
    result = results[series]
    build = tmp_path / "build"
    (build / "crypto").mkdir(parents=True)
    generate(
        CompatRequest(kernel_dir=result.kernel_dir, output_dir=build, crypto=crypto,  # type: ignore[arg-type]
                      cache_dir=cache_root() / "compat")
    )
    shutil.copy(REPO / "module" / "crypto" / "bundled.h", build / "crypto" / "bundled.h")
    shutil.copy(Path(__file__).parent / "data" / "compat_user.c", build / "compat_user.c")
    (build / "Kbuild").write_text(
        "OBJECT_FILES_NON_STANDARD := y\n-include $(src)/compat.mk\nobj-m := compat_user.o\n"
    )
    argv = ["make", "-C", str(result.kernel_dir), f"M={build}", "W=1", "compat_user.o"]
    if result.dropped_cflags or result.notes:
        argv.append("CC=gcc")
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    warnings = [
        line for line in log.splitlines()
        if "warning:" in line and "counted_by" not in line and "differs from the one used" not in line
    ]
    # a kernel configured for a newer gcc: its own headers use attributes gcc 12 ignores
    assert warnings == [], "\n".join(warnings)


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("crypto", ["auto", "bundled"])
def test_module_compiles_with_w1(
    results: dict[str, CompatResult], series: str, crypto: str, tmp_path: Path
) -> None:
    """module/ against this kernel's compat.h: every object, W=1, no warnings.

    On 5.10 and 6.1 the module is linked too. The objtool binaries of Debian's 6.12 and 7.2
    kbuild packages need glibc 2.38, newer than this host's, so there only objects are built.
    """
    result = results[series]
    build = tmp_path / "module"
    shutil.copytree(REPO / "module", build, ignore=shutil.ignore_patterns("*.o", "*.ko", "compat.*", ".*.cmd"))
    generate(
        CompatRequest(kernel_dir=result.kernel_dir, output_dir=build, crypto=crypto,  # type: ignore[arg-type]
                      cache_dir=cache_root() / "compat")
    )
    objects = [f"{p.stem}.o" for p in sorted((REPO / "module").glob("*.c"))]
    if crypto == "bundled" or results[series].crypto == "bundled":
        objects += [f"crypto/{p.stem}.o" for p in sorted((REPO / "module" / "crypto").glob("*.c"))
                    if p.stem != "selftest"]
    link = series in ("5.10", "6.1")
    argv = ["make", "-C", str(result.kernel_dir), f"M={build}", "W=1", f"-j{os.cpu_count() or 1}", "CC=gcc",
            *(["modules"] if link else objects)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    warnings = [
        line for line in log.splitlines()
        if "warning:" in line and "counted_by" not in line and "differs from the one used" not in line
    ]
    assert warnings == [], "\n".join(warnings)
    if link:
        assert (build / "wireguard.ko").is_file()
