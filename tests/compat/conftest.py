"""Fixtures for the compat generator tests: fake kernel trees that need no kernel sources."""

from __future__ import annotations

from pathlib import Path

import pytest

FAKE_MAKEFILE = """\
# A stand-in for a kernel build directory: compiles each requested object from $(M)/<name>.c
# with $(CC) (the generator passes its wrapper), against the stub headers in include/.
KDIR := $(CURDIR)
%.o:
\t$(CC) -nostdinc -Werror=implicit-function-declaration -c -o $(M)/$@ $(M)/$*.c -I$(KDIR)/include
"""

HEALTHY_HEADERS = {
    # what control.c includes
    "linux/module.h": "",
    "linux/netdevice.h": "struct net_device { int mtu; };\n",
    "linux/skbuff.h": "",
    "net/udp_tunnel.h": "",
    "net/genetlink.h": "",
    # a kernel where kfree_sensitive exists and timer_container_of does not
    "linux/slab.h": "void kfree_sensitive(const void *p);\n",
    "linux/timer.h": "struct timer_list { int x; };\n",
}


def make_fake_tree(
    root: Path,
    headers: dict[str, str],
    release: str = "9.9.9-fake",
    config: str = "CONFIG_IPV6=y\nCONFIG_CRYPTO_LIB_UTILS=m\n# CONFIG_KASAN is not set\n",
    symvers: str = "0x1\tgenl_register_family\tvmlinux\tEXPORT_SYMBOL\t\n"
    "0x2\tudp_tunnel_xmit_skb\tnet/ipv4/udp_tunnel\tEXPORT_SYMBOL_GPL\t\n",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Makefile").write_text(FAKE_MAKEFILE)
    (root / ".config").write_text(config)
    (root / "Module.symvers").write_text(symvers)
    gen = root / "include" / "generated"
    gen.mkdir(parents=True, exist_ok=True)
    (gen / "utsrelease.h").write_text(f'#define UTS_RELEASE "{release}"\n')
    for name, text in headers.items():
        path = root / "include" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def healthy_tree(tmp_path: Path) -> Path:
    return make_fake_tree(tmp_path / "kernel", HEALTHY_HEADERS)


@pytest.fixture
def broken_tree(tmp_path: Path) -> Path:
    """No headers at all: the control probe cannot compile."""
    return make_fake_tree(tmp_path / "broken", {})


# A kernel whose configuration chose a flag for its own (newer) compiler: the fake Kbuild passes
# it unless WGC_DROP_CFLAGS filters it out, as the generated probe Kbuild does with KBUILD_CFLAGS.
NEWER_COMPILER_MAKEFILE = """\
KDIR := $(CURDIR)
KFLAGS := $(filter-out $(WGC_DROP_CFLAGS),-fwgc-no-such-flag)
%.o:
\t$(CC) -nostdinc -Werror=implicit-function-declaration $(KFLAGS) -c -o $(M)/$@ $(M)/$*.c -I$(KDIR)/include
"""


@pytest.fixture
def newer_compiler_tree(tmp_path: Path) -> Path:
    root = make_fake_tree(
        tmp_path / "newer",
        HEALTHY_HEADERS,
        config='CONFIG_CC_VERSION_TEXT="wgc-test-gcc-99 (Test 99.1) 99.1.0"\nCONFIG_IPV6=y\n',
    )
    (root / "Makefile").write_text(NEWER_COMPILER_MAKEFILE)
    return root
