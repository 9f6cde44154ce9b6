"""The trigger's REST calls against a real HTTP server that is briefly unavailable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from flows.local_stack import _call


class Flaky(ThreadingHTTPServer):
    """Answers each request with the next status of a script, then 200."""

    def __init__(self, statuses: list[int], headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:  # noqa: N805 - the server is self
                length = int(handler.headers.get("Content-Length", 0))
                self.seen.append(handler.rfile.read(length).decode())
                status = self.statuses.pop(0) if self.statuses else 200
                body = b'{"ok": true}' if status == 200 else b'{"exception_message": "x"}'
                handler.send_response(status)
                for name, value in (self.headers if status != 200 else {}).items():
                    handler.send_header(name, value)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            def log_message(handler, *args) -> None:  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(statuses: list[int], headers: dict[str, str] | None = None) -> Flaky:
        server = Flaky(statuses, headers)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def client(server: Flaky) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", timeout=5)


def test_given_503s_when_called_then_the_same_request_is_retried_until_it_succeeds(serve):
    server = serve([503, 503, 429])
    with client(server) as api:
        response = _call(api, "POST", "/run", first_delay_s=0.01, json={"key": "k1"})
    assert response.json() == {"ok": True}
    assert server.seen == ['{"key":"k1"}'] * 4


def test_given_a_client_error_when_called_then_it_raises_at_once(serve):
    server = serve([404])
    with client(server) as api, pytest.raises(httpx.HTTPStatusError, match="404"):
        _call(api, "POST", "/run", first_delay_s=0.01)
    assert len(server.seen) == 1


def test_given_the_server_stays_unavailable_then_the_last_answer_raises(serve):
    server = serve([503] * 10)
    with client(server) as api, pytest.raises(httpx.HTTPStatusError, match="503"):
        _call(api, "POST", "/run", attempts=3, first_delay_s=0.01)
    assert len(server.seen) == 3


def test_given_retry_after_then_it_waits_as_told(serve):
    server = serve([503], {"Retry-After": "0"})
    with client(server) as api:
        assert _call(api, "POST", "/run", first_delay_s=30).json() == {"ok": True}
    assert len(server.seen) == 2
