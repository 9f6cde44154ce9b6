"""Step 6: ingest feedback events exactly once and turn them into training data.

New lines from every source go through validation, de-duplication by event id and scrubbing
into the ledger, one transaction per batch. Then every output is regenerated from the whole
ledger: events and rejects tables, SFT / DPO / KTO files, online metrics and the retrain
decision the nightly flywheel reads. Both halves work on whole batches and columns (Arrow,
numpy) rather than record by record (benchmarks/ingest_feedback.py times a million events).
"""

from __future__ import annotations

from contextlib import closing

import pyarrow as pa

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.convert import dpo_pairs, kto_examples, sft_records
from tasks.ingest_feedback.ingest import Tally, gc_paused, ingest
from tasks.ingest_feedback.report import (
    assets_digest,
    daily_rates,
    load_baseline,
    online_metrics,
    retrain_decision,
)
from tasks.ingest_feedback.sources import read_source
from tasks.io import write_json, write_jsonl, write_parquet
from tasks.params import Params, load_params, step_parser


def ingest_sources(params: Params) -> Tally:
    """Read every source from its watermark into the ledger; return what this run added."""
    step = params.ingest_feedback
    with closing(ledger.open_ledger(step.ledger_dir)) as connection, gc_paused():
        seen = ledger.known_event_ids(connection)
        total = Tally(earlier_rows=ledger.last_event_row(connection))
        for name, source in step.sources.items():
            marks = ledger.watermarks(connection, name)
            tally = ingest(connection, read_source(name, source, marks, step.batch_size), seen)
            total.lines += tally.lines
            total.events += tally.events
            total.rejects += tally.rejects
            total.new_events += tally.new_events
            for reason, n in tally.reasons.items():
                total.reasons[reason] = total.reasons.get(reason, 0) + n
    return total


def write_outputs(params: Params, tally: Tally | None = None) -> dict:
    """Regenerate every output from the ledger; return the retrain decision.

    Given the `tally` of the run that just ingested, its new events come from memory rather
    than being read back from the ledger (the same rows, in the same order).
    """
    with gc_paused():
        return _write_outputs(params, tally)


def _write_outputs(params: Params, tally: Tally | None) -> dict:
    step = params.ingest_feedback
    with closing(ledger.open_ledger(step.ledger_dir)) as connection:
        if tally is None:
            events = ledger.all_events(connection)
        else:
            earlier = ledger.all_events(connection, up_to_row=tally.earlier_rows)
            events = pa.concat_tables(
                [earlier, pa.Table.from_batches(tally.new_events, earlier.schema)]
            )
        rejects = ledger.all_rejects(connection)
    records = sft_records(events)
    write_parquet(step.events, events)
    write_parquet(step.rejects, rejects)
    write_jsonl(step.records, records, compact=True)
    write_jsonl(step.dpo, dpo_pairs(events), compact=True)
    write_jsonl(step.kto, kto_examples(events), compact=True)
    rates = events.select(["model_version", "task", "action", "timestamp"]).to_pandas()
    write_json(step.metrics, online_metrics(rates))
    write_json(step.daily, daily_rates(rates))
    snapshot = {
        "events": events.num_rows,
        "sft_records": len(records),
        "assets_digest": assets_digest(params.identify_assets.inventory),
    }
    baseline = load_baseline(params.finetune.trainer_state)
    decision = retrain_decision(snapshot, baseline, step.retrain)
    write_json(step.retrain_decision, decision)
    return decision


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 6: ingest feedback events into training data.").parse_args(argv)
    params = load_params(args.params)
    tally = ingest_sources(params)
    decision = write_outputs(params, tally)
    reasons = ", ".join(f"{r}={n}" for r, n in sorted(tally.reasons.items()))
    print(
        f"feedback: {tally.lines} new lines, {tally.events} events ingested,"
        f" {tally.rejects} rejected" + (f" ({reasons})" if reasons else "")
    )
    verdict = "retrain" if decision["retrain"] else "no retrain"
    print(f"feedback: {verdict}: {'; '.join(decision['reasons'])}")


if __name__ == "__main__":
    main()
