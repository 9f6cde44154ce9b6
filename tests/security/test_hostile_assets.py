"""Hostile assets outside the sandbox: S3 keys that escape, outside `$ref`s, YAML bombs."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import boto3
import pandas as pd
import pytest

from tasks.build_dataset.assets import parse_assets, render_candidates
from tasks.dsl.api_table import SpecError, load_spec
from tasks.identify_assets.process import process_bytes
from tasks.identify_assets.scan import scan_source
from tasks.identify_assets.sources import iter_source
from tasks.params import DirSource, S3Source
from tests.security.hostile import alias_bomb, deadline, deep_yaml, spec_with_ref
from tests.support import REPO, moto_s3

BUCKET = "hostile-assets"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def hostile_bucket(s3_endpoint, monkeypatch) -> str:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    keys = ("api/pkg/../../../../tmp/x.py", "/abs/etc/y.py", "api/./z.py", "api\\..\\..\\w.py")
    for key in (*keys, "api/ok.py"):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"def f():\n    return 1\n")
    return BUCKET


def s3_listing(endpoint: str, prefix: str, filters) -> dict:
    source = S3Source(
        type="s3", path=f"remote://{BUCKET}", bucket=BUCKET, prefix=prefix,
        endpoint_url=endpoint, region="us-east-1",
    )  # fmt: skip
    return {item.path: item for item in iter_source("lake", source, filters)}


@pytest.mark.parametrize("prefix", ["", "api/"])
def test_s3_keys_with_dot_segments_or_absolute_are_rejected_unread_at_listing(
    hostile_bucket, s3_endpoint, repo_params, prefix
):
    items = s3_listing(s3_endpoint, prefix, repo_params.identify_assets.filters)

    ok = "ok.py" if prefix else "api/ok.py"
    assert items[ok].reason is None and items[ok].data
    unsafe = [item for path, item in items.items() if path != ok]
    assert len(unsafe) == (2 if prefix else 4)
    for item in unsafe:
        assert item.reason.startswith("unsafe_path:") and item.data is None


def contents(text: str, path: str = "api/spec.yaml") -> pd.DataFrame:
    """Step 1's contents table holding one OpenAPI asset."""
    row = {"asset_id": f"s:{path}", "source": "s", "path": path, "kind": "openapi",
           "language": "yaml", "text": text}  # fmt: skip
    return pd.DataFrame([row])


def step_two(text: str, repo_params) -> tuple[list[str], str]:
    """Step 2 on one spec: its reject reasons, and every candidate's text joined."""
    parsed = parse_assets(contents(text))
    built = render_candidates(parsed, repo_params.build_dataset)
    texts = "\n".join(c.input + "\n" + c.output for c in built.candidates)
    return [r.reason for r in built.rejects], texts


def test_a_file_ref_outside_the_source_is_a_reject_and_its_text_never_reaches_a_record(
    tmp_path, repo_params
):
    outside = tmp_path / "outside" / "secret.yaml"
    outside.parent.mkdir()
    outside.write_text("Order:\n  type: object\n  properties:\n    leakedfield: {type: string}\n")

    reasons, texts = step_two(spec_with_ref(f"{outside.as_uri()}#/Order"), repo_params)

    assert any("$ref outside the spec refused" in reason for reason in reasons), reasons
    assert "leakedfield" not in texts


def test_a_relative_or_symlinked_ref_leaving_the_source_directory_is_refused(tmp_path):
    source, outside = tmp_path / "source", tmp_path / "outside"
    source.mkdir()
    outside.mkdir()
    (outside / "secret.yaml").write_text("Order: {type: object}\n")
    (source / "inside.yaml").symlink_to(outside / "secret.yaml")

    for ref in ("../outside/secret.yaml#/Order", "inside.yaml#/Order"):
        with pytest.raises(SpecError, match=r"\$ref outside the spec refused"):
            load_spec(spec_with_ref(ref), source)


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        _Counting.hits.append(self.path)
        body = b"Order:\n  type: object\n  properties:\n    fetchedfield: {type: string}\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_an_http_ref_is_never_fetched_and_is_a_reject(repo_params):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Counting.hits.clear()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/schemas.yaml#/Order"
        reasons, texts = step_two(spec_with_ref(url), repo_params)
    finally:
        server.shutdown()
        server.server_close()

    assert _Counting.hits == []  # no request left the process
    assert any("$ref outside the spec refused" in reason for reason in reasons), reasons
    assert "fetchedfield" not in texts


def test_an_alias_bomb_is_rejected_by_step_1_with_a_reason_in_well_under_a_second(
    tmp_path, repo_params
):
    bomb = alias_bomb()
    assert len(bomb.encode()) < 450
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bomb.yaml").write_text(bomb)
    step = repo_params.identify_assets.model_copy(
        update={"sources": {"src": DirSource(type="dir", path=str(tmp_path / "src"))},
                "workers": 1}
    )  # fmt: skip

    with deadline(10) as timing:
        scanned, _ = scan_source("src", step)

    [row] = [s.row for s in scanned]
    assert row["status"] == "rejected" and row["reason"].startswith("unsafe_yaml: aliases")
    assert timing["seconds"] < 1.0


def test_an_alias_bomb_is_rejected_by_step_2_with_a_reason_in_well_under_a_second(repo_params):
    with deadline(5) as timing:
        reasons, _ = step_two(alias_bomb(), repo_params)

    assert any("unsafe YAML: aliases expand" in reason for reason in reasons), reasons
    assert timing["seconds"] < 1.0


def test_yaml_nested_100000_deep_is_a_reject_in_step_1_not_a_crashed_process():
    # Run apart: before the bound, libyaml's recursive composer crashed the whole process.
    code = (
        "import sys\n"
        "from tasks.identify_assets.process import process_bytes\n"
        "from tasks.params import load_params\n"
        "step = load_params('params.yaml').identify_assets\n"
        "data = sys.stdin.buffer.read()\n"
        "print(process_bytes(data, 'yaml', step.filters, step.dedup).reason)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=deep_yaml().encode(), cwd=REPO,
        capture_output=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().startswith("unsafe_yaml: nested deeper than")


def test_yaml_nested_100000_deep_is_a_reject_in_step_2(repo_params):
    with deadline(5) as timing:
        reasons, _ = step_two(deep_yaml(), repo_params)

    assert any("unsafe YAML: nested deeper" in reason for reason in reasons), reasons
    assert timing["seconds"] < 1.0


def test_an_ordinary_spec_with_local_refs_still_becomes_records(repo_params):
    text = (REPO / "samples" / "api" / "payments-openapi.yaml").read_text(encoding="utf-8")

    reasons, texts = step_two(text, repo_params)

    assert reasons == [] and "| API | Method |" in texts


def test_step_1_still_keeps_ordinary_yaml_with_anchors_and_merge_keys(repo_params):
    text = b"defaults: &defaults {retries: 3}\nprod: {<<: *defaults, host: example.org}\n"
    step = repo_params.identify_assets

    assert process_bytes(text, "yaml", step.filters, step.dedup).reason is None
