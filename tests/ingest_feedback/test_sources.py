import json
import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tasks.ingest_feedback.sources import Watermark, chunks, read_dir, read_s3
from tasks.params import FeedbackDirSource, FeedbackS3Source
from tests.ingest_feedback.factory import event


def lines_of(chunk_list):
    return [line for chunk in chunk_list for line in chunk.lines]


def test_given_a_file_being_appended_when_read_then_the_partial_last_line_waits():
    data = b'{"a": 1}\n{"b": 2}\n{"c": '
    [chunk] = chunks("s", "f.jsonl", data, Watermark(), "", final=False, size=10)
    assert chunk.lines == [b'{"a": 1}', b'{"b": 2}']
    assert chunk.end == Watermark(offset=18, lines=2)
    rest = b'{"c": 3}\n{"d": 4}\n'
    [more] = chunks("s", "f.jsonl", rest, chunk.end, "", final=False, size=10)
    assert more.first_line == 3 and more.lines == [b'{"c": 3}', b'{"d": 4}']
    assert more.end == Watermark(offset=18 + len(rest), lines=4)


def test_given_a_whole_object_without_newline_when_read_then_it_is_taken():
    [chunk] = chunks("s", "f", b'{"a": 1}\n{"b": 2}', Watermark(), "", final=False, size=10)
    assert chunk.lines == [b'{"a": 1}', b'{"b": 2}'] and chunk.end.offset == 17


def test_given_many_lines_when_batched_then_each_batch_carries_its_own_watermark():
    data = b"".join(b'{"n": %d}\n' % n for n in range(5))
    batches = list(chunks("s", "f", data, Watermark(), "", final=False, size=2))
    assert [len(b.lines) for b in batches] == [2, 2, 1]
    assert [b.first_line for b in batches] == [1, 3, 5]
    assert [b.end.offset for b in batches] == [18, 36, 45]  # 9 bytes a line


def test_given_a_dir_source_when_read_from_a_watermark_then_only_new_lines_come(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"n": 1}\n{"n": 2}\n')
    (tmp_path / "b.jsonl").write_text('{"n": 3}\n')
    (tmp_path / "notes.txt").write_text("not events\n")
    source = FeedbackDirSource(type="dir", path=str(tmp_path))
    first = list(read_dir("inbox", source, {}, size=100))
    assert lines_of(first) == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    marks = {chunk.piece: chunk.end for chunk in first}
    with (tmp_path / "a.jsonl").open("a") as fh:
        fh.write('{"n": 4}\n')
    again = list(read_dir("inbox", source, marks, size=100))
    assert lines_of(again) == [b'{"n": 4}'] and again[0].first_line == 3


def test_given_a_missing_folder_when_read_then_it_fails_unless_optional(tmp_path):
    missing = str(tmp_path / "nowhere")
    optional = FeedbackDirSource(type="dir", path=missing, optional=True)
    assert list(read_dir("x", optional, {}, 9)) == []
    with pytest.raises(SystemExit, match="does not exist"):
        list(read_dir("x", FeedbackDirSource(type="dir", path=missing), {}, 9))


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def test_given_an_s3_prefix_when_read_twice_then_each_object_version_is_read_once(
    s3_endpoint, aws_env
):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="feedback")
    put = lambda key, *ids: client.put_object(  # noqa: E731
        Bucket="feedback", Key=key, Body="".join(json.dumps(event(event_id=i)) + "\n" for i in ids)
    )
    put("events/1.jsonl", "e1", "e2")
    put("events/2.jsonl", "e3")
    put("other/3.jsonl", "e9")
    source = FeedbackS3Source(
        type="s3", bucket="feedback", prefix="events/", endpoint_url=s3_endpoint
    )
    first = list(read_s3("lake", source, {}, size=100))
    ids = [json.loads(line)["event_id"] for line in lines_of(first)]
    assert ids == ["e1", "e2", "e3"]
    marks = {chunk.piece: chunk.end for chunk in first}
    assert list(read_s3("lake", source, marks, size=100)) == []
    put("events/2.jsonl", "e3", "e4")  # rewritten: new ETag, read again (event ids dedupe)
    again = list(read_s3("lake", source, marks, size=100))
    assert [c.piece for c in again] == ["events/2.jsonl"] and len(again[0].lines) == 2
