"""The docs (README.md, docs/architecture.md, docs/kernels.md and every other tracked .md file)
against the code.

What a test can check, it checks here:

- every `invoke TASK --option` and `./wgc TASK` the docs show names a task of tasks.py and
  options that task has (read with invoke's own parser contexts), and every task of tasks.py
  is shown in the README;
- a bare `--option` is an option of some task or of the VM test suites (vmtests conftest.py);
  `pytest vmtests/...` and `python -m wgcompat....` commands use options those define;
- every repository path in backticks (`module/`, `tools/apt-packages.txt`, `module/crypto/*.c`)
  and every relative link exists;
- every `wgcompat.x.y` name imports (a module, or an attribute of one);
- the cache folders of docs/kernels.md are the ones the code creates under the cache root;
- docs/architecture.md's folders table covers every top-level entry, every folder of vmtests/
  and every subpackage of wgcompat/, and names the compiler settings the harness passes.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import invoke
import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def tracked_markdown() -> tuple[Path, ...]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True).stdout.split()
    return tuple(REPO / name for name in listed) or (README,)


DOCS = tracked_markdown()
KERNELS_MD = REPO / "docs" / "kernels.md"
CODE_PATHS = ("wgcompat", "vmtests", "tasks.py")


@dataclass(frozen=True)
class Span:
    """A `code span`, or one line of a fenced code block, of a doc."""

    doc: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}: `{self.text}`"


def spans(doc: Path, fenced: bool = True) -> Iterator[Span]:
    in_fence = False
    for number, line in enumerate(doc.read_text().splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            if fenced and line.strip():
                yield Span(doc, number, line.strip())
            continue
        for match in re.finditer(r"`([^`]+)`", line):
            yield Span(doc, number, match.group(1).strip())


def all_spans(fenced: bool = True) -> list[Span]:
    return [s for doc in DOCS for s in spans(doc, fenced)]


def words(text: str) -> list[str]:
    """shell words without comments and without the [ ] of optional parts; a command
    substitution ($(uname -r)) stays inside its word."""
    text = re.sub(r"\$\([^()]*\)", "SUBST", text)
    try:
        raw = shlex.split(text, comments=True)
    except ValueError:
        raw = text.split()
    return [w.strip("[]") for w in raw if w.strip("[]")]


# ---------------------------------------------------------------------------------------------
# what the code offers


@functools.cache
def task_contexts() -> dict[str, invoke.parser.ParserContext]:
    sys.path.insert(0, str(REPO))
    try:
        import tasks
    finally:
        sys.path.remove(str(REPO))
    collection = invoke.Collection.from_module(tasks)
    return {ctx.name: ctx for ctx in collection.to_contexts() if ctx.name}


def task_flags(ctx: invoke.parser.ParserContext) -> set[str]:
    return set(ctx.flags) | set(ctx.inverse_flags)


@functools.cache
def core_flags() -> set[str]:
    """invoke's own options (--help, --list, ...), allowed before the task name."""
    flags: set[str] = set()
    for argument in invoke.Program().core_args():
        flags.update(f"--{n}" if len(n) > 1 else f"-{n}" for n in argument.names)
    return flags


