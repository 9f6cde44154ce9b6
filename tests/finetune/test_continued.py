"""Continued training (finetune.init: promoted): a round starts from the promoted adapter and
trains on the new records plus a replay share; its lineage names the adapter it started from.

Real training of a few steps on the tiny model, real export into a real registry."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tasks.finetune import init
from tasks.finetune.checkpoint import run_key
from tasks.init_pointer import TRAINER_STATE
from tasks.io import read_json, sha256_file, write_json, write_jsonl
from tests.export.workspace import metrics
from tests.support import merged, tiny_overrides, write_params

TASKS = ("implement_method", "write_test", "create_agile_user_story")


def record(i: int, events: list[str] | None = None) -> dict:
    return {
        "instruction": f"Implement the method fee{i}",
        "input": f"ledger.Fees{i}\n- methods: fee{i}(int): int",
        "output": f"def fee{i}(amount: int) -> int:\n    return amount // {i + 2}\n",
        "task": TASKS[i % 3],
        "language": "python",
        "asset_id": f"feedback:{events[0]}" if events else f"asset-{i}",
        "record_id": f"rec{i:02d}",
        "method": "",
        "event_ids": events or [],
    }


EARLIER = [record(i) for i in range(8)]
NEW = [record(8), record(9, ["ev-9"])]  # a new asset record and a feedback record


def workspace(root: Path, model_cache: Path, **finetune) -> Path:
    """params, base-model descriptor, train split and step 4's outputs (what export reads)."""
    from tasks.base_model import provision
    from tasks.params import load_params

    root.mkdir(parents=True, exist_ok=True)
    overrides = merged(tiny_overrides(model_cache), {"finetune": {"max_steps": 3} | finetune})
    write_params(root / "params.yaml", overrides)
    params = load_params(root / "params.yaml")
    write_json(root / params.base_model.descriptor, provision(params.base_model))
    write_jsonl(root / params.build_dataset.train, EARLIER)
    write_json(root / params.evaluate.details, metrics())
    write_json(root / params.evaluate.promotion, {"promoted": True, "reasons": ["test run"]})
    return root


def set_finetune(root: Path, model_cache: Path, **finetune) -> None:
    overrides = merged(tiny_overrides(model_cache), {"finetune": {"max_steps": 3} | finetune})
    write_params(root / "params.yaml", overrides)


def finetune(root: Path, monkeypatch) -> dict:
    from tasks.finetune.__main__ import main

    monkeypatch.chdir(root)
    main(["--params", "params.yaml"])
    return read_json(root / "models/trainer_state.json")


def export(root: Path, monkeypatch) -> dict:
    from tasks.export.__main__ import main

    monkeypatch.chdir(root)
    monkeypatch.delenv("DVC_EXP_NAME", raising=False)
    monkeypatch.delenv("LLMOPS_EXPERIMENT", raising=False)
    main(["--params", "params.yaml"])
    return read_json(root / "bundles/latest/manifest.json")


