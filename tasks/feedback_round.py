"""One measured feedback round on the promoted model (`python -m tasks.feedback_round`,
`make feedback-round`), after `make run`:

1. the promoted bundle is served (the real server, over HTTP);
2. a scripted reviewer acts as an IDE client: for each prompt of the feedback split (train
   records, never the frozen eval set) it asks the server, then reports in Continue's dev-data
   format to POST /v1/feedback/continue: an answer the task's validator accepts is a thumbs up
   (`chatFeedback`), an invalid one is edited into the record's reference answer
   (`editOutcome`, accepted with the new code), an empty one a thumbs down;
3. step 6 ingests the events (`dvc repro -f ingest_feedback`), step 2 merges them into the
   dataset (`dvc repro gate_dataset`);
4. a continued fine-tune (`finetune.init: promoted`: the new records plus a replay share)
   trains a round adapter under `feedback_round.work_dir`;
5. the round adapter answers the frozen eval prompts and is compared with the promoted model's
   answers from the last evaluation, record by record: the acceptance proxy (the share of
   answers the reviewer would accept, i.e. format validity) and every task's primary metric,
   each with its paired bootstrap interval (evaluate.bootstrap).

The round never promotes: the adapter stays a candidate under the work dir. The events stay in
the ledger, so the next `make run` / nightly run learns from them like from any feedback.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import yaml

from tasks.evaluate.compare import compare_models, compare_overall, describe
from tasks.evaluate.runner import method_of, prepare_eval_set, run_model
from tasks.evaluate.score import primary_metrics
from tasks.formats import validate_output
from tasks.io import read_json, read_jsonl, sha256_file, write_json, write_jsonl
from tasks.params import Params, load_params, step_parser
from tasks.prompting import build_messages, user_message

SCHEMA = "0.2.0"  # Continue's dev-data schema the reviewer writes
AGENT = "llmops-reviewer/1 (Continue/1.0.9)"
REVIEWER = "scripted-reviewer"


def write_text(path: str | Path, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


def feedback_split(params: Params, eval_ids: set[str]) -> list[dict]:
    """`feedback_round.per_task` train records per task, chosen by a seeded hash, none of them
    in the eval set (the split and decontamination keep train apart from it already)."""
    step = params.feedback_round
    chosen = []
    records = [r for r in read_jsonl(params.build_dataset.train) if r["record_id"] not in eval_ids]

    def rank(r: dict) -> str:
        return hashlib.sha256(f"{step.seed}:{r['record_id']}".encode()).hexdigest()

    for task in sorted({r["task"] for r in records}):
        rows = [r for r in records if r["task"] == task and not r.get("event_ids")]
        chosen += sorted(rows, key=rank)[: step.per_task]
    return chosen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(params_file: str, port: int) -> subprocess.Popen:
    """The real server on the promoted bundle, on 127.0.0.1:`port`, up when /health answers."""
    command = [sys.executable, "-m", "tasks.serve", "--params", params_file,
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.terminate()
    raise SystemExit("the server did not answer /health within 300 s")


def continue_event(name: str, version: str, prompt: str, completion: str, **fields) -> dict:
    """A Continue dev-data POST body ({name, data, schema, level, profileId}, core/data/log.ts)."""
    data = {
        "eventName": name, "schema": SCHEMA,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "userId": REVIEWER, "userAgent": AGENT, "selectedProfileId": "local",
        "prompt": prompt, "completion": completion, "modelProvider": "openai",
        "modelName": version, "modelTitle": version,
    } | fields  # fmt: skip
    return {"name": name, "data": data, "schema": SCHEMA, "level": "all", "profileId": "local"}


def review(record: dict, answer: str, version: str) -> tuple[str, dict]:
    """The reviewer's verdict on one answer and the Continue event that reports it."""
    prompt = user_message(record["instruction"], record["input"])
    if not answer.strip():
        return "reject", continue_event("chatFeedback", version, prompt, answer, feedback=False,
                                        sessionId=record["record_id"])  # fmt: skip
    problems = validate_output(record["task"], answer, record["language"], method_of(record))
    if not problems:
        return "accept", continue_event("chatFeedback", version, prompt, answer, feedback=True,
                                        sessionId=record["record_id"])  # fmt: skip
    reference = record["output"]
    return "edit", continue_event(
        "editOutcome", version, prompt, answer, accepted=True, previousCode="",
        newCode=reference, previousCodeLines=0, newCodeLines=reference.count("\n") + 1,
        lineChange=reference.count("\n") + 1, filepath=f"file:///review/{record['record_id']}",
    )  # fmt: skip


