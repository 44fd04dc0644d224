import pytest

from wgcompat.errors import UserError
from wgcompat.kernel.version import KernelVersion, sort_key, upstream_from_debian


@pytest.mark.parametrize("text,series,patch", [("6.1", "6.1", None), ("6.1.192", "6.1", 192), (" 5.10 ", "5.10", None)])
def test_parse(text, series, patch):
    v = KernelVersion.parse(text)
    assert (v.series, v.patch) == (series, patch)


@pytest.mark.parametrize("bad", ["", "6", "v6.1", "6.1.x", "six", "6.1.2.3", "1.0", "6.1-rc1"])
def test_malformed_version_names_the_input_and_the_fix(bad):
    with pytest.raises(UserError) as err:
        KernelVersion.parse(bad)
    assert repr(bad.strip())[1:-1] in err.value.cause or "version" in err.value.cause
    assert "6.1" in err.value.fix


def test_series_matches_its_point_releases_only():
    s = KernelVersion.parse("6.1")
    assert s.matches("6.1.192") and s.matches("6.1")
    assert not s.matches("6.12.3") and not s.matches("5.1.0")


def test_exact_matches_itself_only():
    v = KernelVersion.parse("6.1.192")
    assert v.matches("6.1.192")
    assert not v.matches("6.1.191")


def test_debian_versions_to_upstream():
    assert upstream_from_debian("6.1.192-2") == "6.1.192"
    assert upstream_from_debian("7.2~rc3-1~exp1") == "7.2-rc3"
    assert upstream_from_debian("1:5.10.262-1") == "5.10.262"


def test_sort_orders_numerically_and_rc_first():
    releases = ["6.1.9", "6.1.10", "6.1", "6.1.100", "6.2-rc1", "6.2"]
    assert sorted(releases, key=sort_key) == ["6.1", "6.1.9", "6.1.10", "6.1.100", "6.2-rc1", "6.2"]
