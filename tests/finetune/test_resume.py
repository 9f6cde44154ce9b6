"""Checkpoints: a killed training process resumes where it stopped, on the same data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks.finetune.checkpoint import run_key
from tasks.io import read_json, sha256_file, write_json, write_jsonl
from tests.support import REPO, tiny_overrides, write_params

RECORDS = [
    {
        "instruction": f"Implement the method fee{i}",
        "input": f"ledger.Fees{i}\n- methods: fee{i}(int): int",
        "output": f"def fee{i}(amount: int) -> int:\n    return amount // {i + 2}\n",
        "task": ("implement_method", "write_test", "create_agile_user_story")[i % 3],
    }
    for i in range(12)
]
STEPS = 60


def finetune_workspace(tmp_path: Path, model_cache: Path, **finetune) -> Path:
    """A folder with params, a train split and the base-model descriptor for `tasks.finetune`."""
    from tasks.base_model import provision
    from tasks.params import load_params

    overrides = tiny_overrides(model_cache)
    overrides["finetune"] |= {"max_steps": STEPS, "checkpoint_every": 5} | finetune
    params_file = write_params(tmp_path / "params.yaml", overrides)
    params = load_params(params_file)
    write_jsonl(tmp_path / params.build_dataset.train, RECORDS)
    write_json(tmp_path / params.base_model.descriptor, provision(params.base_model))
    return params_file


def start_finetune(workdir: Path) -> subprocess.Popen:
    # One thread: a tiny model gains nothing from more, and on a busy CI machine spinning
    # OpenMP threads can slow a step down many times over.
    env = os.environ | {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tasks.finetune", "--params", "params.yaml"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_changed_dataset_or_changed_params_gets_a_new_run_key(tmp_path, tiny_model_dir):
    data = tmp_path / "train.jsonl"
    write_jsonl(data, RECORDS)
    settings = {"learning_rate": 0.001, "adapter_dir": "a", "checkpoint_every": 5}
    key = run_key(data, tiny_model_dir, settings, "sys")

    assert run_key(data, tiny_model_dir, settings | {"adapter_dir": "b"}, "sys") == key
    assert run_key(data, tiny_model_dir, settings | {"checkpoint_every": 9}, "sys") == key
    assert run_key(data, tiny_model_dir, settings | {"learning_rate": 0.002}, "sys") != key
    assert run_key(data, tiny_model_dir, settings, "another system prompt") != key
    write_jsonl(data, RECORDS[:-1])
    assert run_key(data, tiny_model_dir, settings, "sys") != key


@pytest.mark.slow
def test_sigkill_after_a_checkpoint_resumes_there_and_matches_an_uninterrupted_run(
    tmp_path, model_cache
):
    from tasks.params import load_params

    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for workdir in (killed, clean):
        workdir.mkdir()
        params_file = finetune_workspace(workdir, model_cache)
    params = load_params(params_file).finetune

    # given a training process killed with SIGKILL once its first checkpoint exists
    process = start_finetune(killed)
    checkpoints = killed / params.checkpoint_dir
    deadline = time.monotonic() + 600
    while not any(checkpoints.glob("*/step-*")):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "no checkpoint within ten minutes"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    saved = sorted(checkpoints.glob("*/step-*"))[-1]
    saved_step = int(saved.name.removeprefix("step-"))
    assert 0 < saved_step < STEPS and not (killed / params.adapter_dir).exists()

    # when the same command runs again
    rerun = start_finetune(killed)
    output, _ = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, output

    # then it resumed from that checkpoint, finished every step and trained on the same data
    # in the same order as a run that was never interrupted, to the same adapter bytes
    reference = start_finetune(clean)
    reference_output, _ = reference.communicate(timeout=900)
    assert reference.returncode == 0, reference_output
    state = read_json(killed / params.trainer_state)
    clean_state = read_json(clean / params.trainer_state)
    assert f"resumed from step {saved_step}" in output
    assert state["resumed_from_step"] == saved_step and clean_state["resumed_from_step"] == 0
    assert state["steps"] == clean_state["steps"] == STEPS
    loss_curve = (killed / params.live_dir / "plots/metrics/train/loss.tsv").read_text()
    assert len(loss_curve.splitlines()) == STEPS + 1  # header + every step, replayed ones too
    assert state["data_order_digest"] == clean_state["data_order_digest"]
    weights = Path(params.adapter_dir) / "adapter_model.safetensors"
    assert sha256_file(killed / weights) == sha256_file(clean / weights)
    assert not any(checkpoints.glob("*/step-*")), "checkpoints are removed after success"


@pytest.mark.slow
def test_two_processes_under_torchrun_share_the_steps_and_only_the_first_writes(
    tmp_path, model_cache
):
    from tasks.params import load_params

    params = load_params(finetune_workspace(tmp_path, model_cache, max_steps=4)).finetune
    torchrun = Path(sys.executable).with_name("torchrun")
    env = os.environ | {"PYTHONPATH": str(REPO)}
    command = [str(torchrun), "--nproc_per_node", "2", "-m", "tasks.finetune"]
    result = subprocess.run(
        [*command, "--params", "params.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    state = read_json(tmp_path / params.trainer_state)
    assert state["processes"] == 2 and state["steps"] == 4
    assert result.stdout.count("trained 4 steps") == 1  # one writer
    assert (tmp_path / params.adapter_dir / "adapter_model.safetensors").exists()
