"""invoke entry points. Thin: parse options, call wgcompat, print results.

    invoke --list            every task
    invoke --help TASK       its options

Kernel options shared by kernel/compat/build/boot/test:
    --kernel V        a series (6.1) or an exact release (6.1.192); default from kernels.toml
    --kernel-src P    a local source tree instead of a provider
    --kernel-dir P    a configured build tree or installed headers (no kernel build)
    --config C        normal (default) or debug (KASAN, lockdep, kmemleak, ...)
    --arch A          x86_64 (default), arm64 or s390x: cross-built, booted under TCG
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from invoke import Exit, task

from wgcompat.errors import UserError

KERNEL_HELP = {
    "kernel": "series (6.1) or exact release (6.1.192); default: kernels.toml's default",
    "kernel_src": "path to a local kernel source tree (instead of --kernel)",
    "kernel_dir": "path to a configured kernel build tree or installed headers (instead of --kernel)",
    "config": "kernel flavour: normal, debug (KASAN, lockdep, kmemleak, ...) or signed (module signatures enforced)",
    "arch": "architecture to build the kernel for and boot: x86_64 (default), arm64 or s390x (cross-built, TCG)",
}
MODULE_HELP = {
    "crypto": "auto (the kernel's crypto library when it has one) or bundled (ours, always)",
    "debug_module": "build the module with WG_DEBUG=1 (self-tests at load, timer scaling)",
}
MODULE_SOURCE_HELP = {
    "module_source": "build (the harness builds the module, the default) or dkms (for --kernel debian:...: "
                     "the module DKMS builds from our .deb in a throwaway root of the kernel's suite)",
}


def user_errors(fn):
    """Print a UserError as one paragraph with its fix and exit non-zero, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            print(f"\nerror: {exc.cause}\nfix: {exc.fix}", file=sys.stderr)
            raise Exit(code=2) from None

    return wrapper


def _selection(kernel, kernel_src, kernel_dir, config, arch=None):
    from wgcompat.kernel.select import selection

    return selection(kernel, kernel_src, kernel_dir, config, arch)


@task(help={**KERNEL_HELP, "record": "also write the kernel build it resolved to this file, as JSON (CI's prebuilds)",
            "key": "print the build's cache key (its folder under <cache>/kernels/) without building"})
@user_errors
def kernel(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, record=None, key=False):
    """Fetch and build the test kernel (cached); print where it is (--key: its cache key, no build)."""
    import json

    from wgcompat.kernel.select import resolve_kernel

    if key:
        from wgcompat.kernel.key import build_key

        print(build_key(_selection(kernel, kernel_src, kernel_dir, config, arch)))
        return
    kb = resolve_kernel(_selection(kernel, kernel_src, kernel_dir, config, arch))
    if record:
        path = Path(record)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(kb.to_json(), indent=2) + "\n")
        tmp.rename(path)
    print(kb.image or kb.build_dir)


@task(help={**KERNEL_HELP, "output": "folder to write compat.h and compat.mk into (default: a cache folder)",
            "crypto": MODULE_HELP["crypto"]})
@user_errors
def compat(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, output=None, crypto="auto"):
    """Probe the kernel and generate compat.h; print the probe table and the path."""
    from wgcompat import paths
    from wgcompat.module_build import generate_compat
    from wgcompat.kernel.select import resolve_kernel

    kb = resolve_kernel(_selection(kernel, kernel_src, kernel_dir, config, arch))
    out = Path(output) if output else paths.cache_root() / "compat-out" / kb.build_dir.name
    out.mkdir(parents=True, exist_ok=True)
    result = generate_compat(kb, out, crypto)
    from wgcompat.compat import print_table  # type: ignore[attr-defined]

    print_table(result)
    print(result.compat_h)


@task(help={**KERNEL_HELP, **MODULE_HELP, "strict": "fail on any compiler warning",
            "sign": "KEY,CERT: also sign the module with the kernel's sign-file; prints the signed copy's path"})
