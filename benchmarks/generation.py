"""Batched generation (tasks.generation.generate) vs a one-by-one generate loop.

The baseline is the plain loop a user would write: transformers' `model.generate` called once
per prompt (no padding, greedy, stopping at end of turn). Same model (the configured base
model, SmolLM2-135M by default), same eval prompts, same max_new_tokens, greedy on both
sides. Runs are interleaved A-B-B-A and repeated because the machine is shared; the figure is
the median time per side. Also checks that both sides give identical outputs. Needs the
eval split: `make run` or `dvc repro build_dataset`.

    python benchmarks/generation.py [--prompts 16] [--max-new-tokens N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import tasks  # noqa: E402, F401 - offline / no-telemetry environment
from tasks.base_model import resolve  # noqa: E402
from tasks.generation import generate, load_model  # noqa: E402
from tasks.io import read_jsonl  # noqa: E402
from tasks.params import load_params  # noqa: E402
from tasks.prompting import build_messages, render_prompt  # noqa: E402


def _generate_one(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int) -> str:
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        row = model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False, top_k=None,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        )[0, inputs["input_ids"].shape[1] :]  # fmt: skip
    return tokenizer.decode(row, skip_special_tokens=True).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, help="default: evaluate.max_new_tokens")
    parser.add_argument("--batch-size", type=int, help="default: evaluate.batch_size")
    parser.add_argument("--repeats", type=int, default=1, help="A-B-B-A rounds")
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    args = parser.parse_args()
    params = load_params(args.params)
    records = sorted(read_jsonl(REPO / params.build_dataset.eval), key=lambda r: r["record_id"])
    model, tokenizer = load_model(resolve(params.base_model))
    prompts = [
        render_prompt(tokenizer, build_messages(params.prompt.system, r["instruction"], r["input"]))
        for r in records[: args.prompts]
    ]
    n = len(prompts)
    tokens = args.max_new_tokens or params.evaluate.max_new_tokens
    batch_size = args.batch_size or params.evaluate.batch_size

    def batched() -> list[str]:
        return generate(model, tokenizer, prompts, tokens, batch_size)

    def one_by_one() -> list[str]:
        return [_generate_one(model, tokenizer, prompt, tokens) for prompt in prompts]

    runs = {"batched": batched, "one-by-one": one_by_one}
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, list[str]] = {}
    for _ in range(args.repeats):
        for name in ("batched", "one-by-one", "one-by-one", "batched"):
            started = time.perf_counter()
            outputs[name] = runs[name]()
            times[name].append(time.perf_counter() - started)
    a, b = statistics.median(times["batched"]), statistics.median(times["one-by-one"])
    print(f"{n} prompts, max_new_tokens={tokens}, batch_size={batch_size}, greedy")
    print(f"  one-by-one loop:  {b:7.1f} s  ({n / b:.2f} prompts/s)")
    print(f"  batched generate: {a:7.1f} s  ({n / a:.2f} prompts/s)")
    print(f"  speed-up: {b / a:.1f}x")
    same = sum(x == y for x, y in zip(outputs["batched"], outputs["one-by-one"], strict=True))
    print(f"  identical outputs: {same}/{n}")


if __name__ == "__main__":
    main()
