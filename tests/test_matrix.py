"""kernels.toml: its kernels, their cells, and what a wrong entry is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgcompat import matrix
from wgcompat.errors import UserError

HEAD = 'default = "6.1"\n'
K61 = '[[kernel]]\nseries = "6.1"\nprovider = "debian:bookworm"\nflavours = ["normal", "debug"]\n' \
      'crypto = ["auto", "bundled"]\nquick = true\n'
K419 = '[[kernel]]\nseries = "4.19"\nprovider = "kernel.org"\nflavours = ["normal", "debug"]\n'


def load(tmp_path: Path, text: str) -> matrix.Matrix:
    path = tmp_path / "kernels.toml"
    path.write_text(text)
    return matrix.load(path)


def test_the_cells_are_each_kernels_flavours_times_its_crypto_modes(tmp_path: Path) -> None:
    m = load(tmp_path, HEAD + K419 + K61)
    assert m.kernels == ("4.19", "6.1") and m.debian_suites == {"6.1": "bookworm"}
    assert [c.name for c in matrix.cells(m, "full")] == [
        "4.19-normal", "4.19-debug", "6.1-normal", "6.1-normal-bundled", "6.1-debug", "6.1-debug-bundled"]
    assert [c.name for c in matrix.cells(m, "quick")] == ["6.1-normal"]
    assert [c.name for c in matrix.cells(m, None, "normal", "bundled")] == ["6.1-normal-bundled"]
    assert [(c.name, c.provider) for c in matrix.cells(m, None, "debug", "auto", ["6.1", "5.4.286"])] == [
        ("6.1-debug", "debian:bookworm"), ("5.4.286-debug", "")]


@pytest.mark.parametrize("entry, named", [
    ('[[kernel]]\nseries = "6.1"\nprovider = "debian:bookworm"\nflavour = ["debug"]\n', "unknown keys flavour"),
    ('[[kernel]]\nseries = "6.1"\nprovider = "debian:bookworm"\nflavours = ["kasan"]\n', "flavours must be"),
    ('[[kernel]]\nseries = "6.1"\nprovider = "debian:bookworm"\ncrypto = []\n', "crypto must be"),
    ('[[kernel]]\nseries = "6.1"\nprovider = "github"\n', "provider must be"),
    ('[[kernel]]\nseries = "6"\nprovider = "kernel.org"\n', "series must be X.Y"),
    ('[[kernel]]\nseries = "6.1"\nprovider = "kernel.org"\nkind = "stable"\n', "kind must be"),
    (K61 + K61, "listed twice"),
])
def test_a_wrong_kernel_entry_is_named_with_the_fix(tmp_path: Path, entry: str, named: str) -> None:
    with pytest.raises(UserError) as err:
        load(tmp_path, HEAD + entry)
    assert named in err.value.cause and "kernels.toml" in err.value.fix


def test_an_unknown_subset_is_refused() -> None:
    with pytest.raises(UserError) as err:
        matrix.cells(matrix.load(), "nightly")
    assert "nightly" in err.value.cause and "--cells quick" in err.value.fix


def test_the_repositorys_matrix_covers_every_lts_series_and_the_newest_debian_mainline() -> None:
    m = matrix.load()
    lts = [k.series for k in m.entries if k.kind == "lts"]
    assert lts == ["4.19", "5.4", "5.10", "5.15", "6.1", "6.6", "6.12", "6.18"]
    (mainline,) = [k for k in m.entries if k.kind == "mainline"]
    assert mainline.provider == "debian:sid"
    assert m.default in m.kernels and set(m.ci_kernels) <= set(m.kernels)
