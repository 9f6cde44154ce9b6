import json

import pytest

from tasks.io import atomic_path, read_jsonl, write_jsonl


def test_jsonl_round_trip_keeps_unicode(tmp_path):
    rows = [{"instruction": "为以下主题创建敏捷用户故事", "n": 1}, {"instruction": "x", "n": 2}]
    assert write_jsonl(tmp_path / "a.jsonl", rows) == 2
    assert read_jsonl(tmp_path / "a.jsonl") == rows


def test_given_compact_when_jsonl_is_written_then_lines_lose_spaces_but_not_content(tmp_path):
    rows = [{"output": "为 a, b: c", "event_ids": ["e1", "e2"], "label": True}]
    write_jsonl(tmp_path / "default.jsonl", rows)
    write_jsonl(tmp_path / "compact.jsonl", rows, compact=True)
    assert (tmp_path / "default.jsonl").read_text(encoding="utf-8") == json.dumps(
        rows[0], ensure_ascii=False
    ) + "\n"
    compact = (tmp_path / "compact.jsonl").read_text(encoding="utf-8")
    assert compact == '{"output":"为 a, b: c","event_ids":["e1","e2"],"label":true}\n'
    assert read_jsonl(tmp_path / "compact.jsonl") == rows


def test_a_failed_write_leaves_the_previous_file_untouched(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
