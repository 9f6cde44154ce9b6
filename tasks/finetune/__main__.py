"""Fine-tune LoRA adapters on the train split and write the adapter and training metrics."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from tasks import init_pointer
from tasks.base_model import resolve
from tasks.finetune import init
from tasks.finetune.checkpoint import run_key
from tasks.finetune.train import train
from tasks.io import read_json, read_jsonl, sha256_bytes, sha256_file, write_json
from tasks.params import Params, load_params, step_parser
from tasks.progress import Progress


def headline(state: dict) -> dict:
    """What `dvc metrics show` prints for the fine-tune: steps and the training loss (the mean of
    the last steps); the full record (resume point, data order, throughput) is trainer_state."""
    return {"steps": state["steps"], "loss": round(state["end_loss"], 2)}


def consumed(params: Params) -> dict | None:
    """The feedback / asset snapshot of step 6's latest decision: what this training saw.

    Step 6 counts "new" feedback from it, so the retrain trigger moves on only when a model was
    actually trained, not each time ingestion decides (an hourly ingestion decides many times
    a day). Read here without being a DVC dep: it is bookkeeping, not an input of training.
    """
    decision = Path(params.ingest_feedback.retrain_decision)
    return read_json(decision)["snapshot"] if decision.exists() else None


def data_lineage(
    split: list[dict],
    records: list[dict],
    visited: list[int],
    selection: init.Selection | None,
    pairs: list[dict] = (),
) -> dict:
    """What the round trained on, for lineage (`python -m tasks.lineage`): sorted, so stable.

    `content_ids`: the whole train split the round started from (a continued round from this
    adapter counts as new what is not among them); `record_ids`: the records it was given;
    `visited_record_ids`: those in at least one trained micro-batch; `event_ids`: the feedback
    events behind the visited records and DPO pairs `pairs` (`unvisited_event_ids`: given,
    never reached; `preference_pairs`: how many pairs it trained on).
    """
    visited_keys = {init.record_key(records[i]) for i in visited}
    events_of = {init.record_key(r): set(r.get("event_ids") or []) for r in records}
    events = set().union(*(events_of[k] for k in visited_keys))
    events |= {event for pair in pairs for event in pair.get("event_ids") or []}
    given = set().union(*events_of.values())
    return {
        "content_ids": sorted(init.content_id(r) for r in split),
        "split_records": len(split),
        "record_ids": sorted(init.record_key(r) for r in records),
        "visited_record_ids": sorted(visited_keys),
        "event_ids": sorted(events),
        "unvisited_event_ids": sorted(given - events),
        "new_records": selection.new if selection else len(split),
        "replayed_records": selection.replayed if selection else 0,
    } | ({"preference_pairs": len(pairs)} if pairs else {})


def keep_promoted(params: Params, adapter: init_pointer.InitAdapter) -> None:
    """Nothing new since the promoted version: its adapter and trainer_state become this round's
    outputs unchanged (so evaluate and export see the same files and need not run again)."""
    step = params.finetune
    if adapter.trainer_state is None:
        raise SystemExit(f"promoted bundle {adapter.bundle} has no {init_pointer.TRAINER_STATE}")
    shutil.rmtree(step.adapter_dir, ignore_errors=True)
    shutil.copytree(adapter.adapter_dir, step.adapter_dir)
    write_json(step.trainer_state, adapter.trainer_state)
    write_json(step.metrics, headline(adapter.trainer_state))
    Path(step.live_dir).mkdir(parents=True, exist_ok=True)
    print(
        f"no new records since the promoted version {adapter.version} (every train record's "
        "content id is among the ones it started from): its adapter and trainer_state are kept "
        "as this round's, nothing trained"
    )


def preference_pairs(params: Params, adapter: init_pointer.InitAdapter | None) -> list[dict]:
    """The DPO pairs this run trains on (none while finetune.preference.weight is 0): step 6's,
    less those whose events the promoted adapter of a continued round already learned from."""
    if not params.finetune.preference.weight:
        return []
    path = Path(params.ingest_feedback.dpo)
    if not path.is_file():
        raise SystemExit(f"finetune.preference.weight > 0 but {path} does not exist: run step 6 "
                         "(`dvc repro ingest_feedback`) first")  # fmt: skip
    pairs = read_jsonl(path)
    if adapter is not None:
        seen = adapter.seen_event_ids()
        pairs = [p for p in pairs if not set(p.get("event_ids") or []) <= seen]
    return pairs


def main(argv: list[str] | None = None) -> None:
    import torch
    from accelerate import PartialState
    from dvclive import Live

    args = step_parser("Step 3: LoRA fine-tune of the base model.").parse_args(argv)
    params = load_params(args.params)
    step = params.finetune
    model_dir = resolve(params.base_model)
    split = read_jsonl(params.build_dataset.train)
    adapter, note = init_pointer.resolve(params)
    # What this round read: the stage's dep (recorded after the run) names it.
    init_pointer.write_pointer(params, init_pointer.pointer(step, adapter, note))
    if note:
        print(note, flush=True)
    records, selection = split, None
    if adapter is not None:
        seen = adapter.seen_content_ids()
        selection = init.select(split, seen, step.replay.share, step.seed, adapter.seen_event_ids())
        if not selection.records:
            keep_promoted(params, adapter)
            return
        records = selection.records
        print(
            f"continuing from the promoted adapter {adapter.version}: training on "
            f"{selection.new} new records and {selection.replayed} replayed "
            f"(of {selection.earlier} earlier; finetune.replay.share {step.replay.share})",
            flush=True,
        )
        weights = init.focused_weights(selection, step.task_weights, step.replay.focus)
        if weights != step.task_weights:
            print(f"task turns focused on the corrected tasks: {weights}", flush=True)
            step = step.model_copy(update={"task_weights": weights})
    pairs = preference_pairs(params, adapter)
    if pairs:
        print(f"DPO on {len(pairs)} preference pairs (finetune.preference.weight "
              f"{step.preference.weight}, beta {step.preference.beta})", flush=True)  # fmt: skip
    key = run_key(
        Path(params.build_dataset.train), model_dir, step.model_dump(), params.prompt.system,
        adapter.identity() if adapter else None,
        sha256_bytes(json.dumps(pairs, sort_keys=True).encode()) if pairs else None,
    )  # fmt: skip
    run_dir = Path(step.checkpoint_dir) / key
    # Under `accelerate launch` every process trains; only the first one logs and writes.
    main_process = PartialState(cpu=not torch.cuda.is_available()).is_main_process
    # dvcyaml=None: the stage's plots are declared in our dvc.yaml, not written by DVCLive.
    live = (
        Live(dir=step.live_dir, save_dvc_exp=False, dvcyaml=None, report=None)
        if main_process
        else contextlib.nullcontext()
    )
    bar: Progress | None = None
    with live:

        def log_step(number: int, values: dict[str, float], steps: int) -> None:
            nonlocal bar
            for name, value in values.items():
                live.log_metric(f"train/{name}", value)
            live.next_step()
            if bar is None:  # a resumed run starts at its checkpoint's step
                bar = Progress("fine-tune", steps, "step")
                bar.n, bar.started = number - 1, started
            bar.update(1, loss=values["loss"], tok_s=round(values["tokens_per_second"]))

        if main_process and any(run_dir.glob("step-*")):
            print(f"checkpoints found in {run_dir}: resuming", flush=True)
        started = time.perf_counter()  # the rate and ETA count from here, not from step 1
        first = selection.new_indices if selection else ()
        model, result = train(
            model_dir,
            records,
            params.prompt.system,
            step,
            log_step,
            run_dir,
            adapter,
            first,
            pairs,
        )
        if bar is not None:
            bar.close()
    if not main_process:
        return

    Path(step.adapter_dir).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(step.adapter_dir)
    # peft writes its empty model-card template next to the weights; the bundle has a real card
    (Path(step.adapter_dir) / "README.md").unlink(missing_ok=True)
    state = asdict(result) | {"tokens_per_second": round(result.tokens_per_second, 2)}
    visited = state.pop("visited")
    visited_pairs = [pairs[i] for i in state.pop("visited_pairs")]
    start = {"from": "base"} if adapter is None else adapter.identity()
    start |= {"requested": step.init} | ({"note": note} if note else {})
    record = {"run_key": key, "params": step.model_dump(), "feedback_snapshot": consumed(params)}
    record |= {"init": start, "train_sha256": sha256_file(params.build_dataset.train)}
    record["data"] = data_lineage(split, records, visited, selection, visited_pairs)
    write_json(step.trainer_state, state | record)
    write_json(step.metrics, headline(state))
    shutil.rmtree(run_dir, ignore_errors=True)  # the adapter is saved: checkpoints are spent
    if result.resumed_from_step:
        print(f"resumed from step {result.resumed_from_step}")
    print(
        f"trained {result.steps} steps on {result.train_records} records ({result.device}): "
        f"mean loss of the first / last steps {result.start_loss:.4f} -> {result.end_loss:.4f}, "
        f"{result.tokens_per_second:.0f} tokens/s"
    )


if __name__ == "__main__":
    main()
