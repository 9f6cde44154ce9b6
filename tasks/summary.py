"""The end-of-run summary: what each step kept, rejected, learnt and produced."""

from __future__ import annotations

from pathlib import Path

from tasks.io import read_json, read_parquet
from tasks.params import Params, load_params, step_parser


def _gate_lines(params: Params) -> list[str]:
    lines = []
    for gate in ("assets", "feedback", "dataset"):
        path = params.gates.report_path(gate)
        if not path.exists():
            lines.append(f"  {gate}: not run")
            continue
        result = read_json(path)
        verdict = "passed" if result["success"] else "FAILED"
        met = result["evaluated"] - len(result["failures"])
        lines.append(
            f"  {gate}: {verdict} ({met}/{result['evaluated']} expectations, {result['rows']} rows)"
        )
    return lines


def _assets_lines(params: Params) -> list[str]:
    inventory = read_parquet(params.identify_assets.inventory)
    kept = int((inventory["status"] == "kept").sum())
    reasons = (
        inventory.loc[inventory["status"] == "rejected", "reason"]
        .str.split(":")
        .str[0]
        .value_counts()
    )
    return [
        f"Assets: {len(inventory)} scanned, {kept} kept, {len(inventory) - kept} rejected"
        + (f" ({', '.join(f'{r}={n}' for r, n in reasons.items())})" if len(reasons) else "")
    ]


def _feedback_lines(params: Params) -> list[str]:
    events = read_parquet(params.ingest_feedback.events)
    feedback_rejects = read_parquet(params.ingest_feedback.rejects)
    feedback_rates = read_json(params.ingest_feedback.rates)["overall"]
    retrain = read_json(params.ingest_feedback.retrain_decision)
    return [
        f"Feedback: {len(events)} events ingested, {len(feedback_rejects)} rejected"
        + (
            f" (accepted {feedback_rates['accept_rate']:.0%},"
            f" edited {feedback_rates['edit_rate']:.0%},"
            f" rejected {feedback_rates['reject_rate']:.0%})"
            if feedback_rates["events"]
            else ""
        ),
        f"Retrain: {'yes' if retrain['retrain'] else 'no'} ({'; '.join(retrain['reasons'])})",
    ]


def _records_lines(params: Params) -> list[str]:
    records = read_parquet(params.build_dataset.records)
    splits = records["split"].value_counts()
    per_task = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    return [f"Records: {len(records)} ({', '.join(f'{s}={n}' for s, n in splits.items())})"] + [
        f"  {task:<32} train={row.get('train', 0):>4}  eval={row.get('eval', 0):>3}"
        for task, row in per_task.iterrows()
    ]


def _training_lines(params: Params) -> list[str]:
    training = read_json(params.finetune.trainer_state)
    metrics = read_json(params.evaluate.details)
    against_base = metrics["comparisons"]["base"]
    confidence = params.evaluate.bootstrap.confidence
    lines = [
        f"Training: {training['steps']} steps on {training['train_records']} records, loss "
        f"{training['start_loss']:.3f} -> {training['end_loss']:.3f} (mean of first / last steps), "
        f"{training['tokens_per_second']:.0f} tokens/s on {training['device']}",
        f"  {'Per task, base -> tuned:':<31} {'n':>3}  {'primary metric':<26} "
        f"{f'tuned - base, {confidence:.0%} CI':<22} {'verdict':<9} {'validity raw':<13} "
        f"{'@N':<5} answer loss",
    ]
    for task, c in against_base.items():
        base, tuned = metrics["base"][task], metrics["tuned"][task]
        primary = f"{tuned['primary_metric']} {c['before']:.2f} -> {c['after']:.2f}"
        delta = f"{c['delta']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}]"
        valid = f"{base['format_valid']:.2f} -> {tuned['format_valid']:.2f}"
        at_n = f"{tuned['valid_at_n']:.2f}" if "valid_at_n" in tuned else "-"
        loss = f"{base['answer_loss']:.2f} -> {tuned['answer_loss']:.2f}"
        lines.append(
            f"  {task:<31} {c['n']:>3}  {primary:<26} {delta:<22} {c['verdict']:<9} "
            f"{valid:<13} {at_n:<5} {loss}"
        )
    base, tuned = metrics["base"]["overall"], metrics["tuned"]["overall"]
    counts = metrics["verdicts"]
    at_n = f"{tuned['valid_at_n']:.2f}" if "valid_at_n" in tuned else "-"
    lines.append(
        f"  {'overall':<31} {'':>3}  {'mean':<9}{base['primary']:.2f} -> {tuned['primary']:.2f}"
        f"{'':<7} {'':<22} {'':<9} {base['format_valid']:.2f} -> {tuned['format_valid']:.2f}"
        f"  {at_n:<5} {base['answer_loss']:.2f} -> {tuned['answer_loss']:.2f}"
    )
    tries = params.evaluate.resample.tries
    at_n = (
        f"@N = up to {tries} validate-and-resample tries."
        if tries
        else "@N off (evaluate.resample.tries: 0)."
    )
    lines.append(
        f"  Improved (interval above zero): {counts['improved']} of {len(against_base)} tasks; "
        f"tied {counts['tie']}, regressed {counts['regressed']}. Validity raw = one greedy "
        f"answer; {at_n}"
    )
    regurgitation = metrics.get("regurgitation", {})
    if regurgitation:
        rates = ", ".join(f"{model} {rate:.2f}" for model, rate in regurgitation.items())
        lines.append(f"  {'Regurgitation:':<32} {rates}")
    return lines


def _bundle_lines(params: Params) -> list[str]:
    manifest = read_json(Path(params.export.bundle_dir) / "manifest.json")
    promoted = "promoted" if manifest["promoted"] else "not promoted"
    return [
        f"Bundle: {Path(params.export.bundle_dir).resolve()} ({manifest['version']}, {promoted}"
        f", published to {params.export.registry_dir}/; serve it: make serve)"
    ]


def summary(params: Params) -> str:
    """Plain-text summary of the latest outputs of every step (a step not run yet says so)."""
    lines = ["== Flywheel summary =="]
    sections = [
        ("Assets", _assets_lines), ("Feedback", _feedback_lines), ("Records", _records_lines),
        ("Gates", lambda p: ["Gates:", *_gate_lines(p)]), ("Training", _training_lines),
        ("Bundle", _bundle_lines),
    ]  # fmt: skip
    for name, section in sections:
        try:
            lines += section(params)
        except FileNotFoundError as missing:  # e.g. the retrain trigger held the later steps
            lines.append(f"{name}: not produced yet ({missing.filename or missing})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Print the flywheel summary.").parse_args(argv)
    print(summary(load_params(args.params)))


if __name__ == "__main__":
    main()
