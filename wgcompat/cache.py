"""The build caches' common machinery: the input key, the lock and the completion marker.

Three caches use it, each folder of its own under the cache root: kernel builds
(``kernels/``, wgcompat.kernel.build), compat probe answers (``compat/``,
wgcompat.compat.generator) and module builds (``modules/``, wgcompat.module_build).

- **Key.** An entry's folder is named by an :class:`InputKey`: a hash of every input of
  the build, each given a name — texts, files, folders of sources, the contents of a
  local source tree (:func:`tree_key`) and the producing code itself (the Python source
  of the modules that build the entry), so editing the harness invalidates what it built
  without a version number to remember to bump. Changed inputs give a new folder; an
  entry is never rebuilt in place once complete.
- **Marker.** ``<entry>/wgcompat-complete.json`` is written last, atomically (a rename):
  it holds the build's result and the digest of each named input. A folder without it is
  unfinished (interrupted or failed) and is wiped and built again. Reuse touches it, so
  its modification time is the entry's last use (``invoke clean --stale`` reads it).
- **Lock.** ``<entry>.lock`` beside the folder: one process builds an entry at a time;
  another either waits and then reuses the result, or gets a clear error (long builds).
  A complete entry is read without the lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from wgcompat.errors import UserError

MARKER = "wgcompat-complete.json"
MISSING = "missing"  # the digest recorded for an input file that does not exist

Progress = Callable[[str], None]


# --------------------------------------------------------------------------
# the key


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_digest(root: Path, exclude: Sequence[str] = ()) -> str:
    """A hash of the relative path and contents of every file under ``root``, leaving out
    files with a path component matching one of the ``exclude`` glob patterns."""
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(fnmatch(part, pattern) for part in rel.parts for pattern in exclude):
            continue
        sha.update(rel.as_posix().encode() + b"\0" + _sha(path.read_bytes()).encode() + b"\0")
    return sha.hexdigest()


def code_files(module: str) -> dict[str, Path]:
    """The Python source of an importable module, or of every module of a package, by
    path relative to the package's folder (a module: its file name)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"{module} is not an importable module")
    if spec.submodule_search_locations:
        return {path.relative_to(top).as_posix(): path
                for top in map(Path, spec.submodule_search_locations) for path in sorted(top.rglob("*.py"))}
    return {Path(spec.origin).name: Path(spec.origin)}


class InputKey:
    """A sha256 over named inputs, in the order they are given.

    Each input is reduced to a digest of its own first (a sha256; for a source tree its
    :func:`tree_key`), which :attr:`inputs` keeps by name: the marker records them, so two
    entries' markers show which input differs."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.inputs: dict[str, str] = {}

    def _part(self, name: str, digest: str) -> InputKey:
        if name in self.inputs:
            raise ValueError(f"the input {name!r} is given twice")
        self.inputs[name] = digest
        self._sha.update(f"{name}\0{digest}\0".encode())
        return self

    def add(self, name: str, value: str | bytes) -> InputKey:
        """A text or bytes value."""
        return self._part(name, _sha(value.encode() if isinstance(value, str) else value))

    def file(self, name: str, path: Path) -> InputKey:
        """A file's contents; a missing file counts as an input of its own (``MISSING``)."""
        try:
            return self._part(name, _sha(path.read_bytes()))
        except (FileNotFoundError, NotADirectoryError):
            return self._part(name, MISSING)

    def folder(self, name: str, root: Path, exclude: Sequence[str] = ()) -> InputKey:
        """Every file of a folder of sources (see :func:`folder_digest`)."""
        return self._part(name, folder_digest(root, exclude))

    def code(self, *modules: str) -> InputKey:
        """The producing code: the source files of each named module or package."""
        for module in modules:
            sha = hashlib.sha256()
            for rel, path in code_files(module).items():
                sha.update(rel.encode() + b"\0" + _sha(path.read_bytes()).encode() + b"\0")
            self._part(f"code {module}", sha.hexdigest())
        return self

    def tree(self, name: str, root: Path) -> InputKey:
        """The contents of a local source tree (see :func:`tree_key`)."""
        return self._part(name, tree_key(root))

    def hexdigest(self, length: int = 64) -> str:
        """The key, or its first ``length`` hex digits (folder names)."""
        return self._sha.hexdigest()[:length]


