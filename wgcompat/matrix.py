"""The kernel matrix, read from kernels.toml at the repository root."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.paths import REPO

MATRIX_FILE = REPO / "kernels.toml"


@dataclass(frozen=True)
class Matrix:
    default: str
    kernels: tuple[str, ...]
    debian_suites: dict[str, str] = field(default_factory=dict)


def load(path: Path = MATRIX_FILE) -> Matrix:
    try:
        data = tomllib.loads(path.read_text())
        return Matrix(
            default=str(data["default"]),
            kernels=tuple(str(k) for k in data["matrix"]),
            debian_suites={str(k): str(v) for k, v in data.get("debian_suites", {}).items()},
        )
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read the kernel matrix {path}: {exc}",
                        "restore kernels.toml from git (it needs 'default' and 'matrix')") from exc
