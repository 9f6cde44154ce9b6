import pytest

from tasks.io import atomic_path, read_jsonl, write_jsonl


def test_jsonl_round_trip_keeps_unicode(tmp_path):
    rows = [{"instruction": "为以下主题创建敏捷用户故事", "n": 1}, {"instruction": "x", "n": 2}]
    assert write_jsonl(tmp_path / "a.jsonl", rows) == 2
    assert read_jsonl(tmp_path / "a.jsonl") == rows


def test_a_failed_write_leaves_the_previous_file_untouched(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
