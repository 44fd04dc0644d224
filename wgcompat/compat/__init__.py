"""compat.h generator: probe a kernel, cache the answers, render compat.h and compat.mk.

See docs/architecture.md (Contracts 1-3) and wgcompat/compat/probes/ for the catalogue.
"""

from wgcompat.compat.catalogue import Catalogue, Probe, ProbeKind, load_catalogue
from wgcompat.compat.cli import CliOptions, format_table, main, print_table, resolve_kernel_dir, run_cli
from wgcompat.compat.generator import CompatRequest, CompatResult, ProbeResult, cache_key, generate
from wgcompat.compat.runner import ControlProbeFailed
from wgcompat.compat.tree import KernelTree, KernelTreeError

__all__ = [
    "Catalogue",
    "CliOptions",
    "CompatRequest",
    "CompatResult",
    "ControlProbeFailed",
    "KernelTree",
    "KernelTreeError",
    "Probe",
    "ProbeKind",
    "ProbeResult",
    "cache_key",
    "format_table",
    "generate",
    "load_catalogue",
    "main",
    "print_table",
    "resolve_kernel_dir",
    "run_cli",
]
