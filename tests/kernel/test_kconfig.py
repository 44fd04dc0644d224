from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.kernel import kconfig

KCONFIGS = Path(__file__).resolve().parents[2] / "kconfigs"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_fragment_values_and_conditions(tmp_path):
    f = kconfig.parse_fragment(write(tmp_path / "x.config",
                                     "# applies-if-kconfig: WIREGUARD\n# applies-if-no-kconfig: OLD\n"
                                     "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"text\"\n"))
    assert f.values == (("CONFIG_A", "y"), ("CONFIG_B", "n"), ("CONFIG_C", '"text"'))
    assert f.applies({"WIREGUARD"}) and not f.applies(set()) and not f.applies({"WIREGUARD", "OLD"})


def test_unreadable_fragment_line_is_named(tmp_path):
    with pytest.raises(UserError) as err:
        kconfig.parse_fragment(write(tmp_path / "bad.config", "CONFIG_A=y\nCONFIG_B y\n"))
    assert "bad.config:2" in err.value.cause


def test_fragments_are_chosen_by_the_trees_kconfig_not_its_version():
    with_wg = [f.name for f in kconfig.select_fragments("normal", {"WIREGUARD"}, KCONFIGS)]
    without = [f.name for f in kconfig.select_fragments("normal", set(), KCONFIGS)]
    assert "wireguard-in-tree.config" in with_wg and "wireguard-in-tree.config" not in without
    assert with_wg[0] == "base.config"
    debug = [f.name for f in kconfig.select_fragments("debug", set(), KCONFIGS)]
    assert debug[-1] == "debug.config"


def test_unknown_flavour():
    with pytest.raises(UserError) as err:
        kconfig.select_fragments("fast", set(), KCONFIGS)
    assert "normal" in err.value.fix and "debug" in err.value.fix


def test_later_fragments_win(tmp_path):
    a = kconfig.parse_fragment(write(tmp_path / "a.config", "CONFIG_X=y\nCONFIG_Y=y\n"))
    b = kconfig.parse_fragment(write(tmp_path / "b.config", "CONFIG_X=m\n"))
    assert kconfig.merge([a, b]).requested == {"CONFIG_X": "m", "CONFIG_Y": "y"}


def test_survival_check_names_each_dropped_option(tmp_path):
    requested = {"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_C": "y", "CONFIG_D": "n", "CONFIG_E": "m"}
    final = {"CONFIG_A": "y", "CONFIG_B": "y", "CONFIG_E": "n"}
    dropped = kconfig.dropped_options(requested, final)
    assert [(d.symbol, d.wanted, d.got) for d in dropped] == [("CONFIG_C", "y", "n"), ("CONFIG_E", "m", "n")]
    frag = kconfig.parse_fragment(write(tmp_path / "base.config", "CONFIG_C=y\nCONFIG_E=m\n"))
    err = kconfig.explain_dropped(dropped, (frag,))
    assert "CONFIG_C: asked y in kconfigs/base.config, got n" in err.cause
    assert "CONFIG_E" in err.cause and "applies-if-kconfig" in err.fix


def test_kconfig_symbols_are_read_from_the_tree(tmp_path):
    (tmp_path / "net").mkdir()
    write(tmp_path / "Kconfig", "config FOO\n\tbool\nmenuconfig BAR\n\tbool\n")
    write(tmp_path / "net" / "Kconfig.debug", "  config BAZ\n")
    assert kconfig.kconfig_symbols(tmp_path) == {"FOO", "BAR", "BAZ"}


def test_repository_fragments_parse():
    for path in KCONFIGS.glob("*.config"):
        assert kconfig.parse_fragment(path).values, path


def test_symbol_scan_is_cached_per_tree_and_refreshed_when_the_tree_changes(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    write(tree / "Makefile", "VERSION = 6\n")
    write(tree / "Kconfig", "config FOO\n")
    assert kconfig.kconfig_symbols(tree, cache) == {"FOO"}
    write(tree / "Kconfig.extra", "config HIDDEN_FROM_CACHE\n")
    assert kconfig.kconfig_symbols(tree, cache) == {"FOO"}, "second scan must come from the cache"
    write(tree / "Kconfig", "config FOO\nconfig BAR\n")  # the tree changed
    assert kconfig.kconfig_symbols(tree, cache) == {"FOO", "BAR", "HIDDEN_FROM_CACHE"}
