"""Step 6 at scale: one million synthetic feedback events validated, de-duplicated and converted.

Generates schema-v1 events as JSONL in a temporary folder (a mix of accept / reject / edit,
2% repeated event ids, 1% invalid lines, 1% carrying an e-mail address or a password), then
times the whole step: reading from the watermark, parsing, validation, de-duplication by event
id, scrubbing (included: the step-1 scrubber on every text its fast pre-filter flags), the
ledger commits, and regenerating every output (events / rejects Parquet, SFT / DPO / KTO
JSONL, metrics), printing wall and CPU seconds (the machine is shared: the load average says
how much), and compares them with a floor, orjson parsing and writing back every line. Then,
on smaller slices, alternates our batch path with the per-record baseline (json.loads +
event_problems + scrubbing every text) and prints the ratio.

    python benchmarks/ingest_feedback.py [--events 1000000] [--slice 50000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import tasks  # noqa: E402,F401 - offline environment
from tasks.feedback_events import event_problems  # noqa: E402
from tasks.ingest_feedback.__main__ import ingest_sources, write_outputs  # noqa: E402
from tasks.params import load_params  # noqa: E402
from tasks.scrub import scrub  # noqa: E402

TASKS = ("implement_method", "write_test", "design_restful_api", "create_agile_user_story")
USERS = [f"{n:064x}" for n in range(50)]


def synthetic_line(n: int, rng: random.Random) -> bytes:
    if rng.random() < 0.01:
        return b'{"schema_version": 1, "event_id": "broken' if n % 2 else orjson.dumps(
            {"schema_version": 1, "event_id": f"ev-{n}", "action": "maybe"})  # fmt: skip
    action = rng.choice(("accept", "accept", "edit", "reject"))
    topic = rng.randrange(500)  # prompts repeat: 500 distinct methods
    completion = f"def method_{topic}(amount):\n    return amount * {n % 97} + {topic}\n"
    if rng.random() < 0.01:
        completion += rng.choice(("# ask ann@example.org\n", "password = 'correct-horse-9'\n"))
    event = {
        "schema_version": 1,
        "event_id": f"ev-{n if rng.random() > 0.02 else rng.randrange(max(n, 1))}",
        "timestamp": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:15:00Z",
        "model_version": f"model-{n % 3}",
        "task": rng.choice(TASKS),
        "prompt": [{"role": "user", "content": f"Implement the method method_{topic}\n\n"
                    f"class Fees{topic}:\n    def method_{topic}(self, amount): ..."}],
        "completion": completion,
        "action": action,
        "edited_completion": completion.replace("return", "return 1 +") if action == "edit"
        else None,
        "latency_ms": rng.randrange(100, 2000),
        "client": "autodev-vscode/0.9",
        "user": rng.choice(USERS),
    }  # fmt: skip
    return orjson.dumps(event)


def generate(inbox: Path, events: int, files: int = 10) -> int:
    rng = random.Random(7)
    inbox.mkdir(parents=True)
    size = 0
    per_file = -(-events // files)
    for f in range(files):
        lines = [
            synthetic_line(n, rng) for n in range(f * per_file, min(events, (f + 1) * per_file))
        ]
        data = b"\n".join(lines) + b"\n"
        (inbox / f"{f:03d}.jsonl").write_bytes(data)
        size += len(data)
    return size


def params_for(root: Path, batch_size: int):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    step = raw["ingest_feedback"]
    step["sources"] = {"bench": {"type": "dir", "path": str(root / "inbox")}}
    step["ledger_dir"] = str(root / "ledger")
    step["batch_size"] = batch_size
    for key in (
        "events",
        "rejects",
        "records",
        "dpo",
        "kto",
        "metrics",
        "daily",
        "retrain_decision",
    ):
        step[key] = str(root / "out" / Path(step[key]).name)
    raw["identify_assets"]["inventory"] = str(root / "inventory.parquet")
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_params(path)


def ours(root: Path, batch_size: int) -> tuple[float, float, float, object]:
    """Wall seconds of ingestion and of the outputs, CPU seconds of both (with the ledger
    writer's), the tally."""
    params = params_for(root, batch_size)
    start, cpu = time.perf_counter(), _cpu_seconds()
    tally = ingest_sources(params)
    ingested = time.perf_counter()
    write_outputs(params, tally)
    wall = time.perf_counter()
    return ingested - start, wall - ingested, _cpu_seconds() - cpu, tally


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the ledger writer)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def parse_and_write_floor(inbox: Path, out: Path) -> tuple[float, float]:
    """The least any ingestion does: parse every line and write it back out (orjson).

    Returns wall and CPU seconds.
    """
    start, cpu = time.perf_counter(), time.process_time()
    with out.open("wb") as fh:
        for path in sorted(inbox.glob("*.jsonl")):
            for line in path.read_bytes().splitlines():
                try:
                    fh.write(orjson.dumps(orjson.loads(line)) + b"\n")
                except orjson.JSONDecodeError:
                    continue
    return time.perf_counter() - start, time.process_time() - cpu


