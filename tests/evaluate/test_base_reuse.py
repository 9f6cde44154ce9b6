"""evaluate_base keeps the stored answers a new eval set version still holds: a version that
adds records (a new task's) generates only those, with the real tiny model."""

from __future__ import annotations

import contextlib

from tasks.base_model import provision, resolve
from tasks.evaluate.base import GENERATIONS, SUMMARY, evaluate_base, read_base
from tasks.evaluate.runner import prepare_eval_set
from tasks.generation import load_model
from tasks.io import read_json, read_jsonl, write_json, write_jsonl
from tasks.params import load_params
from tests.support import tiny_overrides, write_params


def _record(i: int, task: str, output: str) -> dict:
    return {
        "record_id": f"r{i:02d}", "task": task, "instruction": "Write the PlantUML diagram",
        "input": f"Classes: C{i}", "output": output, "language": "plantuml", "asset_id": f"a{i}",
        "method": None,
    }  # fmt: skip


def _version(params, path: str, records: list[dict]):
    """The params pointed at a new eval set version holding `records`."""
    write_jsonl(path, records)
    step = params.evaluate.model_copy(update={"frozen_eval": path})
    return params.model_copy(update={"evaluate": step})


DIAGRAM = "@startuml\nclass C {\n  +id: long\n}\n@enduml"


def test_a_new_eval_set_version_generates_only_its_new_records(tmp_path, model_cache):
    params_path = write_params(
        tmp_path / "params.yaml",
        tiny_overrides(model_cache) | {"evaluate": {"frozen_eval": "evalsets/v1.jsonl"}},
    )
    v1 = [_record(i, "design_plantuml_datastructure", DIAGRAM) for i in range(3)]
    write_jsonl(tmp_path / "evalsets/v1.jsonl", v1)
    with contextlib.chdir(tmp_path):
        params = load_params(params_path)
        write_json(params.base_model.descriptor, provision(params.base_model))
        model, tokenizer = load_model(resolve(params.base_model))
        first = prepare_eval_set(params, tokenizer, probes=False, projects=False)
        _, summary = evaluate_base(params, model, tokenizer, first)
        assert (summary["generated"], summary["reused"]) == (3, 0)
        stored = {
            r["record_id"]: r for r in read_jsonl(f"{params.evaluate.base_dir}/{GENERATIONS}")
        }

        # v2: v1 plus a record of another task (its own budget), and one v1 record dropped.
        v2 = v1[1:] + [_record(9, "write_test", "def test_c():\n    assert C().id == 1")]
        params = _version(params, "evalsets/v2.jsonl", v2)
        second = prepare_eval_set(params, tokenizer, probes=False, projects=False)
        rows, summary = evaluate_base(params, model, tokenizer, second)

        assert (summary["generated"], summary["reused"]) == (1, 2)
        assert [r["record_id"] for r in rows] == ["r01", "r02", "r09"]
        again = {r["record_id"]: r for r in read_jsonl(f"{params.evaluate.base_dir}/{GENERATIONS}")}
        assert set(again) == {"r01", "r02", "r09"}
        for kept in ("r01", "r02"):
            assert again[kept] == stored[kept]  # the stored answer, not a new one
        saved = read_json(f"{params.evaluate.base_dir}/{SUMMARY}")
        assert saved["budgets"] == {t: b.tokens for t, b in second.budgets.items()}
        assert read_base(params, second) is not None  # evaluate reuses them as they are

        # A longer reference raises the task's budget: its stored answers are generated again.
        v3 = [*v2[:-1], _record(9, "write_test", "def test_c():\n" + "    assert 1\n" * 30)]
        params = _version(params, "evalsets/v3.jsonl", v3)
        third = prepare_eval_set(params, tokenizer, probes=False, projects=False)
        _, summary = evaluate_base(params, model, tokenizer, third)
        assert (summary["generated"], summary["reused"]) == (1, 2)
