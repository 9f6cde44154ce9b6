"""Freeze the current eval split as a versioned eval set: `python -m tasks.evaluate.freeze`.

The frozen set keeps figures comparable while the training data changes: evaluation runs on
it whenever it exists, and build_dataset keeps its records and their asset groups out of
training. It is never rewritten: to move on, point `evaluate.frozen_eval` at a new version
(frozen-v2.jsonl, ...) and freeze again. `--extend evalsets/frozen-v1.jsonl` writes a version
that keeps every record of v1 and adds the eval split's records of the tasks v1 lacks (a task
added since), so the old tasks' figures stay comparable and evaluate_base reuses their answers.
"""

from __future__ import annotations

from pathlib import Path

from tasks.io import read_jsonl, write_jsonl
from tasks.params import load_params, step_parser


def freeze(eval_split: str, frozen: str, extend: str | None = None) -> int:
    """Copy the eval split to `frozen` (with `extend`: that version's records, plus the split's
    records of the tasks it lacks); refuse if `frozen` exists. Records written."""
    if Path(frozen).exists():
        raise SystemExit(
            f"{frozen} exists and is never rewritten; set evaluate.frozen_eval to a new version"
        )
    records = read_jsonl(eval_split)
    if extend is not None:
        kept = read_jsonl(extend)
        known = {record["task"] for record in kept}
        added = [record for record in records if record["task"] not in known]
        if not added:
            raise SystemExit(f"{eval_split} holds no records of a task {extend} lacks")
        records = kept + added
    if not records:
        raise SystemExit(f"{eval_split} has no records to freeze")
    return write_jsonl(frozen, sorted(records, key=lambda r: (r["task"], r["record_id"])))


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Freeze the current eval split as a versioned eval set.")
    parser.add_argument(
        "--extend",
        metavar="FROZEN",
        help="an earlier version to keep whole; only the tasks it lacks come from the split",
    )
    args = parser.parse_args(argv)
    params = load_params(args.params)
    count = freeze(params.build_dataset.eval, params.evaluate.frozen_eval, args.extend)
    print(f"froze {count} eval records into {params.evaluate.frozen_eval}")


if __name__ == "__main__":
    main()
