"""A bad params edit is caught before any stage runs and loses no output DVC cannot restore."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks.params import ParamsError, load_params
from tests.support import REPO, run


def with_duplicate_key(path: Path) -> int:
    """The shipped params with `batch_size` written twice under ingest_feedback, at `path`;
    returns the line of the second one."""
    lines = (REPO / "params.yaml").read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("  batch_size: 5000"))
    lines.insert(at + 1, "  batch_size: 7")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 2


def test_a_key_written_twice_is_an_error_naming_the_key_and_its_line(tmp_path):
    line = with_duplicate_key(tmp_path / "params.yaml")

    with pytest.raises(ParamsError, match=rf"duplicate key 'batch_size' on line {line}"):
        load_params(tmp_path / "params.yaml")


def test_merge_keys_may_still_override_on_purpose(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: &base {x: 1}\nb:\n  <<: *base\n  x: 2\n")
    from tasks.params import _UniqueKeysLoader

    assert yaml.load(path.read_text(), Loader=_UniqueKeysLoader)["b"] == {"x": 2}


def check(params: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tasks.params", "--check", "--params", str(params)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_check_command_fails_on_a_bad_edit_and_passes_the_shipped_params(tmp_path):
    line = with_duplicate_key(tmp_path / "params.yaml")

    bad, good = check(tmp_path / "params.yaml"), check(REPO / "params.yaml")

    assert bad.returncode == 1 and f"duplicate key 'batch_size' on line {line}" in bad.stderr
    assert good.returncode == 0, good.stderr


def make(repo: Path, *args: str) -> subprocess.CompletedProcess:
    venv = Path(sys.executable).parent.parent
    return run(["make", "--no-print-directory", f"VENV={venv}", *args], repo, check=False)


def test_make_repro_checks_the_params_first_and_stops_on_a_bad_edit(repo_copy):
    for name in ("Makefile", "constraints.txt"):  # the Makefile's install stamp hashes both
        (repo_copy / name).write_bytes((REPO / name).read_bytes())
    with_duplicate_key(repo_copy / "params.yaml")

    plan = make(repo_copy, "-n", "repro")  # what `make repro` would run, in order
    checked = make(repo_copy, "check-params")

    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.index("tasks.params --check") < plan.stdout.index("dvc repro")
    assert checked.returncode != 0 and "duplicate key 'batch_size'" in checked.stderr


def test_the_flywheel_flow_validates_the_params_before_any_stage(tmp_path):
    from flows.flywheel import flywheel

    with_duplicate_key(tmp_path / "params.yaml")  # no DVC repository here: no stage could run

    with pytest.raises(ParamsError, match="duplicate key 'batch_size'"):
        flywheel.fn(str(tmp_path))


def uncached_outs_and_deps(params: dict, stage: str) -> tuple[list[str], list[str]]:
    """The stage's `cache: false` outs and its data deps, as params.yaml names them."""
    if stage == "ingest_feedback":
        step = params["ingest_feedback"]
        outs = [step["metrics"], step["rates"], step["daily"], step["retrain_decision"]]
        return outs, [params["identify_assets"]["inventory"]]
    deps = [params["base_model"]["descriptor"], params["build_dataset"]["train"],
            f"{params['gates']['report_dir']}/dataset.json"]  # fmt: skip
    return [params["finetune"]["metrics"]], deps


KEPT = '{"kept": "from the last good run"}\n'


@pytest.mark.slow  # real `dvc repro` in a throw-away repository
@pytest.mark.parametrize(("stage", "param"), [("ingest_feedback", "batch_size"),
                                              ("finetune", "max_steps")])  # fmt: skip
def test_a_dvc_repro_failing_on_a_bad_param_leaves_the_uncached_outputs_in_place(
    repo_copy, stage, param
):
    params = yaml.safe_load((repo_copy / "params.yaml").read_text())
    outs, deps = uncached_outs_and_deps(params, stage)
    for name, text in [(d, "stand-in dependency\n") for d in deps] + [(o, KEPT) for o in outs]:
        (repo_copy / name).parent.mkdir(parents=True, exist_ok=True)
        (repo_copy / name).write_text(text)
    params[stage][param] = "not a number"
    (repo_copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    result = run(["dvc", "repro", "--single-item", stage], repo_copy, check=False)

    assert result.returncode != 0
    assert "params file params.yaml is invalid" in result.stdout + result.stderr
    for name in outs:
        assert (repo_copy / name).read_text() == KEPT, f"{name} was deleted by the failed run"
