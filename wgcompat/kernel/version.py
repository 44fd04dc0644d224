"""Kernel versions as the user writes them: a series (6.1) or an exact release (6.1.192)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wgcompat.errors import UserError

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True, order=True)
class KernelVersion:
    """A parsed --kernel value. ``patch`` is None for a series."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def is_series(self) -> bool:
        return self.patch is None

    def __str__(self) -> str:
        return self.series if self.patch is None else f"{self.series}.{self.patch}"

    def matches(self, release: str) -> bool:
        """Whether an upstream release string (6.1.192, 6.1) belongs to this request."""
        other = KernelVersion.parse(release)
        if self.is_series:
            return (other.major, other.minor) == (self.major, self.minor)
        return other == self or (other.patch is None and self.patch == 0 and other.series == self.series)

    @staticmethod
    def parse(text: str) -> "KernelVersion":
        m = _VERSION.match(text.strip())
        if not m:
            raise UserError(
                f"'{text}' is not a kernel version",
                "write a series such as 6.1 or an exact release such as 6.1.192 "
                "(or use --kernel-src PATH / --kernel-dir PATH for a tree you have)",
            )
        major, minor, patch = int(m.group(1)), int(m.group(2)), m.group(3)
        if major < 2 or major > 99:
            raise UserError(f"'{text}' is not a Linux kernel version (major {major})",
                            "Linux versions look like 5.10, 6.1 or 6.1.192")
        return KernelVersion(major, minor, int(patch) if patch is not None else None)


def upstream_from_debian(debian_version: str) -> str:
    """Debian's package version to the upstream release: 6.1.192-2 -> 6.1.192, 7.2~rc3-1~exp1 -> 7.2-rc3."""
    up = debian_version.split(":", 1)[-1].rsplit("-", 1)[0]
    return up.replace("~", "-")


def sort_key(release: str) -> tuple[int, ...]:
    """Order releases numerically; a -rc sorts before its release."""
    main, _, rc = release.partition("-")
    nums = tuple(int(x) for x in main.split(".") if x.isdigit())
    rcnum = int(rc[2:]) if rc.startswith("rc") and rc[2:].isdigit() else None
    return nums + ((0, rcnum) if rcnum is not None else (1, 0))
