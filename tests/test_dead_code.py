"""No dead code in the harness (wgcompat/, vmtests/, tasks.py).

Two checks:

- vulture, with pyproject.toml's [tool.vulture] settings: an unused function, class, method,
  attribute, variable, import or argument anywhere in those folders fails the test;
- a stricter check of where things are reached, because vulture matches names only: a method,
  and a dataclass or NamedTuple field, counts as used when some code reads `something.name`
  (a local variable of the same name elsewhere does not count; setting a field is not reading
  it), a module-level function or class when its module reads the name, another module imports
  it by name or reads `module.name`, and a pytest fixture when a test or fixture requests it by
  parameter name or `usefixtures`.

Uses from tests/ do not count: code only the unit tests call is dead code with tests. What is
used in a way neither check can see (a library reading an attribute, a key read by subscript,
a contract field only tests read) is listed in tests/dead_code_whitelist.py with its user.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WHITELIST = REPO / "tests" / "dead_code_whitelist.py"
TEMPLATES = REPO / "wgcompat" / "compat" / "templates"
FIX = (f"fix: delete it; or, if something uses it in a way the check cannot see (a library that "
       f"reads the attribute, a template, a key read by subscript), add its name to "
       f"{WHITELIST.relative_to(REPO)} with a comment naming that user")


def vulture_settings() -> dict[str, object]:
    settings = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["vulture"]
    assert isinstance(settings, dict)
    return settings


def scanned_paths() -> list[str]:
    """[tool.vulture] paths: the folders and files both checks read."""
    paths = vulture_settings()["paths"]
    assert isinstance(paths, list)
    return [str(p) for p in paths]


def vulture_options(settings: dict[str, object]) -> list[str]:
    """pyproject's [tool.vulture] as command-line options (everything but the paths)."""
    options = [f"--min-confidence={settings['min_confidence']}"]
    for key in ("ignore_decorators", "ignore_names", "exclude"):
        values = settings.get(key)
        if values:
            assert isinstance(values, list)
            options.append(f"--{key.replace('_', '-')}={','.join(values)}")
    return options


def run_vulture(paths: Iterable[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("vulture") is None:
        pytest.fail("vulture is not installed in this Python environment; fix: "
                    f"{sys.executable} -m pip install -e {REPO} (pyproject.toml lists it), or run ./wgc once",
                    pytrace=False)
    cmd = [sys.executable, "-m", "vulture", *vulture_options(vulture_settings()), "--", *paths]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------------------------------------
# the stricter check


@dataclass(frozen=True)
class Definition:
    path: Path
    line: int
    kind: str  # "method", "field", "function", "class" or "fixture"
    name: str
    owner: str = ""  # the class of a method or field

    def describe(self, root: Path) -> str:
        qualified = f"{self.owner}.{self.name}" if self.owner else self.name
        return f"{self.path.relative_to(root)}:{self.line}: {self.kind} {qualified}"


@dataclass
class Index:
    """What the scanned sources define and every way they reach a name."""

    root: Path
    definitions: list[Definition] = field(default_factory=list)
    attributes: set[str] = field(default_factory=set)    # `x.name` read, getattr(x, "name"), templates
    imported: set[str] = field(default_factory=set)      # `from m import name` outside package __init__s
    reads: dict[Path, set[str]] = field(default_factory=dict)  # bare names read, per module
    requested: set[str] = field(default_factory=set)     # parameter names, usefixtures/getfixturevalue
    whitelisted: set[str] = field(default_factory=set)

    def unused(self) -> list[Definition]:
        return [d for d in self.definitions if d.name not in self.whitelisted and not self._reached(d)]

    def _reached(self, d: Definition) -> bool:
        if d.kind in ("method", "field"):
            return d.name in self.attributes
        if d.kind == "fixture":
            return d.name in self.requested
        return d.name in self.reads.get(d.path, set()) or d.name in self.imported or d.name in self.attributes


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        parts: list[str] = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            parts.append(target.id)
        names.add(".".join(reversed(parts)))
    return names


def _is_autouse_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(deco, ast.Call) and any(k.arg == "autouse" and isinstance(k.value, ast.Constant)
                                                  and k.value.value is True for k in deco.keywords)
               for deco in node.decorator_list)


def _entry_point(path: Path, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """Called by a framework, not by our code: invoke tasks, pytest hooks and tests."""
    if "task" in _decorator_names(node):
        return True
    if path.name == "conftest.py" and node.name.startswith("pytest_"):
        return True
    if path.name.startswith("test_"):
        return node.name.startswith("test_") or (isinstance(node, ast.ClassDef) and node.name.startswith("Test"))
    return False


def _is_record(node: ast.ClassDef) -> bool:
    """A dataclass or NamedTuple: its annotated names are fields someone should read."""
    bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases}
    return bool({"dataclass", "dataclasses.dataclass"} & _decorator_names(node)) or "NamedTuple" in bases


def _serialises_itself(node: ast.ClassDef) -> bool:
    """asdict(self) / astuple(self) in a method reads every field."""
    for call in ast.walk(node):
        if (isinstance(call, ast.Call) and isinstance(call.func, (ast.Name, ast.Attribute))
                and (call.func.id if isinstance(call.func, ast.Name) else call.func.attr) in ("asdict", "astuple")
                and any(isinstance(a, ast.Name) and a.id == "self" for a in call.args)):
            return True
    return False


def _fields(path: Path, node: ast.ClassDef) -> Iterator[Definition]:
    if not _is_record(node) or _serialises_itself(node):
        return
    for item in node.body:
        if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                and "ClassVar" not in ast.unparse(item.annotation)):
            yield Definition(path, item.lineno, "field", item.target.id, owner=node.name)


