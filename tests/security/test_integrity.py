"""Integrity: a tampered bundle is never loaded; a crafted checkpoint pickle never runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tasks.finetune import checkpoint
from tasks.io import read_json, sha256_file, write_json
from tasks.params import load_params
from tasks.registry import (
    BundleIntegrityError,
    promoted_bundle,
    publish,
    verified_bundle,
)
from tests.export.test_registry import make_bundle
from tests.support import REPO

ADAPTER = "adapter/adapter_model.safetensors"


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def tampered_export(tiny_export, tmp_path) -> Path:
    """A copy of the exported workspace whose promoted adapter has one byte flipped."""
    root = tmp_path / "export"
    shutil.copytree(tiny_export, root)
    flip_a_byte(promoted_bundle(root / "registry", verify=False) / ADAPTER)
    return root


def test_verified_bundle_names_the_file_that_differs_from_the_manifest(tmp_path):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    assert verified_bundle(bundle) == bundle
    flip_a_byte(bundle / ADAPTER)

    with pytest.raises(BundleIntegrityError, match=f"{ADAPTER}: sha256 differs"):
        verified_bundle(bundle)


def test_the_promoted_bundle_is_refused_when_a_byte_of_its_adapter_flipped(tampered_export):
    # What evaluation's promoted comparison and serving ask the registry for.
    with pytest.raises(BundleIntegrityError, match=ADAPTER):
        promoted_bundle(tampered_export / "registry")


@pytest.mark.slow  # starts `python -m tasks.serve` (imports torch and transformers)
def test_the_server_refuses_to_start_on_a_tampered_promoted_bundle(tampered_export):
    env = dict(os.environ) | {"PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "tasks.serve", "--params", "params.yaml", "--port", "1"],
        cwd=tampered_export, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode != 0
    assert f"{ADAPTER}: sha256 differs from the manifest" in result.stderr + result.stdout


def test_the_engine_refuses_a_tampered_bundle_given_directly(tampered_export):
    from tasks.serve.engine import Engine

    params = load_params(tampered_export / "params.yaml")
    bundle = promoted_bundle(tampered_export / params.export.registry_dir, verify=False)
    base_dir = Path(read_json(tampered_export / params.base_model.descriptor)["path"])

    with pytest.raises(BundleIntegrityError, match=ADAPTER):
        Engine(bundle, base_dir)


def test_a_manifest_entry_pointing_outside_the_bundle_is_refused(tmp_path):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of any bundle")
    manifest = read_json(bundle / "manifest.json")
    manifest["files"]["../outside.txt"] = sha256_file(outside)
    write_json(bundle / "manifest.json", manifest)

    with pytest.raises(BundleIntegrityError, match=r"\.\./outside\.txt: outside the bundle"):
        verified_bundle(bundle)


def test_publishing_a_tampered_bundle_is_refused_and_the_pointer_stays(tmp_path):
    registry = tmp_path / "registry"
    publish(make_bundle(tmp_path / "a", "v1"), registry, promote=True)
    tampered = make_bundle(tmp_path / "b", "v2", "new weights")
    flip_a_byte(tampered / ADAPTER)

    with pytest.raises(BundleIntegrityError, match=ADAPTER):
        publish(tampered, registry, promote=True)

    assert promoted_bundle(registry).name == "v1"


class _Payload:
    """Unpickling this calls os.mkdir(marker): proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


def small_training_state() -> tuple[torch.nn.Module, torch.optim.Optimizer, object]:
    from transformers import get_scheduler

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = get_scheduler("cosine", optimizer, num_warmup_steps=1, num_training_steps=10)
    model(torch.randn(2, 4)).sum().backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


def test_a_checkpoint_still_restores_with_weights_only_loading(tmp_path):
    model, optimizer, scheduler = small_training_state()
    saved = checkpoint.save(tmp_path, model, optimizer, scheduler, checkpoint.Progress(step=1), 2)
    fresh, fresh_optimizer, fresh_scheduler = small_training_state()
    with torch.no_grad():
        fresh.weight.zero_()

    progress = checkpoint.restore(saved, fresh, fresh_optimizer, fresh_scheduler)

    assert progress.step == 1 and torch.equal(fresh.weight, model.weight)
    assert fresh_optimizer.state_dict()["state"][0]["step"] == 1


@pytest.mark.parametrize("name", [checkpoint.OPTIMIZER_FILE, checkpoint.WEIGHTS_FILE, "rng-0.pt"])
def test_a_crafted_pickle_in_a_checkpoint_does_not_execute(tmp_path, name):
    model, optimizer, scheduler = small_training_state()
    saved = checkpoint.save(tmp_path, model, optimizer, scheduler, checkpoint.Progress(step=1), 2)
    marker = tmp_path / "code-ran"
    torch.save({"optimizer": _Payload(marker), "scheduler": {}}, saved / name)

    with pytest.raises(Exception, match="(?i)weights.only|unpickl"):
        checkpoint.restore(saved, model, optimizer, scheduler)

    assert not marker.exists()
