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


def test_an_extended_version_keeps_the_old_records_and_adds_only_new_tasks(tmp_path):
    split, v1 = tmp_path / "eval.jsonl", tmp_path / "frozen-v1.jsonl"
    write_jsonl(v1, [{"task": "a", "record_id": "1", "output": "frozen"}])
    write_jsonl(
        split,
        [
            {"task": "a", "record_id": "1", "output": "rebuilt"},  # a's records stay v1's
            {"task": "a", "record_id": "7", "output": "new"},
            {"task": "b", "record_id": "3", "output": "added"},
        ],
    )
    v2 = tmp_path / "frozen-v2.jsonl"
    assert freeze(str(split), str(v2), extend=str(v1)) == 2
    assert [(r["task"], r["output"]) for r in read_jsonl(v2)] == [("a", "frozen"), ("b", "added")]
    write_jsonl(split, [{"task": "a", "record_id": "8"}])
    with pytest.raises(SystemExit, match="no records of a task"):
        freeze(str(split), str(tmp_path / "frozen-v3.jsonl"), extend=str(v1))
