"""A run planned once: a request resolved into pinned artefacts, written as a small JSON file.

    RunRequest     which kernel (--kernel/--kernel-src/--kernel-dir, flavour), which crypto,
                   the release or the WG_DEBUG module build, and who builds it (--module-source)
      plan_run()   stage "kernel": select, fetch, configure, build (or open a build tree)
                   stage "module": compat.h for that kernel, then Kbuild (--module-source build);
                   or, for one of Debian's kernels, our .deb installed in a throwaway root of
                   the kernel's suite, where DKMS builds it (--module-source dkms,
                   wgcompat.package.dkms_build)
      PlannedRun   the stage results, and the Artefacts when every stage passed
    Artefacts      the KernelBuild and ModuleBuild, pinned: `invoke test`, `invoke matrix`
                   and CI write them to the run's report folder (artefacts.json) and pass
                   the file to pytest (--artefacts), which loads it and resolves nothing.

So the kernel is resolved (its providers asked, its release chosen) once per run, and
every guest of the run boots exactly the kernel and module the plan chose.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.debian_prebuilt import EXAMPLES as DEBIAN_EXAMPLES
from wgcompat.kernel.debian_prebuilt import is_prebuilt
from wgcompat.kernel.select import KernelSelection, resolve_kernel
from wgcompat.module_build import ModuleBuild, ModuleBuildRequest, build_module
from wgcompat.package.dkms_build import DkmsModuleRequest, dkms_module
from wgcompat.progress import say
from wgcompat.run.stages import StageResult, Status, run_stage

FILE_NAME = "artefacts.json"
FORMAT = 1  # bump when the file's layout changes: an old file is then refused, not misread


# --module-source: who builds the wireguard.ko a run tests
MODULE_SOURCES = {
    "build": "the harness builds it from module/ with Kbuild, the default",
    "dkms": "DKMS builds it from our .deb (what invoke package writes) in a throwaway root of the kernel's "
            "own Debian suite, for Debian's kernels only",
}


@dataclass(frozen=True)
class RunRequest:
    selection: KernelSelection
    crypto: str = "auto"
    debug_module: bool = False  # the WG_DEBUG build instead of the release build
    module_source: str = "build"  # a key of MODULE_SOURCES

    def __post_init__(self) -> None:
        check_module_source(self)

    def to_json(self) -> dict[str, object]:
        sel = self.selection
        return {"kernel": sel.kernel, "kernel_src": str(sel.kernel_src) if sel.kernel_src else None,
                "kernel_dir": str(sel.kernel_dir) if sel.kernel_dir else None, "flavour": sel.flavour,
                "crypto": self.crypto, "debug_module": self.debug_module, "module_source": self.module_source,
                "arch": sel.arch}

    @staticmethod
    def from_json(data: dict[str, object]) -> RunRequest:
        def path(key: str) -> Path | None:
            value = data.get(key)
            return Path(str(value)) if value else None

        kernel = data.get("kernel")
        sel = KernelSelection(kernel=str(kernel) if kernel else None, kernel_src=path("kernel_src"),
                              kernel_dir=path("kernel_dir"), flavour=str(data["flavour"]),
                              arch=str(data.get("arch", "x86_64")))
        return RunRequest(sel, crypto=str(data["crypto"]), debug_module=bool(data["debug_module"]),
                          module_source=str(data.get("module_source", "build")))


def _kernel_named(sel: KernelSelection) -> str:
    if sel.kernel_src:
        return f"--kernel-src {sel.kernel_src}"
    if sel.kernel_dir:
        return f"--kernel-dir {sel.kernel_dir}"
    return f"--kernel {sel.kernel}" if sel.kernel else "the default kernel (kernels.toml's, built by the harness)"


def check_module_source(request: RunRequest) -> None:
    """--module-source is a choice, and dkms asks for nothing DKMS cannot give: one of Debian's
    kernels (the root is its suite, the headers its own), the package's build (compat
    chooses the crypto, no WG_DEBUG). A UserError with the cause and the fix otherwise."""
    source = request.module_source
    if source not in MODULE_SOURCES:
        raise UserError(f"--module-source {source} is not a choice",
                        "use " + "; or ".join(f"--module-source {k}: {v}" for k, v in MODULE_SOURCES.items()))
    if source != "dkms":
        return
    drop = "or drop --module-source dkms to test the module the harness builds"
    if not is_prebuilt(request.selection.kernel):
        raise UserError(f"--module-source dkms tests the module DKMS builds from our .deb in a root of the "
                        f"kernel's own Debian suite, against that kernel's Debian headers; "
                        f"{_kernel_named(request.selection)} is not one of Debian's kernels",
                        f"name one: --kernel debian:<series> ({DEBIAN_EXAMPLES}, debian:5.10), {drop}")
    chosen = [opt for opt, given in (("--crypto " + request.crypto, request.crypto != "auto"),
                                     ("--debug-module", request.debug_module)) if given]
    if chosen:
        raise UserError(f"{' and '.join(chosen)} with --module-source dkms: DKMS builds the module as the package "
                        "does (the release build, the crypto compat chooses), so the harness cannot choose",
                        f"drop {' and '.join(chosen)}, {drop}")


@dataclass(frozen=True)
class Artefacts:
    """What a run tests: the kernel and the module, as the plan chose and built them."""

    request: RunRequest
    kernel: KernelBuild
    module: ModuleBuild

    def write(self, path: Path, stages: tuple[StageResult, ...] = ()) -> Path:
        """``path``, written whole or not at all (a temporary file renamed into place)."""
        data = {"format": FORMAT, "request": self.request.to_json(), "kernel": self.kernel.to_json(),
                "module": self.module.to_json(), "stages": [s.to_json() for s in stages]}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.rename(path)
        return path

    @staticmethod
    def read(path: Path) -> Artefacts:
        """The artefacts a plan wrote to ``path``; a UserError naming what is wrong when the file
        is missing, from another format, or names a kernel or module that is no longer there."""
        again = "plan the run again: `invoke test` (or `invoke matrix`, `./wgc ci`) writes a new one"
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise UserError(f"cannot read the run's artefacts file {path}: {exc.strerror}", again) from exc
        except ValueError as exc:
            raise UserError(f"{path} is not an artefacts file (not JSON: {exc})", again) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UserError(f"{path} is an artefacts file of another format "
                            f"({data.get('format') if isinstance(data, dict) else '?'}, this harness reads {FORMAT})",
                            again)
        try:
            artefacts = Artefacts(RunRequest.from_json(data["request"]), KernelBuild.from_json(data["kernel"]),
                                  ModuleBuild.from_json(data["module"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path} lacks {exc} (a damaged artefacts file)", again) from exc
        gone = [str(p) for p in (artefacts.kernel.build_dir, artefacts.kernel.image, artefacts.module.ko)
                if p is not None and not p.exists()]
        if gone:
            raise UserError(f"{path} names builds that are no longer there: {', '.join(gone)} "
                            "(`invoke clean` since the plan?)", again)
        return artefacts


@dataclass(frozen=True)
class PlannedRun:
    stages: tuple[StageResult, ...]
    artefacts: Artefacts | None  # None when a stage failed

    @property
    def failed(self) -> StageResult | None:
        return next((s for s in self.stages if s.status is Status.FAILED), None)

    def require(self) -> Artefacts:
        """The artefacts, or the failing stage's own UserError (its cause and fix)."""
        failed = self.failed
        if failed is not None and failed.error is not None:
            raise failed.error
        assert self.artefacts is not None
        return self.artefacts

    def write(self, path: Path) -> Path:
        return self.require().write(path, self.stages)