@user_errors
def build(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, crypto="auto", debug_module=False,
          strict=False, sign=None):
    """Kernel (or headers) + compat.h + module; print the path of wireguard.ko."""
    from wgcompat.module_build import ModuleBuildRequest, build_module
    from wgcompat.kernel.select import resolve_kernel
    from wgcompat.progress import say
    from wgcompat.signing import parse_sign_option, sign_module

    signer = parse_sign_option(sign) if sign else None  # bad input fails before any build
    kb = resolve_kernel(_selection(kernel, kernel_src, kernel_dir, config, arch))
    mb = build_module(ModuleBuildRequest(kb, crypto=crypto, debug=debug_module, strict=strict), progress=say)
    if mb.warnings:
        say(f"{len(mb.warnings)} compiler warning(s) in the module; see {mb.log}")
    if mb.header_warnings:
        say(f"{len(mb.header_warnings)} W=1 warning(s) inside the kernel's own headers (not the module's); "
            f"see {mb.log}")
    print(sign_module(kb.build_dir, mb.ko, signer) if signer else mb.ko)


@task(iterable=["put"], help={**KERNEL_HELP, **MODULE_HELP, **MODULE_SOURCE_HELP,
                              "exec": "run this one command in the guest, print its output, exit with its status",
                              "put": "HOST:GUEST, copy a file or folder into the guest first (repeatable)",
                              "no_module": "boot without building or loading our module"})
@user_errors
def boot(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, crypto="auto", debug_module=False,
         exec=None, put=None, no_module=False, module_source="build"):
    """Boot the kernel in QEMU with the module loaded: an interactive console, or --exec CMD."""
    from wgcompat.session import boot_session

    status = boot_session(_selection(kernel, kernel_src, kernel_dir, config, arch), crypto=crypto,
                          debug_module=debug_module, command=exec, put=put or [], with_module=not no_module,
                          module_source=module_source)
    if status:
        raise Exit(code=status)


@task(help={**KERNEL_HELP, **MODULE_HELP, **MODULE_SOURCE_HELP, "k": "only tests matching this pytest -k expression",
            "junit": "write JUnit XML here (default: reports/<kernel>/junit.xml)"})
@user_errors
def test(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, crypto="auto", debug_module=False, k=None,
         junit=None, module_source="build"):
    """Run the VM test suites (vmtests/) for one kernel, on the release build of the module
    (--debug-module: the WG_DEBUG build, whose self-tests then show as tests of their own;
    --module-source dkms: the module DKMS builds from our .deb, for one of Debian's kernels)."""
    from wgcompat.session import run_vmtests

    sel = _selection(kernel, kernel_src, kernel_dir, config, arch)
    raise Exit(code=run_vmtests(sel, crypto=crypto, keyword=k, junit=Path(junit) if junit else None,
                                debug_module=debug_module, module_source=module_source))


@task(help={"config": KERNEL_HELP["config"] + " (the cells of that flavour)",
            "crypto": MODULE_HELP["crypto"] + " (the cells of that crypto mode)",
            "debug_module": MODULE_HELP["debug_module"],
            "kernels": "comma-separated kernels instead of kernels.toml's (any series or release)",
            "cells": "quick (the push/pull-request subset) or full (every cell of kernels.toml), "
                     "instead of --config/--crypto",
            "k": "only tests matching this pytest -k expression",
            "require_all": "fail when a cell's kernel is not available here (no provider has it)",
            "plan": "print each cell's commands (what its CI job runs) and run nothing",
            "arch": "only the cells of this architecture (default: every architecture of each kernel; "
                    "with --kernels: x86_64)"})
@user_errors
def matrix(c, config="normal", crypto="auto", debug_module=False, kernels=None, cells=None, k=None,
           require_all=False, plan=False, arch=None):
    """Every cell of kernels.toml's matrix (kernel x flavour x crypto): build, boot, test; a summary
    table at the end. A cell whose kernel no provider has here is reported, not failed."""
    from wgcompat import matrix as matrix_data
    from wgcompat import report

    chosen = [x.strip() for x in kernels.split(",")] if kernels else None
    selected = matrix_data.cells(matrix_data.load(), cells, config, crypto, chosen, arch)
    if plan:
        report.print_plan(selected)
        return
    label = report.matrix_label(cells, config, crypto, debug_module)
    raise Exit(code=report.run_matrix(selected, label, keyword=k, debug_module=debug_module,
                                      require_all=require_all))


@task(help={**KERNEL_HELP, "crypto": MODULE_HELP["crypto"]})
@user_errors
def smoke(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, crypto="auto"):
    """The main job: fetch + build the kernel, build the module, boot, load it, smoke-check, show artefacts."""
    from wgcompat.session import smoke as run_smoke

    raise Exit(code=run_smoke(_selection(kernel, kernel_src, kernel_dir, config, arch), crypto=crypto))


