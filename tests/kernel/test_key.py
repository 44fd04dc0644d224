"""`invoke kernel --key`: the build's cache key, found without building, is the folder the
build then goes to (CI restores and saves its kernel cache under it)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from wgcompat import paths
from wgcompat.errors import UserError
from wgcompat.kernel.key import build_key
from wgcompat.kernel.select import resolve_kernel, selection

FAKE = Path(__file__).parent / "fake_kernel"
KCONFIGS = Path(__file__).resolve().parents[2] / "kconfigs"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src = tmp_path / "linux-5.4.286"
    shutil.copytree(FAKE, src)
    symbols = set()
    for frag in [*KCONFIGS.glob("*.config"), *KCONFIGS.glob("arch/*.config")]:
        symbols |= set(re.findall(r"^CONFIG_(\w+)=", frag.read_text(), re.M))
    (src / "Kconfig").write_text("".join(f"config {s}\n\tbool\n" for s in sorted(symbols)))
    return src


def test_the_key_is_the_folder_the_build_goes_to_and_nothing_is_built_to_find_it(tree: Path) -> None:
    sel = selection(kernel_src=str(tree))
    key = build_key(sel)
    assert key.startswith("5.4.286-normal-")
    assert not (paths.kernels_dir() / key).exists()
    assert resolve_kernel(sel).build_dir == paths.kernels_dir() / key
    assert build_key(sel) == key  # the same after the build
    debug = build_key(selection(kernel_src=str(tree), config="debug"))
    assert debug.startswith("5.4.286-debug-") and debug != key
    (tree / "extra.c").write_text("int x;\n")  # a --kernel-src tree is keyed on its contents
    assert build_key(sel) != key


def test_a_build_tree_has_no_key(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        build_key(selection(kernel_dir=str(tmp_path)))
    assert "--kernel-dir" in err.value.cause and "--kernel V" in err.value.fix

