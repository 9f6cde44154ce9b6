"""Shared fixtures: the tiny model, params for tests, and a throw-away copy of the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

import tasks  # noqa: F401 - offline / no-telemetry environment for every test
from tasks.params import Params
from tests.support import REPO, copy_repo, tiny_overrides, write_params


@pytest.fixture(scope="session")
def repo_params() -> Params:
    """The repository's own params.yaml, as shipped."""
    from tasks.params import load_params

    return load_params(REPO / "params.yaml")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One model cache per test session (the tiny model is built once, in seconds)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def tiny_params(model_cache, tmp_path_factory) -> Params:
    """Params (default paths, relative) with the tiny model, provisioned once."""
    from tasks.base_model import provision
    from tasks.params import load_params

    path = write_params(
        tmp_path_factory.mktemp("params") / "params.yaml", tiny_overrides(model_cache)
    )
    params = load_params(path)
    provision(params.base_model)
    return params


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_params, model_cache) -> Path:
    """Directory of the tiny random Llama and its tokenizer."""
    return model_cache / tiny_params.base_model.name


@pytest.fixture
def repo_copy(tmp_path, model_cache) -> Path:
    """A fresh git + DVC repository holding this project's pipeline, on the tiny model."""
    return copy_repo(tmp_path / "repo", model_cache)


@pytest.fixture(scope="session")
def tiny_export(model_cache, tmp_path_factory) -> Path:
    """A working directory where step 5 exported a tiny bundle and promoted it (export, serve)."""
    from tests.export.workspace import build_workspace, export

    root = build_workspace(tmp_path_factory.mktemp("export"), model_cache)
    export(root)
    return root