@task(help={"all": "also remove downloads, extracted sources and ccache",
            "stale": "only superseded or unfinished kernel and module builds",
            "dry-run": "with --stale: list what would go and why, remove nothing"})
@user_errors
def clean(c, all=False, stale=False, dry_run=False):
    """Remove build outputs (kernels, modules, initramfs, logs); keep downloads unless --all.
    With --stale only superseded and unfinished kernel and module builds (--dry-run: list them)."""
    import shutil

    from wgcompat import cache_gc

    if stale:
        removed = cache_gc.remove_stale(dry_run=dry_run)
        for entry, size in removed:
            print(f"{'would remove' if dry_run else 'removed'} {entry.path} ({size / 2**20:.0f} MiB): {entry.why}")
        total = sum(size for _, size in removed) / 2**30
        print(f"{len(removed)} stale builds, {total:.1f} GiB{' (dry run)' if dry_run else ''}")
        return
    for d in cache_gc.everything(downloads_too=all):
        print(f"removing {d}")
        shutil.rmtree(d)


@task(help={"k": "only tests matching this pytest -k expression"})
def unit(c, k=None):
    """The harness's own fast tests (no VM): tests/."""
    args = [sys.executable, "-m", "pytest", "-q", "tests"]
    if k:
        args += ["-k", k]
    raise Exit(code=os.spawnv(os.P_WAIT, sys.executable, args))


@task
@user_errors
def ci(c):
    """Everything CI checks: unit tests, then the VM tests on the default kernel (what .ci/run runs)."""
    from wgcompat.run.ci import run_ci

    raise Exit(code=run_ci())


@task(name="bench-crypto", help={
    "arch": "build for this architecture and time it under qemu-user (arm64: portable against "
            "neon; emulated, so relative figures only); default: this machine, against libsodium"})
def bench_crypto(c, arch=None):
    """Bundled crypto against libsodium (pynacl), side by side in one run."""
    from wgcompat.bench.crypto import main  # type: ignore[import-not-found]

    raise Exit(code=main(["--arch", arch] if arch else []))


@task(help={**KERNEL_HELP, "crypto": MODULE_HELP["crypto"], "seconds": "iperf3 duration per run",
            "rounds": "how many times each implementation runs (interleaved)",
            "only": "comma-separated subset of: ours, reference, wireguard-go, none",
            "handshakes": "also time this many simultaneous handshakes (ours vs in-tree); 0 to skip",
            "small_packets": "also count 64-byte UDP datagrams per second (default on; --no-small-packets)",
            "setconf_peers": "also time `wg setconf` of this many peers (ours vs in-tree); 0 to skip",
            "setconf_ips": "allowed IPs per peer of the setconf benchmark"})
@user_errors
def bench(c, kernel=None, kernel_src=None, kernel_dir=None, config="normal", arch=None, crypto="auto", seconds=10,
          rounds=2,
          only=None, handshakes=100, small_packets=True, setconf_peers=1000, setconf_ips=16):
    """Ours vs the kernel's own WireGuard vs wireguard-go in one guest, as ratios: TCP throughput,
    64-byte UDP packets/s, handshakes/s, a large `wg setconf`."""
    from wgcompat.bench.tunnel import IMPLEMENTATIONS, print_table, run

    chosen = tuple(x.strip() for x in only.split(",")) if only else IMPLEMENTATIONS
    results = run(_selection(kernel, kernel_src, kernel_dir, config, arch), crypto=crypto, seconds=int(seconds),
                  rounds=int(rounds), implementations=chosen, handshakes=int(handshakes),
                  small_packets=bool(small_packets), setconf_peers=int(setconf_peers),
                  setconf_ips=int(setconf_ips))
    print_table(results)


@task(help={"out": "folder for the .deb, the tarball and its .sha256 (default: dist/)",
            "maintainer": "the .deb's Maintainer, 'Name <address>' (default: the author of HEAD)"})
@user_errors
def package(c, out=None, maintainer=None):
    """Build wgcompat-dkms_<version>_all.deb and wgcompat-<version>.tar.gz (+ .sha256) from HEAD."""
    from wgcompat.package.build import PackageRequest, package as build_package

    request = PackageRequest(maintainer=maintainer) if out is None else PackageRequest(Path(out), maintainer)
    result = build_package(request)
    print(f"version {result.version} ({result.source})")
    print(f"deb:     {result.deb}")
    print(f"tarball: {result.tarball}")
    print(f"sha256:  {result.sha256}  ({result.sha256_file})")
