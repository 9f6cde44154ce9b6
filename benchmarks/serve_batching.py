"""Answers asked for together (decoded as one batch) vs the same answers asked one by one.

    python benchmarks/serve_batching.py [--params params.yaml] [--requests 8] [--repeats 3]
        [--max-tokens 128]

One server (`python -m tasks.serve`, the bundle it would serve) answers the first `--requests`
frozen eval prompts (`build_dataset.eval`, greedy, `--max-tokens` each) in two ways, interleaved
`--repeats` times: one request after another (each a batch of one, the server before batching)
and all at once from as many client threads (one batch of up to `serve.batch_size`). Prints
the median wall time of each, their ratio and whether the answers are the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.server import PORT, start_server  # noqa: E402
from tasks.io import read_jsonl  # noqa: E402
from tasks.params import load_params  # noqa: E402
from tasks.prompting import build_messages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="the server's torch threads")
    args = parser.parse_args()
    params = load_params(args.params)
    records = list(read_jsonl(params.build_dataset.eval))[: args.requests]
    bodies = [
        {"model": "m", "temperature": 0, "max_tokens": args.max_tokens,
         "messages": build_messages(params.prompt.system, r["instruction"], r["input"])}
        for r in records
    ]  # fmt: skip
    server = start_server(args.params, args.threads)
    timings: dict[str, list[float]] = {"one by one": [], "together": []}
    answers: dict[str, list[str]] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}/v1", timeout=600) as client:

            def ask(body: dict) -> str:
                reply = client.post("/chat/completions", json=body)
                reply.raise_for_status()
                return reply.json()["choices"][0]["message"]["content"]

            ask(bodies[0])  # warm-up
            with ThreadPoolExecutor(len(bodies)) as pool:
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    answers["one by one"] = [ask(body) for body in bodies]
                    timings["one by one"].append(time.perf_counter() - start)
                    start = time.perf_counter()
                    answers["together"] = list(pool.map(ask, bodies))
                    timings["together"].append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait()
    alone, batched = (statistics.median(timings[k]) for k in ("one by one", "together"))
    same = sum(a == b for a, b in zip(answers["one by one"], answers["together"], strict=True))
    print(
        f"{len(bodies)} eval prompts, max_tokens {args.max_tokens}, serve.batch_size "
        f"{params.serve.batch_size}, {args.repeats} interleaved repeats, {args.threads} threads"
    )
    print(f"  one by one: median {alone:7.1f} s ({alone / len(bodies):.2f} s per answer)")
    print(f"  together:   median {batched:7.1f} s ({batched / len(bodies):.2f} s per answer)")
    print(f"  speed-up {alone / batched:.2f}x; answers identical: {same}/{len(bodies)}")


if __name__ == "__main__":
    main()
