"""The planned run (wgcompat.run.plan) and the CI plan read from its data file (run.ci),
with fake kernel and module builds: nothing is built here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from wgcompat import matrix
from wgcompat.errors import UserError
from wgcompat.kernel.build import KernelBuild
from wgcompat.kernel.select import selection
from wgcompat.module_build import ModuleBuild
from wgcompat.run import plan as plan_mod
from wgcompat.run.ci import load_plan
from wgcompat.run.plan import Artefacts, RunRequest, plan_run
from wgcompat.run.stages import Status


def fake_kernel(tmp_path: Path) -> KernelBuild:
    build = tmp_path / "kernels" / "6.1.192-normal-abc"
    (build / "arch/x86/boot").mkdir(parents=True)
    (build / "arch/x86/boot/bzImage").write_bytes(b"kernel")
    return KernelBuild(build_dir=build, release="6.1.192", version="6.1.192", flavour="normal",
                       image=build / "arch/x86/boot/bzImage", modules_root=build / "modules-root",
                       source="debian:bookworm", log=build / "build.log")


def fake_module(tmp_path: Path) -> ModuleBuild:
    src = tmp_path / "modules" / "m" / "src"
    src.mkdir(parents=True)
    (src / "wireguard.ko").write_bytes(b"\x7fELF")
    return ModuleBuild(ko=src / "wireguard.ko", build_dir=src, compat_h=src / "compat.h", log=src.parent / "build.log",
                       warnings=(), seconds=0.0, header_warnings=("mmzone.h: warning: x",))


def test_the_artefacts_file_round_trips(tmp_path: Path) -> None:
    request = RunRequest(selection("6.1", config="debug"), crypto="bundled", debug_module=True)
    written = Artefacts(request, fake_kernel(tmp_path), fake_module(tmp_path))
    path = written.write(tmp_path / "report" / "artefacts.json")
    assert Artefacts.read(path) == written
    assert not list(path.parent.glob(".*tmp")), "the temporary file was left behind"


def test_a_local_tree_request_round_trips(tmp_path: Path) -> None:
    request = RunRequest(selection(None, "/src/linux-5.4", None, "normal"))
    path = Artefacts(request, fake_kernel(tmp_path), fake_module(tmp_path)).write(tmp_path / "a.json")
    assert Artefacts.read(path).request.selection.kernel_src == Path("/src/linux-5.4")


@pytest.mark.parametrize("damage, named", [
    (lambda p: p.unlink(), "cannot read"),
    (lambda p: p.write_text("{not json"), "not JSON"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "format": 0})), "another format"),
    (lambda p: p.write_text(json.dumps({k: v for k, v in json.loads(p.read_text()).items() if k != "module"})),
     "lacks"),
])
def test_a_bad_artefacts_file_is_refused_with_its_cause(tmp_path: Path, damage, named: str) -> None:
    path = Artefacts(RunRequest(selection("6.1")), fake_kernel(tmp_path), fake_module(tmp_path)).write(
        tmp_path / "a.json")
    damage(path)
    with pytest.raises(UserError) as err:
        Artefacts.read(path)
    assert named in err.value.cause and "invoke test" in err.value.fix


def test_an_artefacts_file_whose_module_was_cleaned_away_is_refused(tmp_path: Path) -> None:
    module = fake_module(tmp_path)
    path = Artefacts(RunRequest(selection("6.1")), fake_kernel(tmp_path), module).write(tmp_path / "a.json")
    module.ko.unlink()
    with pytest.raises(UserError) as err:
        Artefacts.read(path)
    assert str(module.ko) in err.value.cause


def test_a_kernel_resolved_ahead_is_not_resolved_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(_sel):
        raise AssertionError("the kernel was resolved again")

    built: list[object] = []
    monkeypatch.setattr(plan_mod, "resolve_kernel", resolve)
    monkeypatch.setattr(plan_mod, "build_module",
                        lambda req, progress: built.append(req) or replace(fake_module(tmp_path), cached=True))
    kernel = fake_kernel(tmp_path)
    planned = plan_run(RunRequest(selection("6.1"), debug_module=True), kernel=kernel)
    assert [(s.stage, s.status) for s in planned.stages] == [("kernel", Status.CACHED), ("module", Status.CACHED)]
    assert planned.require().kernel is kernel
    assert built[0].kernel is kernel and built[0].debug  # the module is built for that kernel, as asked


def test_a_failing_stage_stops_the_plan_and_keeps_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(_sel):
        raise UserError("no provider has Linux 9.9", "pick a series of kernels.toml")

    monkeypatch.setattr(plan_mod, "resolve_kernel", resolve)
    monkeypatch.setattr(plan_mod, "build_module", lambda *_a, **_k: pytest.fail("built a module for no kernel"))
    planned = plan_run(RunRequest(selection("9.9")))
    assert [(s.stage, s.status) for s in planned.stages] == [("kernel", Status.FAILED)]
    assert planned.artefacts is None and "9.9" in planned.stages[0].line()
    with pytest.raises(UserError) as err:
        planned.write(tmp_path / "a.json")
    assert err.value.fix == "pick a series of kernels.toml"
    assert not (tmp_path / "a.json").exists()


M = matrix.Matrix(default="6.1", kernels=("5.10", "6.1", "7.2"), ci_kernels=("5.10", "6.1", "7.2"))


def test_the_ci_plan_is_read_from_its_data_file(tmp_path: Path) -> None:
    toml = tmp_path / "ci.toml"
    toml.write_text('[[step]]\nname = "unit"\npaths = ["tests"]\n\n'
                    '[[step]]\nname = "{kernel} debug"\nkernel = "default"\nflavour = "debug"\n'
                    'paths = ["vmtests/wireguard/test_tunnel.py", "vmtests/harness/test_boot.py::test_x"]\n'
                    'pytest = ["-k", "not slow"]\n\n'
                    '[[step]]\nname = "{kernel}: boot"\nkernel = "others"\npaths = ["vmtests/harness"]\n\n'
                    '[known_unstable]\n"vmtests/x.py::test_y" = "flaky on slow hosts"\n')
    plan = load_plan(toml, M)
    assert [(s.name, s.kernel, s.flavour) for s in plan.steps] == [
        ("unit", None, "normal"), ("6.1 debug", "6.1", "debug"), ("5.10: boot", "5.10", "normal"),
        ("7.2: boot", "7.2", "normal")]
    assert plan.steps[1].options == ("-k", "not slow")
    assert plan.steps[1].paths == ("vmtests/wireguard/test_tunnel.py", "vmtests/harness/test_boot.py::test_x")
    assert plan.steps[0].deselect == () and plan.steps[1].deselect == ("vmtests/x.py::test_y",)


@pytest.mark.parametrize("step, named", [
    ('name = "x"\npaths = ["tests"]\nkernal = "default"', "unknown keys kernal"),
    ('name = "x"\npaths = ["tests/no_such_test.py"]', "no such test path tests/no_such_test.py"),
    ('name = "x"\npaths = ["tests/no_such_test.py::test_x"]', "no such test path tests/no_such_test.py::test_x"),
    ('name = "x"\npaths = ["tests"]\nkernel = "4.4"', "kernel '4.4'"),
    ('name = "x"\npaths = ["tests"]\nflavour = "fast"', "flavour must be"),
    ('paths = ["tests"]', "needs name and paths"),
])
def test_a_wrong_ci_step_is_named(tmp_path: Path, step: str, named: str) -> None:
    toml = tmp_path / "ci.toml"
    toml.write_text(f"[[step]]\n{step}\n")
    with pytest.raises(UserError) as err:
        load_plan(toml, M)
    assert named in err.value.cause and "step 1" in err.value.cause
