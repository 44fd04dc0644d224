"""The compat generator's answers for the run's kernel, against what that series is known to have.

    host: generate compat for <kernel build> (the probe answers the module build used: same
          cache entry, nothing compiled again) -> probe X present | absent
          == the table's column for the kernel's series

No guest. The tables map a probe to its answer on 5.10, 6.1, 6.12 and 7.2, read in Debian's
linux-headers trees of those series (including Debian stable's backports: 6.1.y has
get_random_u32_below and pcpu_stat_type, 5.10.y has dst_cache_reset_now, 6.12.y has pernet
exit_rtnl and kzalloc_obj). The harness builds its kernels from Debian's linux-source of the
same series with a minimal configuration, so only answers that a .config cannot change are
compared as they stand:

* API_ANSWERS (compile and header probes): declarations, struct members and headers. Each was
  checked not to sit behind a Kconfig option, or to have a stub when the option is off
  (register_random_vmfork_notifier without VMGENID), so any .config of the series gives them.
* EXPORT_ANSWERS (symbol probes): read in Module.symvers, which lists an export only when the
  library that exports it is built. Each entry names the option that builds that library; an
  answer of 1 is only checked when the run's .config enables the option (the harness's configs
  do, through CONFIG_WIREGUARD=m), and the test is skipped, naming the option, when it does not.
  An expected 0 cannot be made 1 by a config, so it is checked on any config.

A series outside the tables (4.19, 5.4 and other trees brought in with --kernel-src) is
skipped: no one has read those trees' answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wgcompat.compat.tree import parse_config
from wgcompat.module_build import generate_compat

SERIES = ("5.10", "6.1", "6.12", "7.2")

#: compile/header probe -> answer on (5.10, 6.1, 6.12, 7.2); no .config changes these
API_ANSWERS: dict[str, tuple[int, int, int, int]] = {
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
}

#: symbol probe -> (the option that builds the exporting library, answer on (5.10, 6.1, 6.12, 7.2))
EXPORT_ANSWERS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    # out of line only by 7.2; an inline over curve25519_arch/_generic before
    "export_curve25519": ("CONFIG_CRYPTO_LIB_CURVE25519", (0, 0, 0, 1)),
    # lib/crypto/curve25519-generic.c until 7.2, built whenever the library is (selected by it,
    # or by the x86 implementation as its fallback)
    "export_curve25519_null_point": ("CONFIG_CRYPTO_LIB_CURVE25519", (1, 1, 1, 0)),
    # moved into wireguard in 5.17, and so in 5.10.y's 2022 BLAKE2s backport
    "export_blake2s256_hmac": ("CONFIG_CRYPTO_LIB_BLAKE2S_GENERIC", (0, 0, 0, 0)),
}


def series_of(kernel_build: Any) -> str:
    found = re.match(r"(\d+\.\d+)", kernel_build.version)
    return found.group(1) if found else kernel_build.version


@pytest.fixture(scope="module")
def compat(kernel_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    series = series_of(kernel_build)
    if series not in SERIES:
        pytest.skip(f"kernel {kernel_build.version}: the tables hold answers for {', '.join(SERIES)} only "
                    f"(read in Debian's header trees); none were read for {series}")
    return generate_compat(kernel_build, tmp_path_factory.mktemp("compat"), "auto")


@pytest.fixture(scope="module")
def config(kernel_build: Any) -> dict[str, str]:
    return parse_config((Path(kernel_build.build_dir) / ".config").read_text(errors="replace"))


def answer(compat: Any, kernel_build: Any, probe: str) -> Any:
    found = [p for p in compat.probes if p.name == probe]
    assert found, f"the generator has no probe {probe!r} any more (kernel {kernel_build.release}); update the table"
    return found[0]


def check(compat: Any, kernel_build: Any, probe: str, expected: int) -> None:
    got = answer(compat, kernel_build, probe)
    series = series_of(kernel_build)
    assert int(got.present) == expected, (
        f"probe {probe} ({got.define}) on kernel {kernel_build.release}: the {series} tree should "
        f"{'have' if expected else 'lack'} it (expected {expected}), the generator answered {int(got.present)}: "
        f"{got.detail}" + (f"\nprobe log: {got.log}" if got.log else ""))


@pytest.mark.parametrize("probe", sorted(API_ANSWERS))
def test_api_answer_matches_the_series(compat: Any, kernel_build: Any, probe: str) -> None:
    check(compat, kernel_build, probe, API_ANSWERS[probe][SERIES.index(series_of(kernel_build))])


@pytest.mark.parametrize("probe", sorted(EXPORT_ANSWERS))
def test_export_answer_matches_the_series(compat: Any, kernel_build: Any, config: dict[str, str],
                                          probe: str) -> None:
    option, answers = EXPORT_ANSWERS[probe]
    expected = answers[SERIES.index(series_of(kernel_build))]
    if expected and config.get(option) not in ("y", "m"):
        pytest.skip(f"kernel {kernel_build.release} is configured without {option}, which builds the library "
                    f"exporting {probe.removeprefix('export_')}: its absence says nothing about the series")
    check(compat, kernel_build, probe, expected)


def test_kernel_crypto_library_is_chosen(compat: Any, kernel_build: Any, config: dict[str, str]) -> None:
    """Every series of the tables has the crypto library WireGuard uses, once something selects it."""
    if config.get("CONFIG_WIREGUARD") not in ("y", "m"):
        pytest.skip(f"kernel {kernel_build.release} is configured without CONFIG_WIREGUARD, the option that "
                    "selects the crypto libraries; the harness's configs set it where the tree has it")
    assert compat.crypto == "kernel", (
        f"kernel {kernel_build.release}: compat chose {compat.crypto} crypto ({compat.crypto_reason}); "
        f"every {', '.join(SERIES)} kernel with WireGuard configured has a usable library")
