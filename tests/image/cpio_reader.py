"""Read cpio newc archives (also concatenated ones, as the kernel does) for the tests."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    name: str
    mode: int
    data: bytes
    rdev: tuple[int, int]

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)


def read(path: Path) -> list[Entry]:
    buf = path.read_bytes()
    out: list[Entry] = []
    pos = 0
    while pos < len(buf):
        if buf[pos] == 0:
            pos += 1
            continue
        assert pos % 4 == 0, f"archive member at unaligned offset {pos}"
        assert buf[pos:pos + 6] == b"070701", f"bad magic at {pos}"
        fields = [int(buf[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = fields[1], fields[6], fields[9], fields[10], fields[11]
        name_start = pos + 110
        name = buf[name_start:name_start + namesize - 1].decode()
        data_start = (name_start + namesize + 3) & ~3
        data = buf[data_start:data_start + size]
        pos = (data_start + size + 3) & ~3
        if name != "TRAILER!!!":
            out.append(Entry(name, mode, data, (rmaj, rmin)))
    return out


def as_dict(path: Path) -> dict[str, Entry]:
    """Later entries win, as when the kernel unpacks an overlay over a base."""
    return {e.name: e for e in read(path)}
