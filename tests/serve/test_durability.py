"""kill -9 right after acknowledged feedback loses nothing; restarts keep answers and dedupe."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from tests.serve.server import free_port, start_subprocess

pytestmark = pytest.mark.slow

EVENTS = 25


def chat(url: str) -> str:
    body = {"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()["id"]


def inbox_event_ids(root) -> list[str]:
    return [
        json.loads(line)["event_id"]
        for path in sorted((root / "var" / "serve" / "feedback").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_kill_9_after_acknowledged_feedback_loses_no_event(tiny_export):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_subprocess(tiny_export, port)
    try:
        answer_id = chat(url)
        acknowledged = []
        for n in range(EVENTS):
            event = {"completion_id": answer_id, "action": "accept", "event_id": f"kill-{n}"}
            if httpx.post(f"{url}/v1/feedback", json=event, timeout=10).status_code == 200:
                acknowledged.append(event["event_id"])
    finally:
        server.send_signal(signal.SIGKILL)  # right after the last acknowledgement
        server.wait(timeout=30)

    assert len(acknowledged) == EVENTS
    assert set(acknowledged) <= set(inbox_event_ids(tiny_export))

    # After a restart, feedback can still name the old answer, and a retry is not written twice.
    server = start_subprocess(tiny_export, port)
    try:
        retry = {"completion_id": answer_id, "action": "accept", "event_id": "kill-0"}
        late = {"completion_id": answer_id, "action": "reject", "event_id": "late"}
        assert httpx.post(f"{url}/v1/feedback", json=retry).json()["status"] == "duplicate"
        assert httpx.post(f"{url}/v1/feedback", json=late).json()["status"] == "recorded"
    finally:
        server.terminate()
        server.wait(timeout=30)
    ids = inbox_event_ids(tiny_export)
    assert ids.count("kill-0") == 1 and "late" in ids