def compiler_id(cc: str) -> str:
    """What names a compiler in a key: the first line of ``<cc> --version``. A compiler that
    does not answer gets a name of its own; the build then says what is wrong with it."""
    try:
        out = subprocess.run([*cc.split(), "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"{cc}: no answer to --version"
    return out.splitlines()[0] if out else cc


# --------------------------------------------------------------------------
# the contents of a local source tree


def tree_key(root: Path) -> str:
    """A key of what a source tree holds, without reading a whole kernel's files.

    A git checkout (``root`` tracked in HEAD): HEAD's tree object for ``root``, the hash of
    ``git diff HEAD --binary`` (every uncommitted change to a tracked file, staged or not)
    and a manifest of the untracked, not ignored files. Any other folder: a manifest of
    every file (see :func:`_manifest`); ``.git`` folders are left out of it."""
    return _git_tree_key(root) or "manifest " + _sha(_manifest(root, _walk(root)))


def _git(root: Path, *args: str) -> bytes | None:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read only: never rewrite the user's index
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, env=env, check=False)
    except OSError:
        return None
    return proc.stdout if proc.returncode == 0 else None


def _git_tree_key(root: Path) -> str | None:
    """The git form of :func:`tree_key`, or None when ``root`` is not a tracked folder of a
    git checkout (or git is missing or refuses the repository)."""
    tree = _git(root, "rev-parse", "--verify", "--quiet", "HEAD:./")
    if tree is None:
        return None
    diff = _git(root, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--no-textconv",
                "--no-renames", "--", ".")
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    if diff is None or untracked is None:
        return None
    names = [os.fsdecode(n) for n in untracked.split(b"\0") if n]
    return f"git {tree.decode().strip()} {_sha(diff)} {_sha(_manifest(root, names))}"


def _walk(root: Path) -> list[str]:
    """Every file and symlink under ``root`` (relative paths; ``.git`` folders left out)."""
    found: list[str] = []
    pending = [""]
    while pending:
        rel = pending.pop()
        with os.scandir(root / rel if rel else root) as entries:
            for entry in entries:
                path = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        pending.append(path)
                else:
                    found.append(path)
    return found


def _manifest(root: Path, names: Sequence[str]) -> bytes:
    """One line per file: relative path, mode, size and modification time (ns), or a
    symlink's target. Contents are not read: on a kernel tree (80k files) this costs a
    second or two of stat() calls. Only an edit that keeps a file's size and lands within
    the file system's timestamp granularity (a few ms) of the previous write goes unseen."""
    lines: list[str] = []
    for name in sorted(names):
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
            link = stat.S_ISLNK(st.st_mode)
            detail = f"-> {os.readlink(path)}" if link else f"{st.st_mode:o} {st.st_size} {st.st_mtime_ns}"
        except OSError:
            detail = MISSING  # removed while we looked
        lines.append(f"{name}\0{detail}")
    return "\n".join(lines).encode(errors="surrogateescape")


# --------------------------------------------------------------------------
# the lock


def lock_path(folder: Path) -> Path:
    """The lock file of an entry: beside its folder, ``<folder>.lock``."""
    return folder.with_name(folder.name + ".lock")


@contextmanager
def build_lock(lock: Path, what: str, wait: bool = False) -> Iterator[None]:
    """An exclusive lock. Without ``wait`` a second process gets a clear error instead of
    waiting for a long build; with it (short builds) the second process waits its turn."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise UserError(f"another wgcompat process (pid {holder}) is building {what} right now",
                            "wait for it to finish and run the command again (the result will then be "
                            f"reused), or stop that process; the lock is {lock}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def locked(folder: Path) -> bool:
    """Does a process hold this entry's lock right now?"""
    lock = lock_path(folder)
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we got
    return False


# --------------------------------------------------------------------------
# entries and the marker


@dataclass(frozen=True)
class Entry:
    """One cache entry: its folder, named by (a digest of) the key whose inputs it keeps."""

    path: Path
    inputs: dict[str, str]

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    def load(self) -> dict[str, Any] | None:
        """The result a complete entry stored, or None; touches the marker (last use)."""
        try:
            data = json.loads(self.marker.read_text())
            self.marker.touch()
        except (OSError, ValueError):
            return None
        return data["result"] if isinstance(data, dict) and isinstance(data.get("result"), dict) else None

    def complete(self, result: dict[str, Any]) -> None:
        """Write the marker: the entry is complete from this rename on."""
        tmp = self.path / f".{MARKER}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"result": result, "inputs": self.inputs}, indent=1))
        tmp.rename(self.marker)


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    cached: bool


def obtain(entry: Entry, what: str, build: Callable[[Path], dict[str, Any]], wait: bool,
           progress: Progress = lambda _: None) -> Outcome:
    """The entry's result: reused when it is complete; otherwise built, under its lock, by
    ``build(folder)`` into an empty folder (an unfinished one is wiped first) and marked
    complete with what ``build`` returns. When ``build`` raises, the folder stays without
    its marker (its logs can be read) and the next call builds it again."""
    found = entry.load()
    if found is not None:
        return Outcome(found, cached=True)
    with build_lock(lock_path(entry.path), what, wait=wait):
        found = entry.load()  # built by the process we waited for
        if found is not None:
            return Outcome(found, cached=True)
        if entry.path.exists():
            progress(f"removing the unfinished build in {entry.path}")
            shutil.rmtree(entry.path)
        entry.path.mkdir(parents=True)
        result = build(entry.path)
        entry.complete(result)
        return Outcome(result, cached=False)
