import pytest

from tasks.params import ParamsError, load_params
from tests.support import REPO, write_params


def test_shipped_params_load(repo_params):
    assert repo_params.base_model.source.startswith("pypi:")
    assert "samples" in repo_params.identify_assets.sources


def test_a_typo_in_params_is_an_error_naming_the_key(tmp_path):
    path = write_params(tmp_path / "params.yaml", {"finetune": {"max_step": 3}})
    with pytest.raises(ParamsError, match="max_step"):
        load_params(path)


def test_a_task_the_registry_lacks_is_an_error_naming_the_registered_ones(tmp_path):
    from tasks.task_specs import task_names

    path = write_params(tmp_path / "params.yaml", {"build_dataset": {"tasks": ["write_tset"]}})
    with pytest.raises(
        ParamsError, match=r"unknown tasks \['write_tset'\]; registered: .*write_test"
    ):
        load_params(path)
    # params list the spec modules without importing them: the same names as the registry
    from tasks.params import registered_tasks

    assert registered_tasks() == task_names()


def test_a_missing_params_file_is_named(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_every_stage_module_takes_a_params_option():
    import subprocess
    import sys

    for module in (
        "tasks.base_model",
        "tasks.identify_assets",
        "tasks.ingest_feedback",
        "tasks.build_dataset",
        "tasks.finetune",
        "tasks.evaluate",
        "tasks.export",
    ):
        result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "--params" in result.stdout
