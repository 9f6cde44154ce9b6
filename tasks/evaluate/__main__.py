"""Generate on the eval split with the base and the tuned model, score, and decide promotion."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from tasks.base_model import resolve
from tasks.evaluate.report import promotion_decision, write_report
from tasks.evaluate.score import score_record, task_metrics
from tasks.finetune.data import encode
from tasks.generation import answer_losses, generate, load_model, merge_adapter
from tasks.io import read_jsonl, write_json, write_jsonl
from tasks.params import Params, load_params, step_parser
from tasks.prompting import build_messages, render_prompt


def eval_sample(records: list[dict], per_task: int) -> pd.DataFrame:
    """The first `per_task` eval records of each task, by record id (stable across runs)."""
    frame = pd.DataFrame(records).sort_values(["task", "record_id"])
    return frame.groupby("task").head(per_task).reset_index(drop=True)


def method_of(record) -> str | None:
    """The implement_method target named by a record (absent on other tasks and old records)."""
    method = getattr(record, "method", None)
    return method if isinstance(method, str) and method else None


def run_model(name: str, model, tokenizer, sample: pd.DataFrame, params: Params):
    """Answer loss on the references, then greedy generations, scored per record."""
    system, step = params.prompt.system, params.evaluate
    max_len = params.build_dataset.max_record_tokens
    examples = [encode(tokenizer, system, r, max_len) for r in sample.to_dict("records")]
    losses = answer_losses(model, examples, tokenizer.pad_token_id, step.batch_size)
    prompts = [
        render_prompt(tokenizer, build_messages(system, r.instruction, r.input))
        for r in sample.itertuples()
    ]
    started = time.perf_counter()
    outputs = generate(model, tokenizer, prompts, step.max_new_tokens, step.batch_size)
    seconds = time.perf_counter() - started
    rows = [
        {
            "model": name,
            "record_id": r.record_id,
            "task": r.task,
            "output": out,
            "answer_loss": loss,
        }
        | score_record(r.task, method_of(r), r.language, r.output, out)
        for r, out, loss in zip(sample.itertuples(), outputs, losses, strict=True)
    ]
    print(f"{name}: {len(prompts)} generations in {seconds:.1f}s", flush=True)
    return rows, seconds


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 4: evaluate base vs tuned on the eval split.").parse_args(argv)
    params = load_params(args.params)
    step = params.evaluate
    sample = eval_sample(read_jsonl(params.build_dataset.eval), step.max_records_per_task)
    model_dir = resolve(params.base_model)
    model, tokenizer = load_model(model_dir)
    base_rows, base_s = run_model("base", model, tokenizer, sample, params)
    model = merge_adapter(model, Path(params.finetune.adapter_dir))
    tuned_rows, tuned_s = run_model("tuned", model, tokenizer, sample, params)

    scored = pd.DataFrame(base_rows + tuned_rows)
    metrics = task_metrics(scored)
    decision = promotion_decision(metrics)
    metrics["promotion"] = {"promoted": decision["promoted"]}
    metrics["generation_seconds"] = {"base": round(base_s, 2), "tuned": round(tuned_s, 2)}
    write_json(step.metrics, metrics)
    write_jsonl(step.generations, scored.to_dict("records"))
    plot_rows = [
        {"task": f"{task} ({model_name})", "format_valid": values["format_valid"]}
        for task in metrics["tuned"]
        for model_name in ("base", "tuned")
        for values in [metrics[model_name][task]]
    ]
    write_json(step.plot, plot_rows)
    write_report(step.report, sample, scored, metrics, decision)
    write_json(step.promotion, decision)
    for model_name in ("base", "tuned"):
        print(
            f"{model_name}: "
            + ", ".join(
                f"{task}={v['format_valid']:.2f}" for task, v in metrics[model_name].items()
            )
        )
    verdict = "promoted" if decision["promoted"] else "not promoted"
    print(f"promotion: {verdict} ({decision['reasons'][0]})")


if __name__ == "__main__":
    main()
