"""Freeze the current eval split as a versioned eval set: `python -m tasks.evaluate.freeze`.

The frozen set keeps figures comparable while the training data changes: evaluation runs on
it whenever it exists, and build_dataset keeps its records and their asset groups out of
training. It is never rewritten: to move on, point `evaluate.frozen_eval` at a new version
(frozen-v2.jsonl, ...) and freeze again.
"""

from __future__ import annotations

from pathlib import Path

from tasks.io import read_jsonl, write_jsonl
from tasks.params import load_params, step_parser


def freeze(eval_split: str, frozen: str) -> int:
    """Copy the eval split to `frozen`; refuse if that version exists. Records written."""
    if Path(frozen).exists():
        raise SystemExit(
            f"{frozen} exists and is never rewritten; set evaluate.frozen_eval to a new version"
        )
    records = read_jsonl(eval_split)
    if not records:
        raise SystemExit(f"{eval_split} has no records to freeze")
    return write_jsonl(frozen, sorted(records, key=lambda r: (r["task"], r["record_id"])))


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Freeze the current eval split as a versioned eval set.").parse_args(argv)
    params = load_params(args.params)
    count = freeze(params.build_dataset.eval, params.evaluate.frozen_eval)
    print(f"froze {count} eval records into {params.evaluate.frozen_eval}")


if __name__ == "__main__":
    main()
