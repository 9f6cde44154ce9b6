"""Teacher distillation against a real local OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from tasks.build_dataset import distill
from tasks.build_dataset.__main__ import build
from tasks.build_dataset.candidates import Candidate
from tasks.build_dataset.teacher import Teacher, TeacherError, TeacherUnavailable
from tasks.params import TeacherParams

FEES = '''def fee(amount: int) -> int:
    """A one per cent fee."""
    rate = 100
    return amount // rate


def tax(amount: int) -> int:
    base = amount * 2
    rate = 10
    return base // rate


def tricky(amount: int) -> int:
    base = amount * 3
    rate = 10
    return base // rate
'''
TEST_FEES = "from ledger.fees import fee\n\n\ndef test_fee():\n    assert fee(100) == 1\n"


class ChatServer:
    """A deterministic `/v1/chat/completions`: tests for methods, one-line descriptions."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_first: set[str] = set()  # method names answered 503 once
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                status, payload = server.answer(self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        if path != "/v1/chat/completions":
            return 404, {"error": "not found"}
        prompt = body["messages"][-1]["content"]
        name = re.search(r"def (\w+)\(", prompt).group(1)
        if name in self.fail_first:
            self.fail_first.discard(name)
            return 503, {"error": "busy"}
        if name == "refused":
            return 400, {"error": "content policy"}
        if prompt.startswith("In one sentence"):
            text = "Doubles the amount\nand more." if name == "tricky" else f"Computes {name}."
        elif name == "tricky":
            text = "```python\ndef test_tricky(:\n```"  # not Python: must become a reject
        else:
            text = f"```python\ndef test_{name}():\n    assert {name}(10) == 2\n```"
        return 200, {"choices": [{"message": {"role": "assistant", "content": text}}]}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    chat = ChatServer()
    yield chat
    chat.close()


def teacher_params(url: str, tmp_path, **changes) -> TeacherParams:
    base = {
        "base_url": url, "model": "tiny-teacher", "api_key_env": "",
        "max_requests_per_minute": 6000, "max_requests": 100, "max_retries": 1,
        "timeout_s": 10, "max_tokens": 64,
        "cache_dir": str(tmp_path / "cache"), "generate": ["missing_tests", "method_descriptions"],
    }  # fmt: skip
    return TeacherParams(**(base | changes))


def contents() -> pd.DataFrame:
    rows = [
        ("s:ledger/__init__.py", "s", "ledger/__init__.py", "source", "python", ""),
        ("s:ledger/fees.py", "s", "ledger/fees.py", "source", "python", FEES),
        ("s:tests/test_fees.py", "s", "tests/test_fees.py", "test", "python", TEST_FEES),
    ]
    return pd.DataFrame(rows, columns=["asset_id", "source", "path", "kind", "language", "text"])


def step_with(repo_params, teacher: TeacherParams):
    return repo_params.build_dataset.model_copy(
        update={"teacher": teacher, "tasks": ["implement_method", "write_test"],
                "real_plantuml": "off"}
    )  # fmt: skip


def test_given_a_teacher_when_building_then_answers_are_validated_and_a_rerun_asks_nothing(
    server, tmp_path, repo_params, count_tokens
):
    step = step_with(repo_params, teacher_params(server.url, tmp_path))
    records, rejects, info = build(contents(), [], step, count_tokens)

    # tax and tricky have no test: two test requests; both lack docs: two descriptions.
    assert len(server.requests) == 4 and info.teacher.requests == 4
    taught = records[records["origin"] == "teacher_output"]
    assert list(taught["output"]) == ["def test_tax():\n    assert tax(10) == 2"]  # fence gone
    assert set(taught["split"]) == {"train"}
    described = records[records["origin"] == "teacher_input"]
    assert list(described["input"].str.split("\n\n").str[-1]) == ["Description: Computes tax."]
    reasons = set(rejects["reason"].str.split(":").str[0])
    assert {"invalid output (teacher_output)", "teacher_invalid"} <= reasons

    rerun_records, _, rerun_info = build(contents(), [], step, count_tokens)
    assert len(server.requests) == 4  # everything came from the cache
    assert rerun_info.teacher.requests == 0 and rerun_info.teacher.cache_hits == 4
    assert rerun_records.equals(records)


def test_given_a_run_cut_short_when_rerun_then_only_the_missing_answers_are_asked(
    server, tmp_path, repo_params, count_tokens
):
    first = step_with(repo_params, teacher_params(server.url, tmp_path, max_requests=1))
    _, rejects, _ = build(contents(), [], first, count_tokens)
    assert len(server.requests) == 1
    skipped = rejects[rejects["reason"].str.startswith("teacher_skipped")]
    assert len(skipped) == 3 and "max_requests 1 reached" in skipped["reason"].iloc[0]

    build(
        contents(), [], step_with(repo_params, teacher_params(server.url, tmp_path)), count_tokens
    )
    prompts = [json.dumps(r["messages"]) for r in server.requests]
    assert len(prompts) == 4 and len(set(prompts)) == 4  # no request was made twice


def test_given_a_busy_server_when_asked_then_the_request_is_retried_and_spaced(server, tmp_path):
    server.fail_first = {"tax"}
    teacher = Teacher(teacher_params(server.url, tmp_path, max_requests_per_minute=600))
    started = time.monotonic()
    answer = teacher.complete(distill.test_messages(FEES.split("\n\n\n")[1], "python"))
    assert "def test_tax" in answer
    assert teacher.stats.requests == 2 and len(server.requests) == 2
    assert time.monotonic() - started >= 0.1  # 600 a minute: 0.1 s between requests


def test_given_an_error_status_when_asked_then_a_teacher_error_names_it(server, tmp_path):
    teacher = Teacher(teacher_params(server.url, tmp_path))
    with pytest.raises(TeacherError, match="HTTP 400"):
        teacher.complete(distill.test_messages("def refused():\n    pass\n", "python"))
    assert teacher.stats.failures == 1


def test_given_no_server_when_asked_then_the_step_stops_with_a_clear_error(tmp_path):
    teacher = Teacher(teacher_params("http://127.0.0.1:9/v1", tmp_path, max_retries=0))
    with pytest.raises(TeacherUnavailable, match="cannot be reached"):
        teacher.complete(distill.test_messages("def f():\n    pass\n", "python"))


def test_given_descriptions_when_checked_then_only_one_plain_sentence_is_accepted():
    assert distill.description_problem("Adds the fee to the amount.") is None
    assert distill.description_problem("") == "empty"
    assert distill.description_problem("one\ntwo") == "not a single line of prose"
    assert "characters" in distill.description_problem("x" * 300)
    assert distill.strip_fence("```java\n@Test void t() {}\n```") == "@Test void t() {}"


def test_given_documented_methods_when_describing_then_the_teacher_is_not_asked(server, tmp_path):
    documented = Candidate("implement_method", "ledger.fees()", FEES.split("\n\n\n")[0], "python",
                           ("a",), method="fee")  # fmt: skip
    teacher = Teacher(teacher_params(server.url, tmp_path))
    assert distill.describe_methods(teacher, [documented]) == []
    assert server.requests == [] and documented.origin == "asset"
