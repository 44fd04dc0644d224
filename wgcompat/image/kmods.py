"""The modules a guest of a distribution kernel takes from that kernel's whole module tree.

Our test kernels build into themselves what the guest needs (kconfigs/base.config) and their
few modules all go into the overlay. A distribution kernel (Debian's, ~4,000 modules, 400 MB)
has most of it as modules: the overlay then takes only :data:`GUEST_MODULES` — the guest's
devices, the networking the suites use, the kernel's own WireGuard — with their dependency
closure read from the tree's ``modules.dep``, and lists them in :data:`BOOT_LIST` for the
guest's /init to load at boot (there is no udev to load device drivers on demand).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wgcompat.errors import UserError

# The guest's /init loads every module of this file (one name a line) before it sets up
# the network links.
BOOT_LIST = "etc/wgcompat/boot-modules"

# What base.config builds in, by module name (a name this kernel lacks, or builds in, is
# left out): the guest's devices, then networking and netfilter as the suites use it.
GUEST_MODULES: tuple[str, ...] = (
    # devices: virtio bus, NICs, the entropy source
    "virtio_pci", "virtio_net", "virtio_rng", "e1000",
    # links and tunnels
    "veth", "tun", "dummy", "vxlan",
    # socket diagnostics (ss)
    "inet_diag", "udp_diag",
    # conntrack, NAT, xtables matches and targets
    "nf_conntrack", "nf_nat", "x_tables", "xt_mark", "xt_connmark", "xt_nat", "xt_MASQUERADE",
    "xt_conntrack", "xt_comment", "xt_length", "xt_u32", "xt_addrtype",
    # nftables (iptables-nft)
    "nf_tables", "nft_compat", "nft_ct", "nft_nat", "nft_masq", "nft_chain_nat",
    # the legacy tables, IPv4 and IPv6
    "ip_tables", "iptable_filter", "iptable_mangle", "iptable_raw", "iptable_nat", "ipt_MASQUERADE",
    "ip6_tables", "ip6table_filter", "ip6table_mangle", "ip6table_raw", "ip6table_nat", "ip6t_MASQUERADE",
    # traffic control
    "sch_ingress", "cls_matchall", "act_mirred",
    # what our wireguard.ko links against (also in the reference's closure)
    "udp_tunnel", "ip6_udp_tunnel",
)
# Taken with its closure but not loaded at boot: the overlay moves it out of the module
# path (/lib/modules/reference/), and the tests load it on purpose.
REFERENCE = "wireguard"

_KO = re.compile(r"\.ko(\.xz|\.zst|\.gz)?$")


def module_name(path: str) -> str:
    """``kernel/net/ipv4/netfilter/iptable_nat.ko.xz`` -> ``iptable_nat`` (dashes as underscores,
    as the kernel and modprobe name modules)."""
    return _KO.sub("", path.rsplit("/", 1)[-1]).replace("-", "_")


@dataclass(frozen=True)
class ModuleTree:
    """The indexes depmod wrote for a module tree: what each module needs."""

    paths: dict[str, str]                 # module name -> its path in the tree
    depends: dict[str, list[str]]         # path -> paths it links against (modules.dep)
    softdeps: dict[str, list[str]]        # module name -> names it wants loaded with it (pre: and post:)
    aliases: dict[str, list[str]]         # alias -> module names (modules.alias, exact aliases only)

    @staticmethod
    def read(moddir: Path) -> ModuleTree:
        dep = moddir / "modules.dep"
        if not dep.is_file():
            raise UserError(f"{moddir} has no modules.dep, so the modules a guest needs cannot be chosen",
                            f"run `depmod -b <root> {moddir.name}` over the tree (the Debian kernel source does)")
        paths: dict[str, str] = {}
        depends: dict[str, list[str]] = {}
        for line in dep.read_text().splitlines():
            path, _, deps = line.partition(":")
            if path.strip():
                paths[module_name(path.strip())] = path.strip()
                depends[path.strip()] = deps.split()
        return ModuleTree(paths, depends, _softdeps(moddir / "modules.softdep"), _aliases(moddir / "modules.alias"))

    def resolve(self, name: str) -> list[str]:
        """The paths a name stands for: a module's own name, or the modules of an alias."""
        name = name.replace("-", "_")
        if name in self.paths:
            return [self.paths[name]]
        return [self.paths[m] for m in self.aliases.get(name, ()) if m in self.paths]

    def closure(self, names: Iterable[str]) -> list[str]:
        """The paths of ``names`` (those the tree has) and of everything they link against or
        name as soft dependencies (``libcrc32c`` wants the ``crc32c`` algorithm), sorted."""
        wanted: set[str] = set()
        pending = [path for name in names for path in self.resolve(name)]
        while pending:
            path = pending.pop()
            if path in wanted:
                continue
            wanted.add(path)
            pending.extend(self.depends.get(path, ()))
            for soft in self.softdeps.get(module_name(path), ()):
                pending.extend(self.resolve(soft))
        return sorted(wanted)

    def modules(self, names: Sequence[str]) -> list[str]:
        """The names of ``names`` this tree has as modules, in order: what the init loads."""
        return [n for n in (name.replace("-", "_") for name in names) if n in self.paths]


def _softdeps(path: Path) -> dict[str, list[str]]:
    """``softdep NAME pre: A B post: C`` lines."""
    out: dict[str, list[str]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) > 2 and words[0] == "softdep":
                out.setdefault(words[1].replace("-", "_"), []).extend(w for w in words[2:] if not w.endswith(":"))
    return out


def _aliases(path: Path) -> dict[str, list[str]]:
    """``alias ALIAS MODULE`` lines whose alias is a plain name (no wildcards)."""
    out: dict[str, list[str]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) == 3 and words[0] == "alias" and not any(c in words[1] for c in "*?["):
                out.setdefault(words[1].replace("-", "_"), []).append(words[2].replace("-", "_"))
    return out
