"""Latency of one completion through the server vs `generate` called in-process.

    python benchmarks/server.py [--params params.yaml] [--repeats 7] [--max-tokens 64] [--threads 1]

The server runs as `python -m tasks.serve` in a subprocess on the bundle it would serve
(promoted, else the quick start's bundles/latest); the baseline loads the same base model +
adapter in this process and calls `tasks.generation.generate` on the same templated prompt,
greedy, with the same max_tokens. Runs are interleaved (A, B, A, B, ...) on this noisy machine;
the medians and the server's overhead are printed. Both sides use the same number of torch
threads (--threads): on an oversubscribed 2-core VM two spinning OpenMP threads per process
made single-prompt generation several times slower and the comparison meaningless.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import torch  # noqa: E402

from tasks.base_model import resolve  # noqa: E402
from tasks.generation import generate, load_model  # noqa: E402
from tasks.io import read_json  # noqa: E402
from tasks.params import load_params  # noqa: E402
from tasks.prompting import build_messages, render_prompt  # noqa: E402
from tasks.serve.__main__ import bundle_to_serve  # noqa: E402

INSTRUCTION = "Write test for follow code"
CODE = "def fee(amount: int) -> int:\n    return max(100, amount // 100)"
PORT = 8765


def start_server(params_path: str, threads: int) -> subprocess.Popen:
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [sys.executable, "-m", "tasks.serve", "--params", params_path, "--port", str(PORT)],
        cwd=root,
        env=dict(os.environ) | {"PYTHONPATH": str(root), "OMP_NUM_THREADS": str(threads)},
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on both sides")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = load_params(args.params)
    bundle = bundle_to_serve(params)
    model, tokenizer = load_model(resolve(params.base_model), bundle / "adapter")
    system = read_json(bundle / "prompts.json")["system"]
    messages = build_messages(system, INSTRUCTION, CODE)
    prompt = render_prompt(tokenizer, messages)
    body = {"model": "m", "messages": messages[1:], "max_tokens": args.max_tokens}
    server = start_server(args.params, args.threads)
    direct, served = [], []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}/v1", timeout=300) as client:
            expected = generate(model, tokenizer, [prompt], args.max_tokens, 1)[0]
            answer = client.post("/chat/completions", json=body).json()  # warm-up
            assert answer["choices"][0]["message"]["content"] == expected, "outputs differ"
            for _ in range(args.repeats):
                start = time.perf_counter()
                generate(model, tokenizer, [prompt], args.max_tokens, 1)
                direct.append(time.perf_counter() - start)
                start = time.perf_counter()
                client.post("/chat/completions", json=body).raise_for_status()
                served.append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait()
    tokens = answer["usage"]["completion_tokens"]
    a, b = statistics.median(direct), statistics.median(served)
    print(
        f"bundle {bundle}, {tokens} completion tokens, {args.repeats} interleaved repeats, "
        f"{args.threads} torch thread(s) each"
    )
    print(f"  in-process generate: median {a * 1000:8.1f} ms")
    print(f"  through the server:  median {b * 1000:8.1f} ms")
    print(f"  overhead: {(b - a) * 1000:+.1f} ms ({(b / a - 1) * 100:+.1f} %, target <= 10 %)")


if __name__ == "__main__":
    main()