def _string_options(path: Path, method: str) -> set[str]:
    """The "--x" strings passed to `<anything>.<method>(...)` calls in one file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
            found.update(a.value for a in node.args
                         if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("-"))
    return found


@functools.cache
def vmtests_options() -> frozenset[str]:
    """Options the VM suites add to pytest (pytest_addoption of vmtests/**/conftest.py)."""
    return frozenset(o for path in (REPO / "vmtests").rglob("conftest.py") for o in _string_options(path, "addoption"))


@functools.cache
def pytest_own_options() -> frozenset[str]:
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                               cwd=Path("/"), capture_output=True, text=True, timeout=120).stdout
    return frozenset(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", help_text))


def all_task_flags() -> set[str]:
    return {f for ctx in task_contexts().values() for f in task_flags(ctx)}


# ---------------------------------------------------------------------------------------------
# commands


@dataclass(frozen=True)
class Command:
    span: Span
    program: str  # "invoke", "pytest" or "python -m MODULE"
    args: tuple[str, ...]


def commands() -> Iterator[Command]:
    for span in all_spans():
        ws = words(span.text)
        for i, w in enumerate(ws):
            if w in ("invoke", "inv", "./wgc", "wgc"):
                yield Command(span, "invoke", tuple(ws[i + 1:]))
            elif w == "pytest" and i + 1 < len(ws) and ws[i + 1].startswith("vmtests"):
                yield Command(span, "pytest", tuple(ws[i + 1:]))
            elif w == "-m" and i > 0 and ws[i - 1].startswith("python") and i + 1 < len(ws):
                yield Command(span, f"python -m {ws[i + 1]}", tuple(ws[i + 2:]))


def is_placeholder(word: str) -> bool:
    return word in ("...", "…") or bool(re.fullmatch(r"[A-Z][A-Z_]*", word))


def invoke_problems(cmd: Command) -> list[str]:
    contexts = task_contexts()
    args = list(cmd.args)
    problems: list[str] = []
    # invoke's own options first (`invoke --help TASK`, `./wgc --list`)
    while args and args[0].startswith("-"):
        flag = args.pop(0).split("=")[0]
        if flag not in core_flags():
            problems.append(f"{cmd.span.where}: invoke has no option {flag} before the task name")
    if not args or is_placeholder(args[0]):
        return problems
    name = args.pop(0)
    if name not in contexts:
        return problems + [f"{cmd.span.where}: tasks.py has no task '{name}' "
                           f"(its tasks: {', '.join(sorted(contexts))})"]
    flags = task_flags(contexts[name])
    for word in args:
        if word.startswith("-") and len(word) > 1 and not word.startswith("-" * 3):
            flag = word.split("=")[0]
            if flag not in flags:
                problems.append(f"{cmd.span.where}: the task '{name}' has no option {flag} "
                                f"(its options: {', '.join(sorted(flags))})")
    return problems


def other_problems(cmd: Command) -> list[str]:
    """`pytest vmtests/... --x`: --x is the VM suites' or pytest's own. `python -m wgcompat.m --x`:
    the module exists and parses --x (argparse add_argument)."""
    given = [w.split("=")[0] for w in cmd.args if w.startswith("--")]
    if cmd.program == "pytest":
        known = set(vmtests_options())
        if not set(given) <= known:
            known |= pytest_own_options()
        return [f"{cmd.span.where}: neither vmtests' conftest.py files nor pytest define the option {flag}"
                for flag in given if flag not in known]
    module = cmd.program.split()[-1]
    if not module.startswith("wgcompat"):
        return []
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return [f"{cmd.span.where}: there is no module {module}"]
    # a package runs its __main__.py, which may parse its options in any module of it
    sources = sorted(Path(spec.origin).parent.glob("*.py")) if spec.submodule_search_locations else [Path(spec.origin)]
    known = {o for source in sources for o in _string_options(source, "add_argument")}
    return [f"{cmd.span.where}: {module} has no option {flag}" for flag in given if flag not in known]


def test_every_command_names_tasks_and_options_that_exist() -> None:
    problems: list[str] = []
    for cmd in commands():
        problems += invoke_problems(cmd) if cmd.program == "invoke" else other_problems(cmd)
    assert not problems, ("the docs show commands the code does not have:\n" + "\n".join(problems)
                          + "\nfix: correct the doc (or add what it describes to tasks.py / the module)")


def test_every_bare_option_exists() -> None:
    """`--crypto bundled` in the text: an option of some task, or of the VM suites."""
    known = all_task_flags() | vmtests_options()
    problems: list[str] = []
    for span in all_spans(fenced=False):
        ws = words(span.text)
        if ws and ws[0].startswith("--") and ws[0].split("=")[0] not in known:
            problems.append(f"{span.where}: no task of tasks.py and no vmtests conftest.py has {ws[0].split('=')[0]}")
    assert not problems, "\n".join(problems) + "\nfix: correct the option's name in the doc"


def test_the_readme_shows_every_task() -> None:
    shown = {cmd.args[0] for cmd in commands()
             if cmd.program == "invoke" and cmd.span.doc == README and cmd.args and not cmd.args[0].startswith("-")}
    missing = sorted(set(task_contexts()) - shown)
    assert not missing, (f"README.md never shows the task(s) {', '.join(missing)}; "
                         "fix: add a row `invoke TASK ...` to its task table")


# ---------------------------------------------------------------------------------------------
# paths and names


@functools.cache
def repo_top_level() -> frozenset[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    return frozenset(p.split("/", 1)[0] for p in tracked) | frozenset(p.name for p in REPO.iterdir())


@functools.cache
def generated_top_level() -> frozenset[str]:
    """Top-level folders the harness writes and git ignores (.gitignore's `/name/` lines)."""
    lines = (REPO / ".gitignore").read_text().splitlines()
    return frozenset(m.group(1) for line in lines if (m := re.fullmatch(r"/([\w.-]+)/", line.strip())))


def repo_path(text: str) -> str | None:
    """The repository path a span names, if it names one: relative, with a slash, starting in a
    top-level entry of the repository that is not generated."""
    candidate = text[2:] if text.startswith("./") else text
    if not re.fullmatch(r"[\w.][\w.*/-]*", candidate) or "/" not in candidate:
        return None
    top = candidate.split("/", 1)[0]
    if top not in repo_top_level() or top in generated_top_level():
        return None
    return candidate


def test_every_repository_path_exists() -> None:
    missing: list[str] = []
    for span in all_spans(fenced=False):
        path = repo_path(span.text)
        if path is None:
            continue
        exists = any(REPO.glob(path.rstrip("/"))) if "*" in path else (REPO / path).exists()
        if not exists:
            missing.append(span.where)
    assert not missing, ("the docs name repository paths that do not exist:\n" + "\n".join(missing)
                         + "\nfix: correct the path in the doc")


def test_every_relative_link_exists() -> None:
    missing: list[str] = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text().splitlines(), start=1):
            for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", line):
                if "://" not in target and not (doc.parent / target).exists():
                    missing.append(f"{doc.relative_to(REPO)}:{number}: ({target})")
    assert not missing, "links to files that do not exist:\n" + "\n".join(missing) + "\nfix: correct the link"


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: object = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def file_names_the_harness_writes() -> set[str]:
    """String literals of the harness that look like dotted names: the files it writes
    (`wgcompat.fragment`), which the docs name without their being modules."""
    names: set[str] = set()
    for path in (REPO / "wgcompat").rglob("*.py"):
        names.update(re.findall(r"[\"'](wgcompat\.[A-Za-z_]\w*)[\"']", path.read_text()))
    return names


