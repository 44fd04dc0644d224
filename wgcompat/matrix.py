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
    # the kernels `.ci/run` boots, a subset of ``kernels`` (default: all of them)
    ci_kernels: tuple[str, ...] = ()


def load(path: Path = MATRIX_FILE) -> Matrix:
    try:
        data = tomllib.loads(path.read_text())
        kernels = tuple(str(k) for k in data["matrix"])
        ci = tuple(str(k) for k in data.get("ci", kernels))
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read the kernel matrix {path}: {exc}",
                        "restore kernels.toml from git (it needs 'default' and 'matrix')") from exc
    default = str(data["default"])
    outside = [k for k in (default, *ci) if k not in kernels]
    if outside:
        raise UserError(f"{path}: {', '.join(outside)} in 'default' or 'ci' but not in 'matrix'",
                        "every kernel CI boots must be one of the matrix's; add it to 'matrix' or drop it")
    return Matrix(default=default, kernels=kernels,
                  debian_suites={str(k): str(v) for k, v in data.get("debian_suites", {}).items()},
                  ci_kernels=ci)
