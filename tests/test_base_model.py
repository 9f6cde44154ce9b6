import pytest

from tasks.base_model import BaseModelError, model_files_digest, provision, resolve
from tasks.io import write_json


def test_tiny_model_is_provisioned_once_and_described(tiny_params, tiny_model_dir):
    descriptor = provision(tiny_params.base_model)
    assert descriptor["path"] == str(tiny_model_dir.resolve())
    assert set(descriptor["files"]) >= {"model.safetensors", "tokenizer.json", "config.json"}
    assert descriptor == provision(tiny_params.base_model)  # cached, same bytes


def test_a_local_model_directory_is_used_in_place(tiny_params, tiny_model_dir, tmp_path):
    params = tiny_params.base_model.model_copy(
        update={"source": str(tiny_model_dir), "descriptor": str(tmp_path / "d.json")}
    )
    descriptor = provision(params)
    assert descriptor["path"] == str(tiny_model_dir.resolve())
    write_json(params.descriptor, descriptor)
    assert resolve(params) == tiny_model_dir.resolve()


def test_a_source_that_is_no_model_is_a_clear_error(tiny_params, tmp_path):
    params = tiny_params.base_model.model_copy(update={"source": str(tmp_path)})
    with pytest.raises(BaseModelError, match="no config.json"):
        provision(params)


def test_a_corrupted_cache_is_rebuilt(tiny_params, tmp_path):
    params = tiny_params.base_model.model_copy(update={"cache_dir": str(tmp_path)})
    first = provision(params)
    weights = tmp_path / params.name / "model.safetensors"
    weights.write_bytes(b"corrupt")
    assert provision(params)["sha256"] == first["sha256"]
    assert model_files_digest(tmp_path / params.name) == first["files"]
