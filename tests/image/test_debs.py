"""The dependency closure of the guest's packages, on fake .deb files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.image.fake_debs import PACKAGES, needs_busybox
from wgcompat.errors import UserError
from wgcompat.image.debs import closure


@needs_busybox
def test_closure_follows_dependencies_alternatives_and_provides_but_skips_install_time_packages(debs: list[Path]) -> None:
    names = [c.package for c in closure(PACKAGES, debs)]
    assert names == ["bash", "busybox-static", "iptables", "libbar", "libc6", "libgcc-s1", "libprov", "tool"]


@needs_busybox
def test_closure_names_a_package_that_was_not_downloaded(debs: list[Path]) -> None:
    with pytest.raises(UserError) as err:
        closure(["no-such-package"], debs)
    assert "no-such-package" in err.value.cause