def _definitions(path: Path, tree: ast.Module) -> Iterator[Definition]:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _entry_point(path, node):
                continue
            if {"pytest.fixture", "fixture"} & _decorator_names(node):
                if not _is_autouse_fixture(node):
                    yield Definition(path, node.lineno, "fixture", node.name)
            else:
                yield Definition(path, node.lineno, "function", node.name)
        elif isinstance(node, ast.ClassDef):
            if _entry_point(path, node):
                continue
            yield Definition(path, node.lineno, "class", node.name)
            yield from _fields(path, node)
            for item in node.body:
                if (isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and not (item.name.startswith("__") and item.name.endswith("__"))
                        and not {"overload", "typing.overload"} & _decorator_names(item)):
                    yield Definition(path, item.lineno, "method", item.name, owner=node.name)


def _string_arguments(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _index_uses(index: Index, path: Path, tree: ast.Module) -> None:
    reads = index.reads.setdefault(path, set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            index.attributes.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            reads.add(node.id)
        elif isinstance(node, ast.ImportFrom) and path.name != "__init__.py":
            index.imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.arg):
            index.requested.add(node.arg)
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if callee in ("getattr", "hasattr", "setattr") and len(node.args) > 1:
                name = node.args[1]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    index.attributes.add(name.value)
            elif callee in ("usefixtures", "getfixturevalue"):
                index.requested.update(_string_arguments(node))


def python_files(root: Path, paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = root / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def build_index(root: Path, paths: Iterable[str], whitelist: Path | None,
                templates: Path | None = None) -> Index:
    index = Index(root)
    for path in python_files(root, paths):
        tree = ast.parse(path.read_text(), filename=str(path))
        if path == whitelist:
            index.whitelisted.update(node.id if isinstance(node, ast.Name) else node.attr
                                     for node in ast.walk(tree) if isinstance(node, (ast.Name, ast.Attribute)))
            continue
        index.definitions += _definitions(path, tree)
        _index_uses(index, path, tree)
    if templates is not None and templates.is_dir():
        # jinja2 reads attributes of what render() passes in: {{ p.define }}, {{ crypto.mode }}
        for template in templates.rglob("*"):
            if template.is_file():
                index.attributes.update(re.findall(r"\.([A-Za-z_]\w*)", template.read_text(errors="replace")))
    return index


def harness_index() -> Index:
    return build_index(REPO, scanned_paths(), WHITELIST, TEMPLATES)


# ---------------------------------------------------------------------------------------------
# the tests


def test_vulture_finds_no_dead_code() -> None:
    proc = run_vulture(scanned_paths(), REPO)
    if proc.returncode == 3:
        pytest.fail(f"vulture found code nothing uses:\n{proc.stdout}\n{FIX}", pytrace=False)
    assert proc.returncode == 0, f"vulture failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("kind", ["method", "field", "function", "class", "fixture"])
def test_everything_defined_is_reached(kind: str) -> None:
    index = harness_index()
    unused = [d.describe(REPO) for d in index.unused() if d.kind == kind]
    how = {
        "method": "no code reads `<something>.NAME` (a variable of the same name elsewhere does not count)",
        "field": "no code reads `<something>.NAME` of this dataclass or NamedTuple field; setting it is not using it",
        "function": "neither its module nor an import by name nor `<module>.NAME` reaches it",
        "class": "neither its module nor an import by name nor `<module>.NAME` reaches it",
        "fixture": "no test or fixture requests it (parameter name, usefixtures, getfixturevalue)",
    }[kind]
    assert not unused, f"unused {kind}s ({how}):\n" + "\n".join(unused) + f"\n{FIX}"


def test_the_whitelist_names_only_what_exists() -> None:
    """A whitelist entry for code that was since deleted would hide the next thing of that name."""
    defined: set[str] = set()
    for path in python_files(REPO, scanned_paths()):
        if path == WHITELIST:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined.add(node.target.id)
    stale = sorted(build_index(REPO, [str(WHITELIST.relative_to(REPO))], WHITELIST).whitelisted - defined - {"_"})
    assert not stale, (f"{WHITELIST.relative_to(REPO)} lists names no scanned file defines: {', '.join(stale)}; "
                       "fix: remove those entries")


# A module with one unused function, one method that only a same-named local variable
# "uses" and one dataclass field nothing reads: both checks must report what they can see.
PROBE = '''
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    shown: str
    hidden: int


class Catalogue:
    def by_name(self, name: str) -> str:
        return name


def unused_helper() -> int:
    return 1


def main() -> None:
    by_name = {"a": Catalogue()}
    print(by_name, Row("a", 1).shown)


if __name__ == "__main__":
    main()
'''


def test_the_checks_report_a_new_unused_function(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    proc = run_vulture(["probe.py"], tmp_path)
    assert proc.returncode == 3 and "unused function 'unused_helper'" in proc.stdout, \
        f"vulture, with pyproject.toml's settings, missed an unused function:\n{proc.stdout}{proc.stderr}"
    found = {d.describe(tmp_path) for d in build_index(tmp_path, ["probe.py"], None).unused()}
    assert found == {"probe.py:8: field Row.hidden", "probe.py:12: method Catalogue.by_name",
                     "probe.py:16: function unused_helper"}, found


def test_the_stricter_check_follows_fixtures_tasks_and_templates(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef wanted():\n    return 1\n\n\n"
        "@pytest.fixture\ndef orphan():\n    return 2\n\n\n"
        "def pytest_configure(config):\n    pass\n")
    (tmp_path / "test_x.py").write_text("def test_a(wanted):\n    assert wanted\n")
    (tmp_path / "tasks.py").write_text(
        "from invoke import task\n\n\n@task\ndef build(c):\n    pass\n\n\n"
        "class Row:\n    def label(self):\n        return ''\n\n\nROWS = [Row()]\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.j2").write_text("{% for r in rows %}{{ r.label() }}{% endfor %}")
    found = {d.describe(tmp_path) for d in build_index(tmp_path, ["conftest.py", "test_x.py", "tasks.py"], None,
                                                       templates=tmp_path / "templates").unused()}
    assert found == {"conftest.py:10: fixture orphan"}, found