def baseline(inbox: Path) -> float:
    """Per record: json.loads, event_problems, a set for duplicates, scrub every text."""
    start = time.perf_counter()
    seen, kept = set(), 0
    for path in sorted(inbox.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event_problems(event) or event["event_id"] in seen:
                continue
            seen.add(event["event_id"])
            counts: Counter[str] = Counter()
            for text in [m["content"] for m in event["prompt"]] + [
                event["completion"],
                event.get("edited_completion") or "",
            ]:
                counts.update(scrub(text, "unknown")[1])
            kept += 1
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-feedback-") as tmp:
        root = Path(tmp) / "full"
        started = time.perf_counter()
        size = generate(root / "inbox", args.events)
        print(f"generated {args.events:,} events ({size / 1e6:.0f} MB JSONL) in"
              f" {time.perf_counter() - started:.1f} s")  # fmt: skip
        ingest_s, outputs_s, cpu_s, tally = ours(root, args.batch_size)
        total = ingest_s + outputs_s
        print(f"ours, {args.events:,} events: ingest (parse, validate, dedup, scrub, ledger)"
              f" {ingest_s:.1f} s + outputs (SFT/DPO/KTO, Parquet, metrics) {outputs_s:.1f} s"
              f" = {total:.1f} s wall ({cpu_s:.1f} s CPU in two processes; load average"
              f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores),"
              f" {args.events / total:,.0f} events/s"
              f" [{tally.events:,} ingested, {tally.rejects:,} rejected {tally.reasons}]"
              f" target <= 30 s: {'met' if total <= 30 else 'MISSED'}")  # fmt: skip
        floor_s, floor_cpu_s = parse_and_write_floor(root / "inbox", Path(tmp) / "floor.jsonl")
        print(f"floor (orjson parse + write of every line, nothing else) {floor_s:.1f} s wall"
              f" ({floor_cpu_s:.1f} s CPU): the whole step costs {total / floor_s:.1f}x that"
              f" ({cpu_s / floor_cpu_s:.1f}x in CPU)")  # fmt: skip

        ratios = []
        for repeat in range(args.repeats):
            part = Path(tmp) / f"slice-{repeat}"
            generate(part / "inbox", args.slice, files=2)
            ingest_s, _, _, _ = ours(part, args.batch_size)
            base_s = baseline(part / "inbox")
            ratios.append(base_s / ingest_s)
            print(
                f"slice {repeat + 1}: {args.slice:,} events, ours (ingest only) {ingest_s:.2f} s,"
                f" per-record baseline {base_s:.2f} s, ratio {base_s / ingest_s:.1f}x"
            )
        print(
            f"median speed-up of ingestion over the per-record baseline:"
            f" {statistics.median(ratios):.1f}x"
        )


if __name__ == "__main__":
    main()
