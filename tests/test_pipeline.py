"""The whole DAG through `dvc repro` in a throw-away repository, on the tiny model."""

import json

import pytest
import yaml

from tests.support import fake_aws_key_id, run

pytestmark = pytest.mark.slow

STAGES = [
    "base_model",
    "scan_source@samples",
    "identify_assets",
    "gate_assets",
    "ingest_feedback",
    "gate_feedback",
    "build_dataset",
    "gate_dataset",
    "finetune",
    "evaluate_base",
    "evaluate",
    "export",
]


def ran_stages(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def test_dvc_repro_runs_every_stage_then_nothing(repo_copy):
    first = run(["dvc", "repro"], repo_copy)
    assert sorted(ran_stages(first.stdout)) == sorted(STAGES)

    second = run(["dvc", "repro"], repo_copy)
    assert ran_stages(second.stdout) == []

    metrics = json.loads(run(["dvc", "metrics", "show", "--json"], repo_copy).stdout)
    overall = metrics[""]["data"]["reports/evaluate/metrics/overall.json"]["data"]
    assert {"base", "tuned", "delta", "improved", "valid", "promoted"} <= overall.keys()
    assert {"steps", "loss"} <= metrics[""]["data"]["reports/finetune/metrics.json"]["data"].keys()
    dag = run(["dvc", "dag"], repo_copy).stdout
    assert "gate_dataset" in dag and "finetune" in dag

    bundle = repo_copy / "bundles" / "latest"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "adapter/adapter_model.safetensors" in manifest["files"]
    assert (bundle / "MODEL_CARD.md").exists() and (bundle / "prompts.json").exists()
    train = (repo_copy / "data" / "dataset" / "train.jsonl").read_text().splitlines()
    assert {"instruction", "input", "output"} <= json.loads(train[0]).keys()


def test_changing_one_param_reruns_only_the_stages_that_use_it(repo_copy):
    run(["dvc", "repro"], repo_copy)
    params = yaml.safe_load((repo_copy / "params.yaml").read_text())
    params["evaluate"]["gate"]["tolerance"] = 0.1
    (repo_copy / "params.yaml").write_text(
        yaml.safe_dump(params, sort_keys=False, allow_unicode=True)
    )
    rerun = run(["dvc", "repro"], repo_copy)
    # export reran only if the decision (its dep) changed: here it did not
    assert ran_stages(rerun.stdout) == ["evaluate"]


def test_a_leaked_secret_stops_the_pipeline_at_the_assets_gate(repo_copy):
    leak = repo_copy / "samples" / "python" / "ledger" / "ledger" / "leak.py"
    leak.write_text("def connect(host: str) -> str:\n    return f'https://{host}/api'\n")
    run(["dvc", "repro", "identify_assets"], repo_copy)
    # Simulate a scrubber regression: put a raw key into the scrubbed content store.
    import pandas as pd

    key_id = fake_aws_key_id()
    contents_path = repo_copy / "data" / "assets" / "contents.parquet"
    contents = pd.read_parquet(contents_path)
    contents.loc[contents["path"].str.endswith("leak.py"), "text"] += f"KEY = '{key_id}'\n"
    contents.to_parquet(contents_path, index=False)

    failed = run(["python", "-m", "tasks.gates", "assets"], repo_copy, check=False)

    assert failed.returncode == 1
    assert "secret_left" in failed.stderr and "leak.py" in failed.stderr
    assert key_id not in failed.stderr + failed.stdout
    report = json.loads((repo_copy / "reports" / "gates" / "assets.json").read_text())
    assert report["success"] is False
    assert (repo_copy / "reports" / "gates" / "assets" / "data_docs" / "index.html").exists()
