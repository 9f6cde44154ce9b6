"""Generate on the frozen eval set with base, tuned (and promoted) model, score, decide."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from tasks.base_model import resolve
from tasks.evaluate.execution import EXECUTABLE_TASKS, Project, execute, find_project, pass_at_k
from tasks.evaluate.regurgitation import regurgitation, sample_records
from tasks.evaluate.report import promotion_decision, render_report, write_report
from tasks.evaluate.sandbox import Limits, network_namespace_available
from tasks.evaluate.score import score_record, task_metrics
from tasks.finetune.data import encode
from tasks.generation import answer_losses, generate, load_model, merge_adapter, sample_completions
from tasks.io import read_jsonl, read_parquet, write_json, write_jsonl
from tasks.params import Params, load_params, step_parser
from tasks.prompting import build_messages, render_prompt

FRACTIONS = ("primary", "format_valid", "exact_match", "cell_valid", "syntax_valid", "pass@1")


def eval_sample(records: list[dict], per_task: int) -> pd.DataFrame:
    """The first `per_task` eval records of each task, by record id (stable across runs)."""
    frame = pd.DataFrame(records).sort_values(["task", "record_id"])
    if "method" not in frame:
        frame["method"] = None
    return frame.groupby("task").head(per_task).reset_index(drop=True)


def load_eval_set(params: Params) -> tuple[list[dict], str]:
    """The frozen eval set when it exists, else the current eval split; and which it is."""
    frozen = Path(params.evaluate.frozen_eval)
    if frozen.exists():
        return read_jsonl(frozen), f"frozen ({frozen})"
    split = params.build_dataset.eval
    return read_jsonl(split), f"current eval split ({split}; no frozen set at {frozen})"


def method_of(record: dict) -> str | None:
    """The implement_method target named by a record (absent on other tasks and old records)."""
    method = record.get("method")
    return method if isinstance(method, str) and method else None


def find_projects(frame: pd.DataFrame, params: Params) -> dict[str, Project]:
    """Runnable projects (module + tests) by asset id for the sample's executable records."""
    contents = read_parquet(params.identify_assets.contents)
    roots = {
        name: Path(source.path)
        for name, source in params.identify_assets.sources.items()
        if source.type in ("dir", "git")
    }
    assets = set(frame.loc[frame["task"].isin(EXECUTABLE_TASKS), "asset_id"])
    found = {asset: find_project(contents, asset, roots) for asset in sorted(assets)}
    return {asset: project for asset, project in found.items() if project is not None}


def execution_scores(record: dict, outputs: list[str], project: Project, params: Params) -> dict:
    """pass@k over the samples of one record, each run in the sandbox."""
    step = params.evaluate.execution
    limits = Limits(step.timeout_s, step.cpu_s, step.memory_mb, step.file_mb)
    outcomes = [execute(project, record, output, limits) for output in outputs]
    passed = sum(outcome.passed for outcome in outcomes)
    return {
        f"pass@{k}": pass_at_k(len(outputs), passed, k) for k in step.k if k <= len(outputs)
    } | {"execution": outcomes[0].reason}


def run_model(name: str, model, tokenizer, frame: pd.DataFrame, context: dict, params: Params):
    """Answer losses, generations, scores and execution per record; regurgitation rate."""
    system, step = params.prompt.system, params.evaluate
    records = frame.to_dict("records")
    max_len = params.build_dataset.max_record_tokens
    examples = [encode(tokenizer, system, r, max_len) for r in records]
    losses = answer_losses(model, examples, tokenizer.pad_token_id, step.batch_size)
    prompts = [
        render_prompt(tokenizer, build_messages(system, r["instruction"], r["input"]))
        for r in records
    ]
    started = time.perf_counter()
    outputs = generate(model, tokenizer, prompts, step.max_new_tokens, step.batch_size)
    projects = context["projects"]
    runnable = [
        i
        for i, r in enumerate(records)
        if r["task"] in EXECUTABLE_TASKS and r["language"] == "python" and r["asset_id"] in projects
    ]
    samples = {i: [outputs[i]] for i in runnable}
    if step.execution.samples > 1 and runnable:
        drawn = sample_completions(
            model, tokenizer, [prompts[i] for i in runnable], step.execution.samples,
            step.execution.temperature, step.max_new_tokens, step.batch_size,
        )  # fmt: skip
        samples = dict(zip(runnable, drawn, strict=True))
    seconds = time.perf_counter() - started
    rows = []
    for i, (record, output, loss) in enumerate(zip(records, outputs, losses, strict=True)):
        row = {"model": name, "record_id": record["record_id"], "task": record["task"]}
        row |= {"output": output, "answer_loss": loss}
        row |= score_record(
            record["task"], method_of(record), record["language"], record["output"], output
        )
        if i in samples:
            row |= execution_scores(record, samples[i], projects[record["asset_id"]], params)
        rows.append(row)
    regurgitated = regurgitation(
        model, tokenizer, context["train_sample"], system, step.regurgitation.prefix_tokens,
        step.regurgitation.match_tokens, step.batch_size,
    )  # fmt: skip
    rate = sum(regurgitated) / len(regurgitated) if regurgitated else 0.0
    print(f"{name}: {len(prompts)} generations in {seconds:.1f}s, regurgitation {rate:.2f}")
    return rows, seconds, rate