def run_reviewer(params: Params, params_file: str, records: list[dict], budgets: dict) -> dict:
    """Serve the promoted bundle and review one answer per record over HTTP."""
    port = free_port()
    server = start_server(params_file, port)
    url = f"http://127.0.0.1:{port}/v1"
    headers = {"user-agent": AGENT}
    if key := os.environ.get(params.serve.api_key_env):
        headers["authorization"] = f"Bearer {key}"
    verdicts: dict[str, int] = {"accept": 0, "edit": 0, "reject": 0}
    started = time.perf_counter()
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
            version = client.get("/models").json()["data"][0]["id"]

            def ask(record: dict) -> str:
                messages = build_messages(params.prompt.system, record["instruction"],
                                          record["input"])  # fmt: skip
                budget = budgets[record["task"]].tokens if record["task"] in budgets else None
                reply = client.post("/chat/completions", json={
                    "model": version, "messages": messages, "temperature": 0,
                    "max_tokens": budget, "task": record["task"], "user": REVIEWER,
                })  # fmt: skip
                reply.raise_for_status()
                answer = reply.json()["choices"][0]["message"]["content"]
                verdict, event = review(record, answer, version)
                client.post("/feedback/continue", json=event).raise_for_status()
                return verdict

            # As several IDE users would: serve.batch_size requests in flight, which the
            # server decodes as one batch.
            with ThreadPoolExecutor(params.serve.batch_size) as pool:
                asked = [pool.submit(ask, record) for record in records]
                for i, (record, future) in enumerate(zip(records, asked, strict=True), 1):
                    verdict = future.result()
                    verdicts[verdict] += 1
                    print(f"reviewer: {i}/{len(records)} {record['task']}: {verdict}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {"version": version, "verdicts": verdicts,
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def dvc(*args: str) -> None:
    """Run a dvc command; a failure stops the round with one line (DVC printed the rest)."""
    print("+ dvc " + " ".join(args), flush=True)
    if subprocess.run([sys.executable, "-m", "dvc", *args]).returncode != 0:
        raise SystemExit(
            f"feedback round stopped: `dvc {' '.join(args)}` failed (its message is above); the "
            "events stay in the ledger, fix the cause and rerun `make feedback-round`"
        )


def round_params(params: Params, params_file: str) -> str:
    """A params file for the continued fine-tune: init promoted, its outputs under the work dir."""
    step, work = params.feedback_round, Path(params.feedback_round.work_dir)
    data = yaml.safe_load(Path(params_file).read_text())
    data["finetune"] |= {
        "init": "promoted", "max_steps": step.max_steps, "epochs": None,
        "adapter_dir": str(work / "adapter"), "trainer_state": str(work / "trainer_state.json"),
        "metrics": str(work / "finetune-metrics.json"), "live_dir": str(work / "live"),
        "init_pointer": str(work / "init.json"), "learning_rate": step.learning_rate,
        "replay": {"share": step.replay_share, "focus": step.focus},
        "preference": step.preference.model_dump(),
    }  # fmt: skip
    path = work / "params.yaml"
    write_text(path, yaml.safe_dump(data, sort_keys=False))
    return str(path)


def before_rows(params: Params, eval_set, model_dir: Path, bundle: Path) -> tuple[list, str]:
    """The promoted model's scored answers: the last evaluation's, when it evaluated exactly
    the promoted adapter on this eval set, else generated now."""
    step = params.evaluate
    details = Path(step.details)
    same_set = details.is_file() and read_json(details)["eval_set"]["sha256"] == eval_set.sha256
    weights = "adapter_model.safetensors"
    tuned = Path(params.finetune.adapter_dir) / weights
    promoted = bundle / "adapter" / weights
    same_adapter = tuned.is_file() and sha256_file(tuned) == sha256_file(promoted)
    if same_set and same_adapter and Path(step.generations).is_file():
        rows = [r | {"model": "before"} for r in read_jsonl(step.generations)
                if r["model"] == "tuned"]  # fmt: skip
        if len(rows) == len(eval_set.frame):
            return rows, f"the last evaluation's answers ({step.generations})"
    from tasks.generation import load_model

    model, tokenizer = load_model(model_dir, bundle / "adapter")
    rows = run_model("before", model, tokenizer, eval_set, params, resample=False)[0]
    return rows, "generated now"


def main(argv: list[str] | None = None) -> None:
    args = step_parser("One measured feedback round on the promoted model.").parse_args(argv)
    params_file = args.params
    params = load_params(params_file)
    step = params.feedback_round
    from tasks.base_model import resolve
    from tasks.generation import load_model, merge_adapter
    from tasks.registry import promoted_bundle

    bundle = promoted_bundle(params.export.registry_dir, verify=True)
    if bundle is None:
        raise SystemExit("nothing is promoted yet: run `make run` first, then the round")
    started = time.perf_counter()
    model_dir = resolve(params.base_model)
    model, tokenizer = load_model(model_dir)
    eval_set = prepare_eval_set(params, tokenizer)
    eval_ids = set(eval_set.frame["record_id"])
    records = feedback_split(params, eval_ids)
    print(f"feedback split: {len(records)} train records, none in the eval set "
          f"({eval_set.label})", flush=True)  # fmt: skip
    phases: dict[str, float] = {"prepare": round(time.perf_counter() - started, 1)}
    reviewed = run_reviewer(params, params_file, records, eval_set.budgets)
    phases["reviewer"] = reviewed["seconds"]
    print(f"reviewer: {reviewed['verdicts']} in {reviewed['seconds']} s", flush=True)
    mark = time.perf_counter()
    dvc("repro", "-f", "--single-item", "ingest_feedback")
    dvc("repro", "gate_dataset")
    phases["ingest_and_dataset"] = round(time.perf_counter() - mark, 1)
    mark = time.perf_counter()
    finetune_params = round_params(params, params_file)
    finetune = [sys.executable, "-m", "tasks.finetune", "--params", finetune_params]
    if subprocess.run(finetune).returncode:
        raise SystemExit("feedback round stopped: the continued fine-tune failed (its message is "
                         "above); rerun `make feedback-round` once it is fixed")  # fmt: skip
    trained = read_json(Path(step.work_dir) / "trainer_state.json")
    phases["finetune"] = round(time.perf_counter() - mark, 1)
    mark = time.perf_counter()

    before, source = before_rows(params, eval_set, model_dir, bundle)
    model = merge_adapter(model, Path(step.work_dir) / "adapter")
    # Raw answers only: the proxy and the primary metrics score the raw answer on both sides
    # (evaluate's resampled answers only feed valid@N, which the round does not report).
    after = run_model("after", model, tokenizer, eval_set, params, resample=False)[0]
    phases["evaluate"] = round(time.perf_counter() - mark, 1)
    scored = pd.DataFrame(before + after)
    primary = primary_metrics(scored)
    boot = params.evaluate.bootstrap
    proxy = compare_overall(scored, "format_valid", "before", "after", boot)
    per_task_proxy = compare_models(scored, primary, "before", "after", boot, "format_valid")
    per_task = compare_models(scored, primary, "before", "after", boot)
    summary = {
        "promoted_version": reviewed["version"],
        "feedback_records": len(records),
        "verdicts": reviewed["verdicts"],
        "continued_from": trained.get("init"),
        "trained_on": {
            k: trained.get("data", {}).get(k) for k in ("new_records", "replayed_records")
        },
        "before_answers": source,
        "acceptance_proxy": proxy.as_dict(),
        "acceptance_proxy_per_task": {t: c.as_dict() for t, c in per_task_proxy.items()},
        "primary": {t: {"metric": primary[t]} | c.as_dict() for t, c in per_task.items()},
        "seconds": round(time.perf_counter() - started, 1),
        "phase_seconds": phases,
    }
    out = Path(step.report_dir)
    write_json(out / "summary.json", summary)
    write_jsonl(out / "answers.jsonl", scored.astype(object).where(scored.notna(), None)
                .to_dict("records"))  # fmt: skip
    lines = [
        f"# Feedback round on {reviewed['version']}",
        "",
        f"Reviewer: {len(records)} answers over HTTP, {reviewed['verdicts']}; continued "
        f"fine-tune from {summary['continued_from']} on {summary['trained_on']}.",
        "",
        f"Acceptance proxy (share of eval answers the reviewer would accept): "
        f"{describe(proxy, 'accepted', boot.confidence)}",
        "",
        "| task | n | accepted before -> after | primary metric | before -> after | 95% CI "
        "| verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for task, c in per_task.items():
        a = per_task_proxy[task]
        lines.append(
            f"| {task} | {c.n} | {a.before:.2f} -> {a.after:.2f} | {primary[task]} | "
            f"{c.before:.2f} -> {c.after:.2f} | [{c.low:+.2f}, {c.high:+.2f}] | {c.verdict} |"
        )
    write_text(out / "report.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"feedback round: {summary['seconds']} s ({phases}); report {out / 'report.md'}")


if __name__ == "__main__":
    main()
