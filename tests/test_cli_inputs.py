"""Command-line inputs that must be refused with the cause and the fix."""

from pathlib import Path

import pytest

from wgcompat.errors import UserError
from wgcompat.kernel.select import selection
from wgcompat.session import parse_put


def test_put_needs_host_and_absolute_guest_path(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    assert parse_put(f"{f}:/root/f") == (f, "/root/f")
    for bad in (str(f), f"{f}:relative", ":/root/f"):
        with pytest.raises(UserError) as err:
            parse_put(bad)
        assert "HOST:GUEST" in err.value.cause


def test_put_of_a_missing_file(tmp_path):
    with pytest.raises(UserError) as err:
        parse_put(f"{tmp_path / 'nope'}:/root/x")
    assert "does not exist" in err.value.cause


def test_only_one_way_to_name_the_kernel():
    with pytest.raises(UserError) as err:
        selection("6.1", "/src", None)
    assert "only one" in err.value.fix


def test_unknown_flavour():
    with pytest.raises(UserError) as err:
        selection("6.1", config="fast")
    assert "--config debug" in err.value.fix


def test_selection_keeps_paths():
    sel = selection(None, "/src/linux-5.4", None, "debug")
    assert sel.kernel_src == Path("/src/linux-5.4") and sel.flavour == "debug"


def test_ci_plan_covers_the_ci_kernels_and_the_debug_scenarios():
    from wgcompat import matrix
    from wgcompat.run.ci import load_plan

    plan = load_plan().steps
    kernels = {s.kernel for s in plan if s.kernel}
    m = matrix.load()
    assert kernels == set(m.ci_kernels) and set(m.ci_kernels) <= set(m.kernels) and m.default in kernels
    debug = [s for s in plan if s.flavour == "debug"]
    assert debug and all(p.startswith(("vmtests/wireguard/test_", "vmtests/harness/test_boot.py::"))
                         for p in debug[0].paths)
    assert any(s.crypto == "bundled" for s in plan)
    assert len({s.tag for s in plan}) == len(plan)


def test_junit_counts(tmp_path):
    from wgcompat.run.ci import junit_counts

    xml = tmp_path / "j.xml"
    xml.write_text('<testsuites><testsuite tests="7" failures="1" errors="1" skipped="2"/></testsuites>')
    assert junit_counts(xml) == (3, 2, 2)
    assert junit_counts(tmp_path / "missing.xml") == (0, 1, 0)


def test_every_test_ci_leaves_out_exists_and_has_a_reason():
    from wgcompat.paths import REPO
    from wgcompat.run.ci import load_plan

    plan = load_plan()
    for step in plan.steps:
        for node in step.deselect:
            path, _, name = node.partition("::")
            assert f"def {name}(" in (REPO / path).read_text(), node
            assert plan.known_unstable[node]


def test_ci_tests_the_release_build_and_runs_the_wg_debug_tests_once():
    from wgcompat.paths import REPO
    from wgcompat.run.ci import load_plan

    plan = load_plan().steps
    wgdebug = [s for s in plan if s.debug_module]
    assert len(wgdebug) == 1 and all((REPO / p).is_file() for p in wgdebug[0].paths)
    assert "vmtests/wireguard/test_selftests.py" in wgdebug[0].paths
    assert any(not s.debug_module and s.paths == ("vmtests",) for s in plan), "no release-build whole suite"


def test_pytest_gets_the_planned_run_and_reports_are_named_by_the_module_build(tmp_path):
    from wgcompat import paths
    from wgcompat.session import pytest_vm_args

    junit = tmp_path / "r" / "junit.xml"
    args = pytest_vm_args(tmp_path / "artefacts.json", junit, "tunnel", ("vmtests/wireguard",))
    assert f"--artefacts={tmp_path / 'artefacts.json'}" in args
    assert not [a for a in args if a.startswith(("--kernel", "--config", "--crypto", "--debug-module"))]
    assert args[-2:] == ["-k", "tunnel"]
    assert paths.run_label("normal", "auto", debug_module=True) == "normal-wgdebug"
    assert paths.vmtests_report_dir("6.1", "normal", "auto", True) != paths.vmtests_report_dir("6.1", "normal", "auto")


def test_a_ci_kernel_outside_the_matrix_is_refused(tmp_path):
    from wgcompat import matrix
    from wgcompat.errors import UserError

    toml = tmp_path / "kernels.toml"
    kernels = ('[[kernel]]\nseries = "5.10"\nprovider = "debian:bullseye"\n'
               '[[kernel]]\nseries = "6.1"\nprovider = "debian:bookworm"\n')
    toml.write_text('default = "6.1"\nci = ["6.1", "6.6"]\n' + kernels)
    with pytest.raises(UserError) as err:
        matrix.load(toml)
    assert "6.6" in err.value.cause and "[[kernel]]" in err.value.fix
    toml.write_text('default = "6.1"\n' + kernels)
    assert matrix.load(toml).ci_kernels == ("5.10", "6.1")


def test_a_host_only_step_runs_with_its_own_pytest_options(tmp_path):
    """ci.toml's `pytest` options reach steps that boot no kernel too (the packaging step's -k
    once ran both suites because they were dropped)."""
    from wgcompat.run.ci import host_step_command, load_plan

    packaging = [s for s in load_plan().steps if s.kernel is None and s.options]
    assert packaging, "ci.toml has no host-only step with pytest options to check"
    for step in packaging:
        command = host_step_command(step, tmp_path / "junit.xml", tmp_path / "tmp")
        assert command[-len(step.options):] == list(step.options)