def plot_rows(metrics: dict, task: str, models: list[str]) -> list[dict]:
    """One bar per 0..1 metric and model, for the task's plot."""
    return [
        {"metric": f"{metric} ({model})", "value": metrics[model][task][metric]}
        for metric in FRACTIONS
        for model in models
        if metric in metrics[model][task]
    ]


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 4: evaluate base vs tuned (vs promoted).").parse_args(argv)
    params = load_params(args.params)
    step = params.evaluate
    records, eval_set = load_eval_set(params)
    sample_frame = eval_sample(records, step.max_records_per_task)
    model_dir = resolve(params.base_model)
    model, tokenizer = load_model(model_dir)
    reg = step.regurgitation
    context = {
        "projects": find_projects(sample_frame, params),
        "train_sample": sample_records(
            read_jsonl(params.build_dataset.train), reg.samples,
            reg.prefix_tokens + reg.match_tokens, tokenizer, reg.seed,
        ),
    }  # fmt: skip
    sandbox = "unshare -n + socket guard" if network_namespace_available() else "socket guard"
    print(f"eval set: {eval_set}; {len(context['projects'])} executable assets ({sandbox})")
    results = {"base": run_model("base", model, tokenizer, sample_frame, context, params)}
    model = merge_adapter(model, Path(params.finetune.adapter_dir))
    results["tuned"] = run_model("tuned", model, tokenizer, sample_frame, context, params)
    bundle = promoted_bundle_dir(params)
    if bundle is not None:
        model, tokenizer = load_model(model_dir, bundle / "adapter")
        results["promoted"] = run_model("promoted", model, tokenizer, sample_frame, context, params)

    scored = pd.DataFrame([row for rows, _, _ in results.values() for row in rows])
    metrics = task_metrics(scored)
    metrics["regurgitation"] = {name: round(rate, 4) for name, (_, _, rate) in results.items()}
    metrics["generation_seconds"] = {name: round(s, 2) for name, (_, s, _) in results.items()}
    decision = promotion_decision(metrics, step.gate)
    metrics["promotion"] = {"promoted": decision["promoted"]}
    write_json(step.metrics, metrics)
    write_jsonl(
        step.generations, scored.astype(object).where(scored.notna(), None).to_dict("records")
    )
    models = list(results)
    for task in metrics["tuned"]:
        if task != "overall":
            write_json(Path(step.plots_dir) / f"{task}.json", plot_rows(metrics, task, models))
    write_report(step.report, render_report(sample_frame, scored, metrics, decision, eval_set))
    write_json(step.promotion, decision | {"eval_set": eval_set, "promoted_bundle": str(bundle)})
    for name in models:
        summary = ", ".join(
            f"{task}={v['primary']:.2f}" for task, v in metrics[name].items() if task != "overall"
        )
        print(f"{name} (primary metric): {summary}")
    verdict = "promoted" if decision["promoted"] else "not promoted"
    print(f"promotion: {verdict} ({decision['reasons'][0]})")


def promoted_bundle_dir(params: Params) -> Path | None:
    """The last promoted bundle from the registry of the export step, if there is one."""
    from tasks.export.registry import promoted_bundle

    return promoted_bundle(params.export.registry_dir)


if __name__ == "__main__":
    main()
