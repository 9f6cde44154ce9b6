"""One model on the eval set: answer losses, budgeted generations, scores, execution, retries.

Shared by the evaluate_base stage (the base model, once per base model and eval set) and the
evaluate stage (tuned and promoted models), so every model is scored the same way.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.evaluate.budget import Budget, task_budgets
from tasks.evaluate.execution import EXECUTABLE_TASKS, Project, execute, find_project, pass_at_k
from tasks.evaluate.regurgitation import regurgitation, sample_records
from tasks.evaluate.sandbox import Limits
from tasks.evaluate.score import score_record
from tasks.formats import validate_output
from tasks.generation import answer_losses, generate, resample_invalid, sample_completions
from tasks.io import read_jsonl, read_parquet
from tasks.params import Params
from tasks.progress import Progress
from tasks.prompting import build_messages, render_prompt
from tasks.record_encoding import encode


@dataclass
class EvalSet:
    frame: pd.DataFrame  # the eval records scored, sorted by task and record id
    label: str  # which set it is, for reports
    sha256: str  # digest of the records' ids and references: the same set, the same figures
    budgets: dict[str, Budget]
    projects: dict[str, Project]  # runnable projects by asset id (Python code tasks)
    train_sample: list[dict]  # train records probed for regurgitation


def load_eval_records(params: Params) -> tuple[list[dict], str]:
    """The frozen eval set when it exists, else the current eval split; and which it is."""
    frozen = Path(params.evaluate.frozen_eval)
    if frozen.exists():
        return read_jsonl(frozen), f"frozen ({frozen})"
    split = params.build_dataset.eval
    return read_jsonl(split), f"current eval split ({split}; no frozen set at {frozen})"


def eval_frame(records: list[dict], per_task: int | None) -> pd.DataFrame:
    """Every eval record (or the first `per_task` of each task), by task and record id."""
    frame = pd.DataFrame(records).sort_values(["task", "record_id"])
    if "method" not in frame:
        frame["method"] = None
    if per_task is not None:
        frame = frame.groupby("task").head(per_task)
    return frame.reset_index(drop=True)


def eval_set_digest(frame: pd.DataFrame) -> str:
    """sha256 over record ids, tasks and reference answers, in order."""
    digest = hashlib.sha256()
    columns = (frame["record_id"], frame["task"], frame["output"])
    for record_id, task, output in zip(*columns, strict=True):
        digest.update(f"{record_id}\x00{task}\x00{output}\x00".encode())
    return digest.hexdigest()


def find_projects(frame: pd.DataFrame, params: Params) -> dict[str, Project]:
    """Runnable projects (module + tests) by asset id for the executable records."""
    contents = read_parquet(params.identify_assets.contents)
    roots = {
        name: Path(source.path)
        for name, source in params.identify_assets.sources.items()
        if source.type in ("dir", "git")
    }
    inventory = read_parquet(params.identify_assets.inventory)
    assets = set(frame.loc[frame["task"].isin(EXECUTABLE_TASKS), "asset_id"])
    found = {
        asset: find_project(contents, asset, roots, inventory=inventory) for asset in sorted(assets)
    }
    return {asset: project for asset, project in found.items() if project is not None}


def prepare_eval_set(
    params: Params, tokenizer: Any, probes: bool = True, projects: bool = True
) -> EvalSet:
    """The eval records, their budgets, (`projects`) the runnable projects from step 1's
    inventory and (`probes`) the regurgitation probes from the train split. Without both, only
    the eval records are read: what evaluate_base needs, which runs before steps 1-2."""
    step = params.evaluate
    records, label = load_eval_records(params)
    frame = eval_frame(records, step.max_records_per_task)
    budgets = task_budgets(
        frame.to_dict("records"), tokenizer, step.budget_margin_tokens, step.max_new_tokens
    )
    for task, budget in budgets.items():
        if budget.capped:
            print(
                f"WARNING: evaluate.max_new_tokens {step.max_new_tokens} is below the longest "
                f"{task} reference ({budget.longest_reference} tokens): such answers are cut"
            )
    reg = step.regurgitation
    train_sample = []
    if probes:
        train_sample = sample_records(
            read_jsonl(params.build_dataset.train), reg.samples,
            reg.prefix_tokens + reg.match_tokens, tokenizer, reg.seed,
        )  # fmt: skip
    runnable = find_projects(frame, params) if projects else {}
    return EvalSet(frame, label, eval_set_digest(frame), budgets, runnable, train_sample)


def method_of(record: dict) -> str | None:
    """The implement_method target named by a record (absent on other tasks and old records)."""
    method = record.get("method")
    return method if isinstance(method, str) and method else None


def _execution(record: dict, outputs: list[str], project: Project, params: Params) -> dict:
    """pass@k over the samples of one record, each run in the sandbox."""
    step = params.evaluate.execution
    limits = Limits(
        step.timeout_s, step.cpu_s, step.memory_mb, step.file_mb,
        allow_unisolated=step.allow_unisolated,
    )  # fmt: skip
    outcomes = [execute(project, record, output, limits) for output in outputs]
    if any("no sandbox" in outcome.reason for outcome in outcomes):
        return {"execution": outcomes[0].reason}  # no sandbox: no score, never a zero
    passed = sum(outcome.passed for outcome in outcomes)
    return {
        f"pass@{k}": pass_at_k(len(outputs), passed, k) for k in step.k if k <= len(outputs)
    } | {"execution": outcomes[0].reason}


def _executable(record: dict) -> bool:
    return record["task"] in EXECUTABLE_TASKS and record["language"] == "python"


def _runnable(record: dict, eval_set: EvalSet) -> bool:
    return _executable(record) and record["asset_id"] in eval_set.projects


def regurgitation_rate(model: Any, tokenizer: Any, eval_set: EvalSet, params: Params) -> float:
    """Share of the probed train records the model continues verbatim."""
    step = params.evaluate
    regurgitated = regurgitation(
        model, tokenizer, eval_set.train_sample, params.prompt.system,
        step.regurgitation.prefix_tokens, step.regurgitation.match_tokens, step.batch_size,
    )  # fmt: skip
    return round(sum(regurgitated) / len(regurgitated), 4) if regurgitated else 0.0


def run_model(
    name: str,
    model: Any,
    tokenizer: Any,
    eval_set: EvalSet,
    params: Params,
    resample: bool = True,
) -> tuple[list[dict], dict]:
    """Scored rows (one per eval record) and a summary: generation seconds.

    `resample` False skips the validate-and-resample loop (the base model's stored answers are
    raw, so that they can be scored again with today's validators)."""
    system, step = params.prompt.system, params.evaluate
    records = eval_set.frame.to_dict("records")
    max_len = params.build_dataset.max_record_tokens
    examples = [encode(tokenizer, system, r, max_len) for r in records]
    losses = answer_losses(model, examples, tokenizer.pad_token_id, step.batch_size)
    prompts = [
        render_prompt(tokenizer, build_messages(system, r["instruction"], r["input"]))
        for r in records
    ]
    started = time.perf_counter()
    outputs: list[str] = [""] * len(records)
    retried: list[tuple[str, int, bool]] = [("", 1, False)] * len(records)
    bar = Progress(f"evaluate {name}", len(records), "answer")
    for task, budget in eval_set.budgets.items():
        index = [i for i, r in enumerate(records) if r["task"] == task]
        texts = generate(
            model, tokenizer, [prompts[i] for i in index], budget.tokens, step.batch_size,
            on_batch=lambda n, task=task: bar.update(n, task=task),
        )  # fmt: skip
        for i, text in zip(index, texts, strict=True):
            outputs[i] = text
        print(f"{name}: {task} {len(index)} answers (budget {budget.tokens} tokens)", flush=True)
    bar.close()
    if step.resample.tries and resample:
        # Every task's invalid answers in the same batches, each row with its task's budget:
        # a few invalid answers per task would otherwise each pay for a whole decode loop.
        def valid(i: int, text: str) -> bool:
            record = records[i]
            return not validate_output(record["task"], text, record["language"], method_of(record))

        budgets = [eval_set.budgets[r["task"]].tokens for r in records]
        retried = resample_invalid(
            model, tokenizer, prompts, outputs, valid, step.resample.tries, budgets,
            step.batch_size, step.resample.temperature, step.resample.top_p, step.resample.seed,
        )  # fmt: skip
        again = sum(tries > 1 for _, tries, _ in retried)
        print(
            f"{name}: {again} invalid answers resampled (up to {step.resample.tries})", flush=True
        )
    runnable = [i for i, r in enumerate(records) if _executable(r)]
    samples = {i: [outputs[i]] for i in runnable}
    if step.execution.samples > 1 and runnable:
        drawn_code = sample_completions(
            model, tokenizer, [prompts[i] for i in runnable], step.execution.samples,
            step.execution.temperature, max(b.tokens for b in eval_set.budgets.values()),
            step.batch_size,
        )  # fmt: skip
        samples = dict(zip(runnable, drawn_code, strict=True))
    seconds = time.perf_counter() - started
    rows = score_outputs(
        name, eval_set, outputs, params, losses, retried if resample else None, samples
    )
    print(f"{name}: {len(prompts)} eval records answered in {seconds:.1f}s", flush=True)
    return rows, {"seconds": round(seconds, 2)}


def score_outputs(
    name: str,
    eval_set: EvalSet,
    outputs: list[str],
    params: Params,
    losses: list[float] | None = None,
    retried: list[tuple[str, int, bool]] | None = None,
    samples: dict[int, list[str]] | None = None,
) -> list[dict]:
    """One scored row per eval record: format, task scores, validity@N, sandboxed execution.

    `samples` are the code samples per runnable record (default: the output itself).
    """
    records = eval_set.frame.to_dict("records")
    if samples is None:
        samples = {i: [outputs[i]] for i, r in enumerate(records) if _executable(r)}
    rows = []
    for i, (record, output) in enumerate(zip(records, outputs, strict=True)):
        row = {"model": name, "record_id": record["record_id"], "task": record["task"]}
        row |= {"output": output, "answer_loss": losses[i] if losses else None}
        row |= score_record(
            record["task"], method_of(record), record["language"], record["output"], output
        )
        if retried is not None and params.evaluate.resample.tries:
            row |= {"valid_at_n": retried[i][2] or row["format_valid"], "tries": retried[i][1]}
        if i in samples and len(samples[i]) > 1:
            row["code_samples"] = samples[i]  # kept, so stored answers can be run again
        if i in samples and _runnable(record, eval_set):
            row |= _execution(record, samples[i], eval_set.projects[record["asset_id"]], params)
        rows.append(row)
    return rows
