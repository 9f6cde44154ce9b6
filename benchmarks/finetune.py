"""Our LoRA trainer vs a plain transformers Trainer + peft script, same model, records and answers.

Both sides train the configured base model (SmolLM2-135M by default) with the same LoRA
settings on the same records, each record once, with the same labels (answer tokens only), so
both learn from exactly the same answer tokens. The baseline is the script most people write
first: `Trainer` with a collator that pads every batch to `max_seq_len`. Ours groups records
of similar length (padding only to the longest in a batch), or packs them into rows with
`--packing`, and projects logits only where answers are predicted.

Each side runs in its own process so peak memory (max RSS) is its own. Model loading is
excluded from the timings. Needs the train split: `make run` or `dvc repro build_dataset`.

    python benchmarks/finetune.py [--records 32] [--repeats 2] [--packing] [--params params.yaml]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ABBA = ("trainer", "ours", "ours", "trainer")
sys.path.insert(0, str(REPO))

import tasks  # noqa: E402, F401 - offline / no-telemetry environment
from tasks.io import read_jsonl  # noqa: E402
from tasks.params import load_params  # noqa: E402


def pick_records(params, count: int) -> list[dict]:
    """A seed-determined sample of the train split, every task represented."""
    train = Path(params.build_dataset.train)
    if not train.exists():
        sys.exit(f"{train} is missing: run `make run` or `dvc repro build_dataset` first")
    records = read_jsonl(train)
    random.Random(0).shuffle(records)
    return records[:count]


def run_ours(params, records: list[dict], packing: bool) -> dict:
    from tasks.base_model import resolve
    from tasks.finetune.train import train

    steps = math.ceil(len(records) / params.finetune.micro_batch_size)
    settings = params.finetune.model_copy(
        update={
            "max_steps": steps,
            "epochs": None,
            "grad_accum": 1,
            "task_sampling": "natural",
            "packing": packing,
        }
    )
    _, result = train(resolve(params.base_model), records, params.prompt.system, settings)
    return {"answer_tokens": result.answer_tokens, "seconds": result.seconds, "steps": steps}


def run_trainer(params, records: list[dict]) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from tasks.base_model import resolve
    from tasks.record_encoding import IGNORE_INDEX, encode

    settings = params.finetune
    model_dir = resolve(params.base_model)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples = [encode(tokenizer, params.prompt.system, r, settings.max_seq_len) for r in records]
    width = settings.max_seq_len

    def pad_to_max_len(batch: list) -> dict[str, torch.Tensor]:
        def padded(values: list[int], fill: int) -> list[int]:
            return values + [fill] * (width - len(values))

        return {
            "input_ids": torch.tensor([padded(e.input_ids, tokenizer.pad_token_id) for e in batch]),
            "labels": torch.tensor([padded(e.labels, IGNORE_INDEX) for e in batch]),
            "attention_mask": torch.tensor([padded([1] * len(e.input_ids), 0) for e in batch]),
        }

    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32),
        LoraConfig(
            r=settings.lora.r,
            lora_alpha=settings.lora.alpha,
            lora_dropout=settings.lora.dropout,
            target_modules=settings.lora.target_modules,
            task_type="CAUSAL_LM",
        ),
    )
    steps = math.ceil(len(records) / settings.micro_batch_size)
    arguments = TrainingArguments(
        output_dir=str(REPO / ".cache" / "benchmark-trainer"),
        per_device_train_batch_size=settings.micro_batch_size,
        max_steps=steps,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.lr_scheduler,
        warmup_steps=settings.warmup_steps,
        seed=settings.seed,
        use_cpu=not torch.cuda.is_available(),
        save_strategy="no",
        report_to=[],
        logging_strategy="no",
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model, args=arguments, train_dataset=examples, data_collator=pad_to_max_len
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    answer_tokens = sum(e.answer_tokens for e in examples)
    return {"answer_tokens": answer_tokens, "seconds": seconds, "steps": steps}


def measure(mode: str, count: int, params_file: str, packing: bool) -> dict:
    params = load_params(params_file)
    records = pick_records(params, count)
    result = run_ours(params, records, packing) if mode == "ours" else run_trainer(params, records)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result | {"peak_rss_mib": peak_kib / 1024, "records": len(records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=32)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--packing", action="store_true", help="ours packs rows")
    parser.add_argument("--repeats", type=int, default=2, help="runs per side (ABBA order)")
    parser.add_argument("--mode", choices=["ours", "trainer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:  # a child process: measure one side, print JSON
        print(json.dumps(measure(args.mode, args.records, args.params, args.packing)))
        return

    # ABBA order, each side twice: on a shared machine the load drifts during a run.
    runs: dict[str, list[dict]] = {"trainer": [], "ours": []}
    order = ABBA * (args.repeats // 2) + ("trainer", "ours") * (args.repeats % 2)
    for mode in order:
        child = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--records", str(args.records)]
            + ["--params", args.params]
            + (["--packing"] if args.packing else []),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        runs[mode].append(json.loads(child.stdout.strip().splitlines()[-1]))
    ours_label = "ours (packed rows)" if args.packing else "ours (length-grouped)"
    labels = {"trainer": "Trainer + peft, padded to max_seq_len", "ours": ours_label}
    print(f"{args.records} records, each once per run; same answer tokens on both sides")
    rates = {}
    for mode, results in runs.items():
        assert len({r["answer_tokens"] for r in results}) == 1
        seconds = sum(r["seconds"] for r in results) / len(results)
        tokens = results[0]["answer_tokens"]
        rates[mode] = tokens / seconds
        peak = max(r["peak_rss_mib"] for r in results)
        print(
            f"{labels[mode]:40s} {tokens:6d} answer tokens in {seconds:7.1f} s (mean of "
            f"{len(results)}) = {rates[mode]:6.1f} answer tokens/s, peak RSS {peak:6.0f} MiB"
        )
    assert runs["ours"][0]["answer_tokens"] == runs["trainer"][0]["answer_tokens"]
    print(f"speed-up (answer tokens/s, ours / Trainer): {rates['ours'] / rates['trainer']:.2f}x")


if __name__ == "__main__":
    main()
