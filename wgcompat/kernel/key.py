"""A kernel build's key without building it: the name of the cache entry that
``resolve_kernel`` would build or reuse for a selection (``kernels/<key>/``).

`invoke kernel --key` prints it; the GitHub Actions workflow restores and saves its
kernel builds and ccache under it, so a cached build is reused exactly when the harness
itself would reuse it. Finding it fetches the source (which the build needs anyway) to
learn which config fragments apply to the tree; nothing is configured or compiled.
"""

from __future__ import annotations

from wgcompat import matrix
from wgcompat.errors import UserError
from wgcompat import paths
from wgcompat.kernel import kconfig
from wgcompat.kernel.build import KernelBuildRequest, build_entry
from wgcompat.kernel.providers import default_providers, fetch_source, local_tree
from wgcompat.kernel.select import KernelSelection
from wgcompat.kernel.version import KernelVersion


def build_key(sel: KernelSelection) -> str:
    if sel.kernel_dir:
        raise UserError("--kernel-dir names a build tree the harness does not build, so it has no build key",
                        "use --kernel V or --kernel-src PATH with --key")
    if sel.kernel_src:
        source = local_tree(sel.kernel_src)
    else:
        m = matrix.load()
        source = fetch_source(KernelVersion.parse(sel.kernel or m.default), default_providers(m.debian_suites))
    # the fragments that apply to this tree, as build_kernel selects them
    symbols = kconfig.kconfig_symbols(source.path, cache_dir=paths.cache_root() / "kconfig-symbols")
    merged = kconfig.merge(kconfig.select_fragments(sel.flavour, symbols, arch=sel.arch))
    request = KernelBuildRequest(source=source, flavour=sel.flavour, jobs=sel.jobs, arch=sel.arch)
    return build_entry(request, merged).path.name