def plan_run(request: RunRequest, kernel: KernelBuild | None = None) -> PlannedRun:
    """Resolve ``request`` into artefacts, one stage after the other, stopping at the first
    failure. ``kernel``, when given, is a kernel already resolved for this request (CI's
    ahead-of-time builds): the kernel stage takes it as it is instead of resolving again."""
    if kernel is not None:
        kernel_stage: StageResult[KernelBuild] = StageResult("kernel", Status.CACHED, 0.0, value=kernel,
                                                             log=kernel.log)
    else:
        kernel_stage = run_stage("kernel", lambda: resolve_kernel(request.selection),
                                 cached=lambda kb: kb.cached, log=lambda kb: kb.log)
    if kernel_stage.value is None:
        return PlannedRun((kernel_stage,), None)
    kb = kernel_stage.value

    def module() -> ModuleBuild:
        if request.module_source == "dkms":
            return dkms_module(DkmsModuleRequest(kb), progress=say)
        return build_module(ModuleBuildRequest(kb, crypto=request.crypto, debug=request.debug_module), progress=say)

    module_stage = run_stage("module", module, cached=lambda mb: mb.cached, log=lambda mb: mb.log)
    if module_stage.value is None:
        return PlannedRun((kernel_stage, module_stage), None)
    return PlannedRun((kernel_stage, module_stage), Artefacts(request, kb, module_stage.value))
