import pytest

from tasks.evaluate.freeze import freeze
from tasks.io import read_jsonl, write_jsonl


def test_given_an_eval_split_when_frozen_then_copied_sorted_and_never_rewritten(tmp_path):
    split, frozen = tmp_path / "eval.jsonl", tmp_path / "evalsets" / "frozen-v1.jsonl"
    write_jsonl(split, [{"task": "b", "record_id": "2"}, {"task": "a", "record_id": "9"}])
    assert freeze(str(split), str(frozen)) == 2
    assert [r["task"] for r in read_jsonl(frozen)] == ["a", "b"]
    write_jsonl(split, [{"task": "c", "record_id": "1"}])
    with pytest.raises(SystemExit, match="never rewritten"):
        freeze(str(split), str(frozen))
    assert len(read_jsonl(frozen)) == 2
