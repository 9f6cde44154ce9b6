"""A throw-away working directory holding everything step 5 reads, on the tiny model."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.io import write_json
from tests.support import REPO, merged, run, tiny_overrides, write_params

TASKS = ("write_test", "implement_method")


def metrics() -> dict:
    """A details.json in step 4's shape."""
    side = {
        task: {"format_valid": 0.5, "answer_loss": 2.0, "primary": 0.5, "primary_metric": "pass@1"}
        for task in (*TASKS, "overall")
    }
    tie = {"n": 10, "before": 0.5, "after": 0.5, "delta": 0.0, "low": -0.1, "high": 0.1,
           "verdict": "tie"}  # fmt: skip
    return {"base": side, "tuned": side, "comparisons": {"base": dict.fromkeys(TASKS, tie)}}


def build_workspace(root: Path, model_cache: Path, overrides: dict | None = None) -> Path:
    """params.yaml, base-model descriptor, a random LoRA adapter, metrics and a promotion."""
    import torch
    from peft import LoraConfig, get_peft_model

    from tasks.base_model import provision
    from tasks.generation import load_model
    from tasks.params import load_params

    root.mkdir(parents=True, exist_ok=True)
    write_params(root / "params.yaml", merged(tiny_overrides(model_cache), overrides or {}))
    params = load_params(root / "params.yaml")
    descriptor = provision(params.base_model)
    write_json(root / params.base_model.descriptor, descriptor)
    model, _ = load_model(Path(descriptor["path"]))
    torch.manual_seed(0)
    # Random (not zero) LoRA B matrices, so the adapter really changes the outputs.
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(root / params.finetune.adapter_dir)
    write_json(root / params.evaluate.details, metrics())
    write_json(root / params.evaluate.promotion, {"promoted": True, "reasons": ["test run"]})
    return root


def export(root: Path) -> None:
    """Run step 5 in `root` as the pipeline does."""
    env = dict(os.environ) | {"PYTHONPATH": str(REPO)}
    run(["python", "-m", "tasks.export", "--params", "params.yaml"], root, env=env)
