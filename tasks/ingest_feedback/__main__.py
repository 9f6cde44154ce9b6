"""Step 6: ingest feedback events exactly once and turn them into training data.

New lines from every source go through validation, de-duplication by event id and scrubbing
into the ledger, one transaction per batch. Then every output is regenerated from the whole
ledger: events and rejects tables, SFT / DPO / KTO files, online metrics and the retrain
decision the nightly flywheel reads. Both halves work on whole batches and columns (Arrow,
numpy) rather than record by record (benchmarks/ingest_feedback.py times a million events).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pyarrow as pa
import pyarrow.compute as pc

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.convert import Encoded, dpo_pairs, kto_examples, sft_records
from tasks.ingest_feedback.ingest import Tally, gc_paused, ingest
from tasks.ingest_feedback.report import (
    assets_digest,
    daily_rates,
    headline,
    load_baseline,
    online_metrics,
    retrain_decision,
)
from tasks.ingest_feedback.sources import read_source, skipped_sources
from tasks.ingest_feedback.writer import LedgerWriter
from tasks.io import write_json, write_jsonl, write_parquet
from tasks.params import Params, load_params, step_parser


def ingest_sources(params: Params) -> Tally:
    """Read every source from its watermark into the ledger; return what this run added."""
    step = params.ingest_feedback
    skipped = skipped_sources(params)
    sources = {name: s for name, s in step.sources.items() if name not in skipped}
    # The writer first: the ledger's state is read once no other writer can change it (SQLite:
    # the whole ledger; PostgreSQL: these sources, while other workers ingest others at once).
    with LedgerWriter(step.ledger_dir, step.ledger, list(sources)) as writer, gc_paused():
        with closing(ledger.open_ledger(step.ledger_dir, step.ledger)) as connection:
            seen = ledger.known_event_ids(connection)
            total = Tally(earlier_rows=ledger.last_event_row(connection))
            marks = {name: ledger.watermarks(connection, name) for name in sources}
            pending = {name: ledger.pending_completions(connection, name)
                       for name, source in sources.items() if source.type == "tabby"}  # fmt: skip
        for name, source in sources.items():
            chunks = read_source(name, source, marks[name], step.batch_size, pending.get(name))
            tally = ingest(writer, chunks, seen)
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
    with closing(ledger.open_ledger(step.ledger_dir, step.ledger)) as connection:
        # PostgreSQL: other workers may have committed since this run began; read it whole.
        if tally is None or step.ledger != ledger.SQLITE:
            events = ledger.all_events(connection)
        else:
            earlier = ledger.all_events(connection, up_to_row=tally.earlier_rows)
            events = pa.concat_tables(
                [earlier, pa.Table.from_batches(tally.new_events, earlier.schema)]
            )
        rejects = ledger.all_rejects(connection)
    skipped = pa.array(list(skipped_sources(params)), pa.string())
    if len(skipped):  # what an earlier run read from a source now left out is not used either
        events, rejects = (
            table.filter(pc.invert(pc.fill_null(pc.is_in(table["source"], skipped), False)))
            for table in (events, rejects)
        )
    # The Parquet tables are written on a second thread (Arrow lets go of the GIL) while the
    # conversions, which share one encoding of the texts, run on this one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") as parquet:
        written = [parquet.submit(write_parquet, step.events, events),
                   parquet.submit(write_parquet, step.rejects, rejects)]  # fmt: skip
        encoded = Encoded(events)
        records = sft_records(encoded)
        for table in written:
            table.result()
    write_jsonl(step.records, records, compact=True)
    write_jsonl(step.dpo, dpo_pairs(encoded), compact=True)
    write_jsonl(step.kto, kto_examples(encoded), compact=True)
    # As categoricals: the counts need the codes, not a million Python strings.
    rates = pa.table(
        {
            name: events[name].dictionary_encode()
            for name in ("model_version", "task", "action", "timestamp")
        }
    ).to_pandas()
    online = online_metrics(rates)
    write_json(step.rates, online)
    write_json(step.metrics, headline(online["overall"]))
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
    for name, why in skipped_sources(params).items():
        print(f"feedback: source '{name}' skipped: {why}")
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