def test_every_wgcompat_name_imports() -> None:
    missing: list[str] = []
    files = file_names_the_harness_writes()
    for span in all_spans():
        for dotted in re.findall(r"(?<![\w.])wgcompat(?:\.[A-Za-z_]\w*)+", span.text):
            if dotted not in files and not resolves(dotted):
                missing.append(f"{span.where}: {dotted}")
    assert not missing, ("the docs name wgcompat modules or functions that do not exist:\n" + "\n".join(missing)
                         + "\nfix: correct the name in the doc")


# ---------------------------------------------------------------------------------------------
# docs/kernels.md's cache folders


def documented_cache_folders() -> dict[str, int]:
    """First path component of each row of the "folder | holds" table of docs/kernels.md."""
    folders: dict[str, int] = {}
    in_table = False
    for number, line in enumerate(KERNELS_MD.read_text().splitlines(), start=1):
        if re.match(r"\|\s*folder\s*\|\s*holds\s*\|", line):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            match = re.match(r"\|\s*`([^`/]+)/", line)
            if match:
                folders[match.group(1)] = number
    return folders


def code_cache_folders() -> dict[str, str]:
    """`cache_root() / "name"` (and `cache_root / "name"`) in the harness: name -> where."""
    found: dict[str, str] = {}
    for top in CODE_PATHS:
        path = REPO / top
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            for node in ast.walk(ast.parse(file.read_text())):
                if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                        and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str)):
                    continue
                left = node.left.func if isinstance(node.left, ast.Call) else node.left
                name = left.attr if isinstance(left, ast.Attribute) else left.id if isinstance(left, ast.Name) else ""
                if name == "cache_root":
                    found.setdefault(node.right.value, f"{file.relative_to(REPO)}:{node.lineno}")
    return found


