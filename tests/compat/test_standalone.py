"""The compat generator runs alone, the way a packager and DKMS run it: from the shipped
copy (wgcompat.package.tree), with the system's python3 and python3-jinja2, no venv, and
on Python as old as Debian bullseye's 3.9."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.compat.conftest import HEALTHY_HEADERS, make_fake_tree
from wgcompat.compat.catalogue import PROBES_DIR, CatalogueError, load_catalogue, parse_tables
from wgcompat.package.tree import copy_generator, generator_files

SYSTEM_PYTHON = Path("/usr/bin/python3")


def _system_env() -> dict[str, str]:
    """The environment DKMS gives a PRE_BUILD step: no venv, no PYTHONPATH."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


def test_the_shipped_generator_renders_compat_h_with_the_system_python(tmp_path: Path) -> None:
    if not SYSTEM_PYTHON.exists():
        pytest.fail("/usr/bin/python3 is missing: the generator is tested with the distribution's own python3")
    entry = copy_generator(tmp_path / "generator")
    kernel = make_fake_tree(tmp_path / "kernel", HEALTHY_HEADERS)
    out = tmp_path / "out"
    done = subprocess.run([str(SYSTEM_PYTHON), "-E", "-s", str(entry), "--kernel-dir", str(kernel),
                           "--output", str(out), "--cache-dir", str(tmp_path / "cache")],
                          cwd=tmp_path, env=_system_env(), capture_output=True, text=True)
    assert "No module named 'jinja2'" not in done.stderr, \
        "the system python3 lacks jinja2: install python3-jinja2 (tools/apt-packages.txt lists it)"
    assert done.returncode == 0, done.stderr
    assert re.search(r"#define WGC_HAVE_KFREE_SENSITIVE\s+1\b", (out / "compat.h").read_text())
    assert "WGC_CRYPTO" in (out / "compat.mk").read_text()
    assert f"compat.h: {out / 'compat.h'}" in done.stdout


def test_the_shipped_generator_needs_no_python_newer_than_3_9(tmp_path: Path) -> None:
    python_files = [str(path) for path, rel in generator_files() if rel.endswith(".py") or rel == "wgc-compat"]
    done = subprocess.run([str(Path(sys.executable).with_name("vermin")), "--no-tips", "--violations", "-t=3.9-",
                           "--eval-annotations", "--backport", "typing", *python_files],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_shipped_generator_is_everything_it_imports() -> None:
    """Every wgcompat module the generator imports ships with it (the run above would fail
    too; this names the missing file)."""
    shipped = {rel for _, rel in generator_files()}
    for path, rel in generator_files():
        if not rel.endswith(".py"):
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("from", "import") and words[1].startswith("wgcompat"):
                module = words[1]
                if words[0] == "from" and len(words) >= 4 and module == "wgcompat":
                    module = f"wgcompat.{words[3].rstrip(',')}"
                candidates = {module.replace(".", "/") + ".py", module.replace(".", "/") + "/__init__.py"}
                assert candidates & shipped, f"{rel} imports {module}, which the package tree does not ship"


def test_the_catalogue_reader_reads_the_tables_as_tomllib_does() -> None:
    for name in ("headers.toml", "symbols.toml", "kconfig.toml"):
        path = PROBES_DIR / name
        assert parse_tables(path.read_text(), path) == tomllib.loads(path.read_text())
    assert len(load_catalogue().probes) > 100


@pytest.mark.parametrize("text", [
    '[header]\nname = "x"\n',                       # a table, not an array of tables
    '[[header]]\nname = \'x\'\n',                   # a literal string
    '[[header]]\nname = "x"\nname = "y"\n',         # a key twice
    'name = "x"\n',                                 # a key before any table
    '[[header]]\nname = """x"""\n',                 # a multi-line string
])
def test_the_catalogue_reader_refuses_what_it_does_not_know(text: str, tmp_path: Path) -> None:
    path = tmp_path / "headers.toml"
    with pytest.raises(CatalogueError, match=r"headers\.toml:\d+: "):
        parse_tables(text, path)
