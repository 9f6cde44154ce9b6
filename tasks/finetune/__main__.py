"""Fine-tune LoRA adapters on the train split and write the adapter and training metrics."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from tasks.base_model import resolve
from tasks.finetune.train import train
from tasks.io import read_jsonl, write_json
from tasks.params import load_params, step_parser


def main(argv: list[str] | None = None) -> None:
    from dvclive import Live

    args = step_parser("Step 3: LoRA fine-tune of the base model.").parse_args(argv)
    params = load_params(args.params)
    step = params.finetune
    model_dir = resolve(params.base_model)
    records = read_jsonl(params.build_dataset.train)

    # dvcyaml=None: the stage's plots are declared in our dvc.yaml, not written by DVCLive.
    with Live(dir=step.live_dir, save_dvc_exp=False, dvcyaml=None, report=None) as live:

        def log_step(number: int, values: dict[str, float]) -> None:
            for name, value in values.items():
                live.log_metric(f"train/{name}", value)
            live.next_step()
            if number == 1 or number % 5 == 0:
                print(f"step {number}: loss {values['loss']:.4f}", flush=True)

        model, result = train(model_dir, records, params.prompt.system, step, log_step)

    Path(step.adapter_dir).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(step.adapter_dir)
    metrics = asdict(result) | {"tokens_per_second": round(result.tokens_per_second, 2)}
    write_json(step.metrics, metrics)
    print(
        f"trained {result.steps} steps on {result.train_records} records ({result.device}): "
        f"mean loss of the first / last steps {result.start_loss:.4f} -> {result.end_loss:.4f}, "
        f"{result.tokens_per_second:.0f} tokens/s"
    )


if __name__ == "__main__":
    main()
