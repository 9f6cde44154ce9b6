"""Progress lines in a log: the first unit, then at most one a period, and the last."""

import io

from tasks.progress import Progress, track


def test_a_log_gets_the_first_and_last_lines_with_totals_and_eta():
    out = io.StringIO()
    with Progress("evaluate tuned", total=50, unit="answer", stream=out, terminal=False) as bar:
        for _ in range(50):
            bar.update(1, task="write_test")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("evaluate tuned: 1/50 answers (2%) [")
    assert lines[-1].startswith("evaluate tuned: 50/50 answers (100%) [")
    assert lines[-1].endswith("task write_test")


def test_track_yields_every_item_once_and_writes_a_line_per_period():
    out = io.StringIO()
    items = list(track(range(7), "convert GGUF", "tensor", stream=out, terminal=False, every_s=0))
    lines = out.getvalue().splitlines()
    assert items == list(range(7))
    assert len(lines) == 7 and lines[-1].startswith("convert GGUF: 7/7 tensors (100%)")
