"""A writer for cpio "newc" archives, the format Linux unpacks as an initramfs.

Written in Python so that entries can be owned by root, device nodes can be
made without privileges, and host files can be placed at any guest path
without copying them into a staging tree first.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_TRAILER = "TRAILER!!!"


def _pad(n: int) -> bytes:
    return b"\0" * ((4 - n % 4) % 4)


class CpioWriter:
    """Append entries to a newc archive; ``close()`` writes the trailer."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._ino = 1000
        self._dirs: set[str] = set()

    def _header(self, name: str, mode: int, size: int, *, rdev: tuple[int, int] = (0, 0), mtime: int = 0) -> None:
        self._ino += 1
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, mtime, size,
                  0, 0, rdev[0], rdev[1], len(encoded), 0)
        head = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._out.write(head + encoded + _pad(len(head) + len(encoded)))

    @staticmethod
    def _clean(name: str) -> str:
        name = name.strip("/")
        if not name or ".." in name.split("/"):
            raise ValueError(f"bad archive path {name!r}")
        return name

    def directory(self, name: str, mode: int = 0o755) -> None:
        name = self._clean(name)
        if name in self._dirs:
            return
        self._dirs.add(name)
        self._header(name, stat.S_IFDIR | mode, 0)

    def parents(self, name: str) -> None:
        """Directory entries for every parent of ``name`` (the kernel does not create them)."""
        parts = self._clean(name).split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.directory("/".join(parts[:i]))

    def data(self, name: str, content: bytes, mode: int = 0o644) -> None:
        name = self._clean(name)
        self._header(name, stat.S_IFREG | mode, len(content))
        self._out.write(content + _pad(len(content)))

    def symlink(self, name: str, target: str) -> None:
        name = self._clean(name)
        raw = target.encode()
        self._header(name, stat.S_IFLNK | 0o777, len(raw))
        self._out.write(raw + _pad(len(raw)))

    def device(self, name: str, kind: str, major: int, minor: int, mode: int = 0o600) -> None:
        fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
        self._header(self._clean(name), fmt | mode, 0, rdev=(major, minor))

    def file(self, name: str, host: Path) -> None:
        """A regular file copied from the host (streamed)."""
        st = host.stat()
        name = self._clean(name)
        self._header(name, stat.S_IFREG | stat.S_IMODE(st.st_mode), st.st_size, mtime=int(st.st_mtime))
        with host.open("rb") as f:
            while chunk := f.read(1 << 20):
                self._out.write(chunk)
        self._out.write(_pad(st.st_size))

    def tree(self, prefix: str, root: Path) -> None:
        """Everything under ``root`` placed at ``prefix`` (sorted, symlinks kept as links)."""
        prefix = prefix.strip("/")
        if prefix:
            self.parents(prefix + "/x")
            self.directory(prefix, stat.S_IMODE(root.stat().st_mode))
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            base = prefix if rel == "." else f"{prefix}/{rel}".strip("/")
            for entry in sorted(dirnames) + sorted(filenames):
                host = Path(dirpath) / entry
                name = f"{base}/{entry}".strip("/")
                st = host.lstat()
                if stat.S_ISLNK(st.st_mode):
                    self.symlink(name, os.readlink(host))
                elif stat.S_ISDIR(st.st_mode):
                    self.directory(name, stat.S_IMODE(st.st_mode))
                elif stat.S_ISREG(st.st_mode):
                    self.file(name, host)
            # symlinked directories are not descended (os.walk default)

    def close(self) -> None:
        self._header(_TRAILER, 0, 0)
        # the kernel wants every archive of a concatenation to start 4-aligned;
        # pad to 512 like cpio(1) does
        pos = self._out.tell()
        self._out.write(b"\0" * ((512 - pos % 512) % 512))
