"""Request-size limit and OpenAI-style error bodies."""

from __future__ import annotations

import json
from typing import Any

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
               413: "request_too_large", 422: "invalid_request_error"}  # fmt: skip


def error_body(message: str, status: int, code: str | None = None) -> dict:
    """{"error": {"message", "type", "code"}}, the shape OpenAI clients parse."""
    kind = ERROR_TYPES.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code or kind}}


class BodySizeLimit:
    """ASGI middleware: bodies over `max_bytes` get 413 (and the connection closed) before the
    app reads them."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if int(length) > self.max_bytes:
                await self._reject(send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked upload): read it here, up to the limit, then replay it.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._reject(send)
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _reject(self, send: Any) -> None:
        payload = json.dumps(
            error_body(f"request body is larger than {self.max_bytes} bytes", 413)
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                # The rest of the body is never read: the connection cannot carry another request.
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")],
            }
        )  # fmt: skip
        await send({"type": "http.response.body", "body": payload})