def file_tensors_digest(path: Path) -> str:
    """The test's own digest of a safetensors file's tensors (name, float32 bytes; sorted)."""
    from safetensors.torch import load_file

    digest = hashlib.sha256()
    for name, tensor in sorted(load_file(path).items()):
        digest.update(name.encode() + b"\0" + tensor.float().contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.fixture
def promoted_round(tmp_path, model_cache, monkeypatch):
    """A base round, exported and promoted: (workspace, its trainer_state, its manifest)."""
    root = workspace(tmp_path / "ws", model_cache)
    state = finetune(root, monkeypatch)
    manifest = export(root, monkeypatch)
    assert manifest["promoted"] and read_json(root / "registry/promoted.json")["version"]
    return root, state, manifest


def test_a_base_round_is_unchanged_and_records_where_it_started(promoted_round, tiny_model_dir):
    root, state, manifest = promoted_round
    assert state["init"] == {"from": "base", "requested": "base"}
    assert read_json(root / "models/init.json") == {"init": "base"}  # promotion: no retrain
    # The run key of a base round ignores the continued-training params (as before them).
    params = state["params"]
    same = run_key(root / "data/dataset/train.jsonl", tiny_model_dir, params, state_system(root))
    other = params | {"replay": {"share": 0.9}, "init_pointer": "elsewhere.json"}
    assert (
        state["run_key"]
        == same
        == run_key(root / "data/dataset/train.jsonl", tiny_model_dir, other, state_system(root))
    )
    assert state["start_weights_sha256"]  # fresh LoRA weights, digested before step 1
    data = state["data"]
    assert data["record_ids"] == [r["record_id"] for r in EARLIER]
    assert data["content_ids"] == sorted(init.content_id(r) for r in EARLIER)
    assert data["new_records"] == 8 and data["replayed_records"] == 0
    # The bundle carries the round's trainer_state and the manifest its start.
    bundle = root / "registry/versions" / manifest["version"]
    assert read_json(bundle / TRAINER_STATE) == state
    assert manifest["init"] == {"from": "base", "requested": "base"}
    assert "Started from: the base model" in (bundle / "MODEL_CARD.md").read_text()


def state_system(root: Path) -> str:
    from tasks.params import load_params

    return load_params(root / "params.yaml").prompt.system


def test_a_continued_round_starts_from_the_promoted_weights_on_new_and_replayed_records(
    promoted_round, model_cache, monkeypatch
):
    root, base_state, manifest = promoted_round
    version = manifest["version"]
    bundle = root / "registry/versions" / version
    weights = bundle / "adapter/adapter_model.safetensors"
    write_jsonl(root / "data/dataset/train.jsonl", EARLIER + NEW)
    set_finetune(root, model_cache, init="promoted", replay={"share": 0.5})

    state = finetune(root, monkeypatch)

    # It started from the promoted adapter's weights, not a fresh init.
    assert state["start_weights_sha256"] == file_tensors_digest(weights)
    assert state["start_weights_sha256"] != base_state["start_weights_sha256"]
    started = {"from": "promoted", "version": version, "weights_sha256": sha256_file(weights)}
    assert state["init"] == started | {"requested": "promoted"}
    assert read_json(root / "models/init.json") == {"init": "promoted"} | {
        k: v for k, v in started.items() if k != "from"
    }
    # Both new records and, with share 0.5, as many earlier ones (seed-drawn) are trained on.
    data = state["data"]
    assert data["new_records"] == 2 and data["replayed_records"] == 2
    assert {"rec08", "rec09"} <= set(data["record_ids"]) and len(data["record_ids"]) == 4
    assert set(data["record_ids"]) - {"rec08", "rec09"} <= {r["record_id"] for r in EARLIER}
    assert state["train_records"] == 4
    assert data["content_ids"] == sorted(init.content_id(r) for r in EARLIER + NEW)
    assert set(data["event_ids"]) | set(data["unvisited_event_ids"]) == {"ev-9"}
    assert state["run_key"] != base_state["run_key"]
    # Its bundle's lineage and card say which adapter it started from.
    child = export(root, monkeypatch)
    assert child["version"] != version and child["init"]["version"] == version
    card = (root / "registry/versions" / child["version"] / "MODEL_CARD.md").read_text()
    assert f"Started from: promoted adapter `{version}`" in card
    assert "2 new, 2 replayed" in card


def test_nothing_new_keeps_the_promoted_adapter_and_nothing_promoted_trains_from_base(
    promoted_round, model_cache, monkeypatch, capsys
):
    root, base_state, manifest = promoted_round
    set_finetune(root, model_cache, init="promoted")
    state = finetune(root, monkeypatch)  # same train split: nothing new
    assert "no new records since the promoted version" in capsys.readouterr().out
    assert state == base_state
    bundle = root / "registry/versions" / manifest["version"]
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        assert sha256_file(root / "models/adapter" / name) == sha256_file(bundle / "adapter" / name)

    shutil.rmtree(root / "registry")  # nothing promoted: falls back to the base model, says so
    state = finetune(root, monkeypatch)
    assert "nothing is promoted in registry yet" in capsys.readouterr().out
    assert state["init"]["from"] == "base" and "nothing is promoted" in state["init"]["note"]
    assert state["start_weights_sha256"] == base_state["start_weights_sha256"]
    assert read_json(root / "models/init.json")["version"] is None


def test_a_promoted_adapter_of_another_lora_shape_fails_naming_both(
    promoted_round, model_cache, monkeypatch
):
    root, _, _ = promoted_round
    write_jsonl(root / "data/dataset/train.jsonl", EARLIER + NEW)
    set_finetune(root, model_cache, init="promoted", lora={"r": 4})
    with pytest.raises(SystemExit, match=r"another LoRA shape than finetune.lora: r 8 \(finetune"):
        finetune(root, monkeypatch)


def test_a_tampered_promoted_bundle_is_refused(promoted_round, model_cache, monkeypatch):
    from tasks.registry import BundleIntegrityError

    root, _, manifest = promoted_round
    weights = root / "registry/versions" / manifest["version"] / "adapter/adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    set_finetune(root, model_cache, init="promoted")
    with pytest.raises(BundleIntegrityError, match="sha256 differs"):
        finetune(root, monkeypatch)


def test_replay_selection_is_the_share_of_the_round_and_deterministic():
    seen = {init.content_id(r) for r in EARLIER}
    picked = init.select(EARLIER + NEW, seen, share=0.3, seed=1)
    assert (picked.new, picked.replayed, picked.earlier) == (2, 1, 8)  # round(0.3/0.7 * 2) = 1
    assert picked.records == init.select(EARLIER + NEW, seen, 0.3, 1).records
    assert [picked.records[i] for i in picked.new_indices] == NEW  # training draws them first
    assert init.select(EARLIER + NEW, seen, share=0.0, seed=1).records == NEW
    assert init.select(EARLIER, seen, 0.3, 1).records == []  # nothing new


def test_an_edit_back_to_a_known_answer_is_new_until_the_adapter_learned_its_event():
    seen = {init.content_id(r) for r in EARLIER}
    edited = EARLIER[0] | {"event_ids": ["evt-1"]}  # same content, from a feedback event
    rest = EARLIER[1:]
    picked = init.select([edited, *rest], seen, share=0.0, seed=1)
    assert picked.records == [edited] and picked.new == 1
    learned = init.select([edited, *rest], seen, 0.0, 1, seen_events={"evt-1"})
    assert learned.records == [] and learned.new == 0


def test_a_round_gives_the_tasks_users_corrected_more_turns():
    seen = {init.content_id(r) for r in EARLIER}
    edits = [r | {"origin": "feedback_edit"} for r in NEW]  # both new records are corrections
    picked = init.select(EARLIER + edits, seen, share=0.3, seed=1)
    corrected = {r["task"] for r in edits}
    weights = init.focused_weights(picked, {"write_test": 0.5}, focus=1.0)
    for task in TASKS:
        base = 0.5 if task == "write_test" else 1.0
        expected = base * (1 + sum(r["task"] == task for r in edits))
        assert weights[task] == expected, (task, weights)
    assert any(weights[t] > 1 for t in corrected)
    assert init.focused_weights(picked, {"write_test": 0.5}, focus=0.0) == {"write_test": 0.5}
    accepted = init.select(EARLIER + NEW, seen, share=0.3, seed=1)  # no corrections: unchanged
    assert init.focused_weights(accepted, {"write_test": 0.5}, 1.0) == {"write_test": 0.5}