def test_the_cache_table_lists_every_cache_folder() -> None:
    documented = documented_cache_folders()
    assert documented, f"{KERNELS_MD.relative_to(REPO)} has no '| folder | holds |' table any more"
    undocumented = {name: where for name, where in code_cache_folders().items() if name not in documented}
    assert not undocumented, ("the code keeps folders in the cache that docs/kernels.md's table does not list: "
                              + ", ".join(f"{n}/ ({w})" for n, w in sorted(undocumented.items()))
                              + "\nfix: add a row for each to the table")


def test_every_cache_folder_of_the_table_is_in_the_code() -> None:
    strings: set[str] = set()
    for top in CODE_PATHS:
        path = REPO / top
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            strings.update(n.value for n in ast.walk(ast.parse(file.read_text()))
                           if isinstance(n, ast.Constant) and isinstance(n.value, str))
    gone = [f"{KERNELS_MD.relative_to(REPO)}:{line}: {name}/" for name, line in documented_cache_folders().items()
            if name not in strings]
    assert not gone, ("docs/kernels.md lists cache folders no code names:\n" + "\n".join(gone)
                      + "\nfix: remove or rename the row")


@pytest.mark.parametrize("text, expected", [
    ("tools/apt-packages.txt", "tools/apt-packages.txt"), ("module/", "module/"), ("./wgc", None),
    ("/lib/modules/VERSION/build", None), ("reports/ci/x/junit.xml", None), ("downloads/", None),
    ("module/crypto/*.c", "module/crypto/*.c"), ("invoke test", None), (".ci/run", ".ci/run"),
])
def test_what_counts_as_a_repository_path(text: str, expected: str | None) -> None:
    assert repo_path(text) == expected


# ---------------------------------------------------------------------------------------------
# docs/architecture.md: the layout and the compiler


ARCHITECTURE_MD = REPO / "docs" / "architecture.md"
UNDESCRIBED = {"README.md", ".gitignore"}  # the README is the entry point, .gitignore self-evident


def folder_rows() -> dict[str, str]:
    """The "| folder | owns |" table of docs/architecture.md: path -> what the row says."""
    rows: dict[str, str] = {}
    in_table = False
    for line in ARCHITECTURE_MD.read_text().splitlines():
        if re.match(r"\|\s*folder\s*\|\s*owns\s*\|", line):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            match = re.match(r"\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
            if match:
                rows[match.group(1)] = match.group(2)
    return rows


def test_the_folders_table_describes_the_whole_layout() -> None:
    rows = folder_rows()
    assert rows, f"{ARCHITECTURE_MD.relative_to(REPO)} has no '| folder | owns |' table any more"
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    tops = sorted({p.split("/", 1)[0] for p in tracked} - UNDESCRIBED)
    missing = [t for t in tops if not any(r.rstrip("/") == t or r.startswith(f"{t}/") for r in rows)]
    vmtests = sorted(p.name for p in (REPO / "vmtests").iterdir() if p.is_dir() and p.name != "__pycache__")
    missing += [f"vmtests/{d}/" for d in vmtests if f"vmtests/{d}/" not in rows]
    packages = sorted(p.name for p in (REPO / "wgcompat").iterdir() if (p / "__init__.py").is_file())
    wgcompat_row = rows.get("wgcompat/", "")
    missing += [f"wgcompat/{d}/ (in the wgcompat/ row)" for d in packages if f"`{d}/`" not in wgcompat_row]
    assert not missing, (f"{ARCHITECTURE_MD.relative_to(REPO)}'s folders table does not describe: "
                         + ", ".join(missing) + "\nfix: add a row (or a mention in the wgcompat/ row) for each")


def test_the_compiler_the_docs_name_is_the_one_the_harness_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    from wgcompat.kernel import build

    monkeypatch.setattr(build.shutil, "which", lambda name: f"/usr/bin/{name}")
    text = " ".join(ARCHITECTURE_MD.read_text().split())
    quoted = [f'{name}="{value}"' for name, _, value in (a.partition("=") for a in build.cc_args())]
    missing = [q for q in quoted if not re.search(r"(?<![\w])" + re.escape(q), text)]
    assert quoted and not missing, (f"{ARCHITECTURE_MD.relative_to(REPO)} (Contract 3) does not name the compiler "
                                    f"settings wgcompat.kernel.build.cc_args() passes: {', '.join(missing)}; "
                                    "fix: describe what cc_args() returns")
