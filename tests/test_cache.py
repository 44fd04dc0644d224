"""wgcompat.cache: the input key, a source tree's contents key, the lock and the marker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wgcompat import cache
from wgcompat.errors import UserError


def digest(*parts: tuple[str, str]) -> str:
    key = cache.InputKey()
    for name, value in parts:
        key.add(name, value)
    return key.hexdigest()


def test_the_key_depends_on_every_part_and_its_name() -> None:
    assert digest(("a", "1"), ("b", "2")) == digest(("a", "1"), ("b", "2"))
    assert digest(("a", "1"), ("b", "2")) != digest(("a", "1"), ("b", "3"))
    assert digest(("a", "1"), ("b", "2")) != digest(("a", "1"), ("c", "2"))
    assert digest(("a", "bc")) != digest(("ab", "c"))
    with pytest.raises(ValueError):
        digest(("a", "1"), ("a", "2"))


def test_a_missing_file_is_an_input_of_its_own(tmp_path: Path) -> None:
    missing = cache.InputKey().file("f", tmp_path / "f")
    (tmp_path / "f").write_text("")
    empty = cache.InputKey().file("f", tmp_path / "f")
    assert missing.inputs == {"f": cache.MISSING} and empty.hexdigest() != missing.hexdigest()


def test_a_folder_counts_its_files_but_not_the_excluded_ones(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.c").write_text("int a;\n")
    before = cache.folder_digest(tmp_path, exclude=("*.o", "__pycache__"))
    (tmp_path / "sub" / "a.o").write_text("object")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_text("bytecode")
    assert cache.folder_digest(tmp_path, exclude=("*.o", "__pycache__")) == before
    (tmp_path / "sub" / "a.c").write_text("int b;\n")
    assert cache.folder_digest(tmp_path, exclude=("*.o", "__pycache__")) != before


def test_the_code_of_a_package_is_every_module_of_it() -> None:
    files = cache.code_files("wgcompat.compat")
    assert {"generator.py", "render.py", "runner.py", "catalogue.py"} <= set(files)
    assert list(cache.code_files("wgcompat.module_build")) == ["module_build.py"]


# --------------------------------------------------------------------------
# a local source tree


def manifest_tree(root: Path) -> Path:
    (root / "kernel").mkdir(parents=True)
    (root / "Makefile").write_text("VERSION = 5\n")
    (root / "kernel" / "fork.c").write_text("int fork;\n")
    return root


def test_a_plain_tree_is_keyed_on_paths_sizes_and_times(tmp_path: Path) -> None:
    tree = manifest_tree(tmp_path / "linux")
    key = cache.tree_key(tree)
    assert key.startswith("manifest ") and cache.tree_key(tree) == key
    fork = tree / "kernel" / "fork.c"
    os.utime(fork, ns=(1, 1))
    touched = cache.tree_key(tree)
    assert touched != key
    fork.write_text("int spoon;")  # same size as before, a later time
    assert cache.tree_key(tree) != touched
    (tree / "kernel" / "exit.c").write_text("")
    assert cache.tree_key(tree) not in (key, touched)


def test_a_plain_tree_leaves_git_folders_out(tmp_path: Path) -> None:
    tree = manifest_tree(tmp_path / "linux")
    key = cache.tree_key(tree)
    (tree / ".git").mkdir()
    (tree / ".git" / "objects").write_text("not a repository")
    assert cache.tree_key(tree) == key


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = manifest_tree(tmp_path / "linux")
    (repo / ".gitignore").write_text("*.o\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    return repo


@needs_git
def test_a_git_checkout_is_keyed_on_its_tree_and_its_changes(checkout: Path) -> None:
    clean = cache.tree_key(checkout)
    assert clean.startswith("git ") and cache.tree_key(checkout) == clean
    fork = checkout / "kernel" / "fork.c"
    fork.write_text("int spoon;\n")
    edited = cache.tree_key(checkout)
    assert edited != clean
    git(checkout, "add", ".")
    assert cache.tree_key(checkout) == edited, "staged or not, the working tree is the same"
    fork.write_text("int fork;\n")
    git(checkout, "add", ".")
    assert cache.tree_key(checkout) == clean
    (checkout / "kernel" / "fork.o").write_text("ignored build output")
    assert cache.tree_key(checkout) == clean
    (checkout / "kernel" / "exit.c").write_text("")
    untracked = cache.tree_key(checkout)
    assert untracked != clean
    git(checkout, "add", ".")
    git(checkout, "commit", "-q", "-m", "two")
    assert cache.tree_key(checkout) not in (clean, untracked)


@needs_git
def test_a_tree_inside_a_checkout(checkout: Path) -> None:
    sub = checkout / "kernel"
    key = cache.tree_key(sub)
    assert key.startswith("git ")
    (checkout / "Makefile").write_text("VERSION = 6\n")
    assert cache.tree_key(sub) == key, "a change outside the tree is not the tree's"
    (sub / "fork.c").write_text("int spoon;\n")
    assert cache.tree_key(sub) != key
    untracked = checkout / "untracked"
    manifest_tree(untracked)
    assert cache.tree_key(untracked).startswith("manifest ")


# --------------------------------------------------------------------------
# the lock and the marker


def entry(tmp_path: Path) -> cache.Entry:
    return cache.Entry(tmp_path / "builds" / "thing-0123", {"input": "abc"})


def builder(calls: list[Path], fail: bool = False):
    def build(folder: Path) -> dict[str, object]:
        calls.append(folder)
        assert list(folder.iterdir()) == [], "a build starts in an empty folder"
        (folder / "output").write_text("built")
        if fail:
            raise UserError("the build failed", "fix it")
        return {"output": str(folder / "output")}
    return build


def test_a_complete_entry_is_reused_and_records_its_inputs(tmp_path: Path) -> None:
    calls: list[Path] = []
    e = entry(tmp_path)
    first = cache.obtain(e, "a thing", builder(calls), wait=False)
    assert not first.cached and first.result == {"output": str(e.path / "output")}
    os.utime(e.marker, (1, 1))
    second = cache.obtain(e, "a thing", builder(calls), wait=False)
    assert second.cached and second.result == first.result and calls == [e.path]
    assert e.marker.stat().st_mtime > 1, "reuse touches the marker (last use, for clean --stale)"
    assert json.loads(e.marker.read_text())["inputs"] == {"input": "abc"}


def test_an_entry_without_its_marker_is_wiped_and_built_again(tmp_path: Path) -> None:
    calls: list[Path] = []
    e = entry(tmp_path)
    with pytest.raises(UserError):
        cache.obtain(e, "a thing", builder(calls, fail=True), wait=False)
    assert (e.path / "output").exists() and not e.marker.exists(), "a failed build keeps its files, unmarked"
    said: list[str] = []
    again = cache.obtain(e, "a thing", builder(calls), wait=False, progress=said.append)
    assert not again.cached and len(calls) == 2 and e.marker.exists()
    assert said == [f"removing the unfinished build in {e.path}"]


def test_a_held_lock_is_a_clear_error_unless_waiting(tmp_path: Path) -> None:
    e = entry(tmp_path)
    assert not cache.locked(e.path)
    with cache.build_lock(cache.lock_path(e.path), "a thing"):
        assert cache.locked(e.path)
        with pytest.raises(UserError) as err:
            cache.obtain(e, "a thing", builder([]), wait=False)
    assert f"pid {os.getpid()}" in err.value.cause and "is building a thing" in err.value.cause
    assert not cache.locked(e.path) and not e.path.exists()


def test_a_complete_entry_is_read_without_the_lock(tmp_path: Path) -> None:
    e = entry(tmp_path)
    cache.obtain(e, "a thing", builder([]), wait=False)
    with cache.build_lock(cache.lock_path(e.path), "a thing"):
        assert cache.obtain(e, "a thing", builder([]), wait=False).cached
