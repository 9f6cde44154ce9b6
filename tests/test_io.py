import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.io import (
    DIR_MODE,
    FILE_MODE,
    apply_umask,
    atomic_path,
    read_jsonl,
    write_json,
    write_jsonl,
)
from tests.support import REPO


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


WRITE_EACH_FORMAT = """
import pandas as pd
from tasks.io import atomic_path, write_json, write_jsonl, write_parquet
write_json("out/a.json", {"a": 1})
write_jsonl("out/a.jsonl", [{"a": 1}])
write_parquet("out/a.parquet", pd.DataFrame({"a": [1]}))
with atomic_path("out/a.txt") as tmp:
    tmp.write_text("a")
"""


def _modes_written_under(umask: int, cwd: Path) -> dict[str, int]:
    """Permission bits of the files tasks.io writes in a fresh process running under `umask`."""
    subprocess.run(
        [sys.executable, "-c", WRITE_EACH_FORMAT],
        cwd=cwd,
        env=dict(os.environ) | {"PYTHONPATH": str(REPO)},
        preexec_fn=lambda: os.umask(umask),
        check=True,
    )
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in sorted((cwd / "out").iterdir())}


def test_given_umask_022_when_files_are_written_then_group_and_others_can_read_them(tmp_path):
    modes = _modes_written_under(0o022, tmp_path)

    assert modes == dict.fromkeys(["a.json", "a.jsonl", "a.parquet", "a.txt"], 0o644)


@pytest.mark.parametrize(("umask", "mode"), [(0o077, 0o600), (0o002, 0o664), (0o027, 0o640)])
def test_the_written_mode_follows_the_umask_like_open_does(tmp_path, umask, mode):
    plain = tmp_path / "plain"
    old = os.umask(umask)
    try:
        plain.write_text("x")  # what open() gives a new file under this umask
    finally:
        os.umask(old)

    modes = _modes_written_under(umask, tmp_path)

    assert set(modes.values()) == {mode} == {stat.S_IMODE(plain.stat().st_mode)}


def test_an_overwritten_file_gets_the_umask_mode_and_no_temporary_file_is_left(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o600)

    write_json(target, {"new": True})

    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_given_0600_files_from_other_writers_when_the_umask_is_applied_then_they_get_its_modes(
    tmp_path,
):
    root = tmp_path / "bundle"
    (root / "adapter").mkdir(parents=True)
    weights, script = root / "adapter" / "weights.safetensors", root / "run.sh"
    weights.write_bytes(b"w")
    script.write_text("#!/bin/sh\n")
    weights.chmod(0o600)
    script.chmod(0o700)
    (root / "adapter").chmod(0o700)

    apply_umask(root)

    assert stat.S_IMODE(weights.stat().st_mode) == FILE_MODE
    assert stat.S_IMODE(script.stat().st_mode) == DIR_MODE
    assert {stat.S_IMODE(p.stat().st_mode) for p in (root, root / "adapter")} == {DIR_MODE}
