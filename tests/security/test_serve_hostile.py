"""The real server under hostile requests and damaged state; nothing secret written to disk."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.identify_assets.planted import planted_corpus
from tests.serve.server import engine_server

pytestmark = pytest.mark.slow  # loads the tiny model once for the module

OLD_ANSWER = {"id": "chatcmpl-old", "model_version": "m0", "task": "write_test",
              "prompt": [{"role": "user", "content": "hi"}], "completion": "ok",
              "latency_ms": 5.0, "client": "api", "user": "a" * 64}  # fmt: skip
BROKEN_ANSWER = {"id": "chatcmpl-damaged"}  # a hand-edited row: the fields feedback needs gone


def torn_state(state: Path) -> None:
    """Logs a disk-full crash left behind: each ends inside a multibyte character."""
    for folder, rows in (("answers", [OLD_ANSWER, BROKEN_ANSWER]), ("inbox", [])):
        (state / folder).mkdir(parents=True)
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        torn = json.dumps({"id": "torn", "completion": "naïve"}, ensure_ascii=False).encode()
        cut = torn.index("ï".encode()) + 1
        (state / folder / "old-1.jsonl").write_bytes(text.encode() + torn[:cut])


@pytest.fixture(scope="module")
def server(tiny_export, tmp_path_factory):
    state = tmp_path_factory.mktemp("hostile-serve")
    torn_state(state)
    with engine_server(tiny_export, state) as (url, engine):
        yield url, engine, state


@pytest.fixture(scope="module")
def spec_24_server(server, tiny_export, tmp_path_factory):
    """The same engine behind a second real server whose scope says ASGI spec 2.4: Starlette
    then stops listening for the disconnect itself (it waits for a write to fail)."""
    from tasks.serve.app import create_app
    from tasks.serve.store import FeedbackStore
    from tests.serve.server import served_params, serving

    _, engine, _ = server
    state = tmp_path_factory.mktemp("spec-24-serve")
    params = served_params(tiny_export, state)
    store = FeedbackStore(Path(params.serve.answers), Path(params.serve.inbox))
    app = create_app(engine, store, params.serve, None)

    async def spec_24(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "asgi": {**scope.get("asgi", {}), "spec_version": "2.4"}}
        await app(scope, receive, send)

    try:
        with serving(spec_24) as url:
            yield url, engine, state
    finally:
        store.close()


def test_after_a_torn_multibyte_tail_the_server_starts_and_keeps_the_old_answers(server):
    url, _, _ = server

    event = {"completion_id": OLD_ANSWER["id"], "action": "accept", "event_id": "after-torn"}
    response = httpx.post(f"{url}/v1/feedback", json=event, timeout=30)

    assert response.status_code == 200, response.text


CHAT = '{"messages": [{"role": "user", "content": CONTENT}], "max_tokens": 2 EXTRA}'
LONE = '"x \\ud800 y"'
SURROGATE_BODIES = {
    "content": ("/v1/chat/completions", CHAT.replace("CONTENT", LONE).replace("EXTRA", "")),
    "content_part": (
        "/v1/chat/completions",
        CHAT.replace("CONTENT", '[{"type": "text", "text": ' + LONE + "}]").replace("EXTRA", ""),
    ),
    "prompt": ("/v1/completions", '{"prompt": ' + LONE + ', "max_tokens": 2}'),
    "task": ("/v1/chat/completions", CHAT.replace("CONTENT", '"hi"').replace(
        "EXTRA", ', "task": ' + LONE)),
    "user": ("/v1/chat/completions", CHAT.replace("CONTENT", '"hi"').replace(
        "EXTRA", ', "user": ' + LONE)),
    "stream_user": ("/v1/chat/completions", CHAT.replace("CONTENT", '"hi"').replace(
        "EXTRA", ', "stream": true, "user": ' + LONE)),
    "feedback_edit": ("/v1/feedback", '{"completion_id": "chatcmpl-old", "action": "edit", '
                                      '"edited_completion": ' + LONE + "}"),
    "feedback_user": ("/v1/feedback", '{"completion_id": "chatcmpl-old", "action": "accept", '
                                      '"user": ' + LONE + "}"),
}  # fmt: skip


def assert_openai_error(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == kind and error["message"] and "code" in error


@pytest.mark.parametrize("name", sorted(SURROGATE_BODIES))
def test_a_lone_surrogate_anywhere_is_an_openai_shaped_400(server, name):
    url, _, _ = server
    path, body = SURROGATE_BODIES[name]

    response = httpx.post(
        f"{url}{path}", content=body.encode(), headers={"content-type": "application/json"},
        timeout=30,
    )  # fmt: skip

    assert_openai_error(response, 400, "invalid_request_error")
    assert "surrogate" in response.json()["error"]["message"]


def test_an_unexpected_error_is_an_openai_shaped_500_and_the_server_stays_up(server):
    url, _, _ = server
    event = {"completion_id": BROKEN_ANSWER["id"], "action": "accept"}

    response = httpx.post(f"{url}/v1/feedback", json=event, timeout=30)

    assert_openai_error(response, 500, "server_error")
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200


def read_response_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_after_a_413_on_a_chunked_body_the_connection_is_closed(server):
    url, _, _ = server
    port = int(url.rsplit(":", 1)[1])
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(20):  # 1.3 MB, over max_request_bytes
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what the test is after
        head = read_response_head(sock)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        sock.settimeout(5)
        try:
            rest = b""
            while chunk_in := sock.recv(65536):
                rest += chunk_in
                assert len(rest) < 10_000, "the server kept the connection open and talking"
        except TimeoutError:
            pytest.fail("the connection was left open after the 413")
        except ConnectionResetError:
            pass  # closed, too


@pytest.mark.parametrize("served", ["server", "spec_24_server"])
def test_a_client_that_disconnects_mid_stream_stops_its_generation(served, request):
    url, engine, _ = request.getfixturevalue(served)
    port = int(url.rsplit(":", 1)[1])
    # Slow each decoding step down, so a generation left running would hold the lock for
    # about 512 * 20 ms, far longer than the next request is allowed to wait.
    steps: list[float] = []

    def slow_step(*_: object) -> None:
        steps.append(time.monotonic())
        time.sleep(0.02)

    hook = engine.model.get_input_embeddings().register_forward_hook(slow_step)
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 512,
                       "stream": True}).encode()  # fmt: skip
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            received = b""
            while b"data: " not in received:  # the role chunk: the answer has started
                received += sock.recv(65536)
            # The tiny model's answer has no spaces, so the streamer sends no piece before the
            # end: the disconnect has to be noticed between tokens, not when a write fails.
            deadline = time.monotonic() + 60
            while len(steps) < 20 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(steps) >= 20, "the streamed generation never started"
        gone, steps_when_gone = time.monotonic(), len(steps)
        answer = httpx.post(
            f"{url}/v1/chat/completions", timeout=60,
            json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1},
        )  # fmt: skip
        waited = time.monotonic() - gone
    finally:
        hook.remove()

    assert answer.status_code == 200
    assert waited < 3.0, f"the next request waited {waited:.1f} s for the abandoned generation"
    # A few steps may still run while the disconnect travels; one is the next request's.
    assert len(steps) - steps_when_gone < 50, f"{len(steps)} steps ran, {steps_when_gone} before"


def test_no_planted_secret_reaches_the_answers_or_inbox_logs(server):
    url, _, state = server
    corpus = planted_corpus()
    texts = list(corpus.files.values())
    for at in range(0, len(texts), 4):
        text = "\n\n".join(texts[at : at + 4])
        chat = {"messages": [{"role": "user", "content": f"Write test for follow code\n\n{text}"}],
                "max_tokens": 1, "task": "write_test"}  # fmt: skip
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat, timeout=60)
        assert answer.status_code == 200, answer.text
        # The tiny model may answer only whitespace: an empty completion takes no edit (schema
        # v1), so the edit then goes to the old answer the log already holds.
        content = answer.json()["choices"][0]["message"]["content"]
        edit = {"completion_id": answer.json()["id"] if content else OLD_ANSWER["id"],
                "action": "edit", "edited_completion": text}  # fmt: skip
        feedback = httpx.post(f"{url}/v1/feedback", json=edit, timeout=60)
        assert feedback.status_code == 200, feedback.text

    on_disk = "".join(
        path.read_bytes().decode("utf-8", "replace") for path in sorted(state.rglob("*.jsonl"))
    )
    leaked = [v for v in corpus.values if any(part in on_disk for part in v.split("\n"))]
    assert leaked == [], f"{len(leaked)} of {len(corpus.values)} planted values written to disk"
    assert "<PASSWORD>" in on_disk and "<EMAIL>" in on_disk  # step 1's placeholders instead
