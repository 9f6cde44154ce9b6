"""The OpenAI-compatible HTTP API: models, chat completions, completions (SSE or not), feedback."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from tasks.dsl.code_units import LANGUAGES
from tasks.feedback_events import hash_user
from tasks.formats import TASKS, validate_output
from tasks.params import ServeParams
from tasks.serve.continue_inbox import ContinueDevData, ContinueInbox
from tasks.serve.engine import Completion, Engine, PromptTooLong, StopFilter
from tasks.serve.limits import BodySizeLimit, error_body
from tasks.serve.schemas import (
    UNPAIRED_SURROGATE,
    ChatRequest,
    CompletionRequest,
    FeedbackRequest,
    GenerationRequest,
)
from tasks.serve.store import FeedbackStore, UnknownCompletion
from tasks.task_specs import specs

# Tasks whose answers are code in one of several languages: their validator needs the language.
_CODE_TASKS = tuple(name for name, task in specs().items() if task.multi_language)


def create_app(engine: Engine, store: FeedbackStore, params: ServeParams, api_key: str | None):
    """The FastAPI app serving `engine`; `api_key` (when set) is required as a bearer token."""
    app = FastAPI(title="llmops-flywheel", version=engine.version)
    app.add_middleware(BodySizeLimit, max_bytes=params.max_request_bytes)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail), exc.status_code), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette still logs the traceback; the client gets the shape its SDK parses.
        message = f"internal server error ({type(exc).__name__})"
        return JSONResponse(error_body(message, 500), 500)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("request body is not valid JSON", 400), 400)
        if bad := [e for e in errors if e.get("type") == UNPAIRED_SURROGATE]:
            where = ".".join(str(p) for p in bad[0].get("loc", ())[1:]) or "body"
            message = f"{where}: text holds an unpaired UTF-16 surrogate (not valid Unicode)"
            return JSONResponse(error_body(message, 400), 400)
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}"
            for e in errors
        )
        return JSONResponse(error_body(message, 422), 422)

    def authorised(request: Request) -> None:
        if not api_key:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), api_key):
            raise HTTPException(401, "missing or wrong bearer token (Authorization header)")

    def max_tokens(req: GenerationRequest) -> int:
        asked = req.max_completion_tokens or req.max_tokens or params.default_max_tokens
        return min(asked, params.max_tokens)

    def validator(req: GenerationRequest) -> Callable[[str], bool] | None:
        """The named task's validator when serve.resample is on; None: the raw answer goes."""
        task = req.task
        if not params.resample.tries or task not in TASKS:
            return None
        if req.language:
            languages: tuple[str, ...] = (req.language,)
        else:  # any language the code tasks know; the other validators ignore it
            languages = LANGUAGES if task in _CODE_TASKS else ("any",)
        return lambda text: any(not validate_output(task, text, lang) for lang in languages)

    def generate(
        req: GenerationRequest, prompt: str, limit: int, temperature: float
    ) -> tuple[Completion, dict[str, Any]]:
        """The answer and how it was got: {"tries": generations, "valid": bool, or None when
        no validator ran (no known task named, or resampling off)}."""
        is_valid, stop = validator(req), req.stop_list()
        if is_valid is None:
            return engine.complete(prompt, limit, temperature, req.top_p, stop), {
                "tries": 1, "valid": None,
            }  # fmt: skip
        done, tries, valid = engine.complete_valid(
            prompt, limit, temperature, req.top_p, stop, is_valid, params.resample.tries,
            params.resample.temperature, params.resample.top_p,
        )  # fmt: skip
        return done, {"tries": tries, "valid": valid}

    def answer_record(
        answer_id: str, req: GenerationRequest, request: Request, messages: list, text: str,
        started: float, tried: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "id": answer_id,
            "created": int(time.time()),
            "model_version": engine.version,
            "task": req.task or engine.task_of(messages),
            "prompt": messages,
            "completion": text,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "client": request.headers.get("user-agent", "api")[:200],
            "user": hash_user(req.user),
            **tried,  # tries and valid: the validate-and-resample loop's outcome
        }

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": engine.version}

    @app.get("/v1/models", dependencies=[Depends(authorised)])
    async def models() -> dict:
        return {"object": "list", "data": [_model_card(engine.version)]}

    @app.get("/v1/models/{model_id}", dependencies=[Depends(authorised)])
    async def model(model_id: str) -> dict:
        if model_id != engine.version:
            raise HTTPException(404, f"model {model_id!r} is not served here")
        return _model_card(engine.version)

    @app.post("/v1/chat/completions", dependencies=[Depends(authorised)])
    async def chat(req: ChatRequest, request: Request) -> Any:
        messages = [{"role": m.role, "content": m.text()} for m in req.messages]
        prompt, messages = engine.chat_prompt(messages)
        answer_id = f"chatcmpl-{uuid.uuid4().hex}"
        return await _answer(req, request, prompt, messages, answer_id, chat=True)

    @app.post("/v1/completions", dependencies=[Depends(authorised)])
    async def completions(req: CompletionRequest, request: Request) -> Any:
        try:
            prompt = req.prompt_text()
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        messages = [{"role": "user", "content": prompt}]
        answer_id = f"cmpl-{uuid.uuid4().hex}"
        return await _answer(req, request, prompt, messages, answer_id, chat=False)

    async def _answer(
        req: GenerationRequest, request: Request, prompt: str, messages: list, answer_id: str,
        chat: bool,
    ) -> Any:  # fmt: skip
        started, created = time.perf_counter(), int(time.time())
        limit, temperature = max_tokens(req), req.temperature or 0.0
        shape = _ChatShape(answer_id, created, engine.version, chat)
        try:
            if req.stream:
                handle = engine.stream(prompt, limit, temperature, req.top_p)
            else:
                done, tried = await run_in_threadpool(generate, req, prompt, limit, temperature)
        except PromptTooLong as exc:
            return JSONResponse(error_body(str(exc), 400, "context_length_exceeded"), 400)
        if not req.stream:
            record = answer_record(answer_id, req, request, messages, done.text, started, tried)
            await run_in_threadpool(store.record_answer, record)
            usage = _usage(done.prompt_tokens, done.completion_tokens)  # of the answer given
            # An extension field OpenAI clients ignore (their SDKs keep it as an extra).
            return shape.full(done.text, done.finish_reason, usage) | {"llmops": tried}

        async def events() -> AsyncIterator[str]:
            if chat:
                yield _sse(shape.chunk({"role": "assistant", "content": ""}, None))
            deltas = StopFilter(req.stop_list())
            while (piece := await anyio.to_thread.run_sync(next, handle.pieces, None)) is not None:
                if delta := deltas.feed(piece):
                    yield _sse(shape.chunk(delta, None))
                if deltas.stopped:
                    break
            if delta := deltas.flush():  # the answer's end only looked like a stop string's start
                yield _sse(shape.chunk(delta, None))
            text, stopped = deltas.text, deltas.stopped
            await anyio.to_thread.run_sync(handle.thread.join)
            finish = "stop" if handle.ended or stopped else "length"
            # Streams are never resampled: their tokens are out before a validator sees them.
            raw = {"tries": 1, "valid": None}
            record = answer_record(answer_id, req, request, messages, text.strip(), started, raw)
            await run_in_threadpool(store.record_answer, record)
            yield _sse(shape.chunk(None, finish))
            if req.stream_options and req.stream_options.include_usage:
                usage = _usage(handle.prompt_tokens, handle.completion_tokens)
                yield _sse(shape.usage_chunk(usage))
            yield "data: [DONE]\n\n"

        return _StreamedAnswer(
            events(), handle.cancel, media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )  # fmt: skip

    @app.post("/v1/feedback", dependencies=[Depends(authorised)])
    async def feedback(req: FeedbackRequest) -> dict:
        try:
            event, new = await run_in_threadpool(
                store.add_feedback, req.completion_id, req.action, req.edited_completion,
                req.event_id, req.user, req.client,
            )  # fmt: skip
        except UnknownCompletion as exc:
            raise HTTPException(404, f"no completion with id {req.completion_id!r}") from exc
        except ValueError as exc:
            raise HTTPException(422, f"feedback event is not valid: {exc}") from exc
        return {"event_id": event["event_id"], "status": "recorded" if new else "duplicate"}

    continue_inbox = ContinueInbox(Path(params.continue_inbox))

    @app.post("/v1/feedback/continue", dependencies=[Depends(authorised)])
    async def continue_dev_data(body: ContinueDevData) -> dict:
        """Continue's dev data (a `data:` destination of its config.yaml): one event per POST,
        scrubbed and kept for step 6's `continue` source; any 2xx is success to Continue."""
        try:
            path = await run_in_threadpool(continue_inbox.add, body)
        except TypeError as exc:  # orjson: text that is not valid Unicode
            raise HTTPException(400, f"data: {exc}") from exc
        return {"status": "recorded", "event": body.name, "schema": body.schema_,
                "file": f"{path.parent.name}/{path.name}"}  # fmt: skip

    return app


class _StreamedAnswer(StreamingResponse):
    """An SSE answer that stops its generation however the response ends: done, failed, or
    cancelled because the client disconnected (which would otherwise hold the engine's lock
    until max_tokens).

    The disconnect is watched for on its own, whatever ASGI spec version the server reports,
    and stops the generation the moment it arrives: the body iterator may be waiting for a
    piece that the streamer only releases at a word's end (or at the end of the answer), so
    waiting for it to notice would let the generation run on. A write to the socket that
    fails because the client went away stops it too.
    """

    def __init__(self, content: AsyncIterator[str], stop: Callable[[], None], **kwargs: Any):
        super().__init__(content, **kwargs)
        self.stop = stop

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    await self.listen_for_disconnect(receive)
                    self.stop()  # now: the generation ends after the token it is on
                    group.cancel_scope.cancel()

                async def respond() -> None:
                    nonlocal failure
                    try:
                        await self.stream_response(send)
                    except OSError:
                        pass  # the write failed: the client is gone, nobody to answer
                    except Exception as exc:  # re-raised below, not inside an ExceptionGroup
                        failure = exc
                    finally:
                        self.stop()
                        group.cancel_scope.cancel()

                group.start_soon(watch)
                group.start_soon(respond)
        finally:
            self.stop()
        if failure is not None:
            raise failure
        if self.background is not None:
            await self.background()


def _model_card(version: str) -> dict:
    return {"id": version, "object": "model", "created": 0, "owned_by": "llmops-flywheel"}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


class _ChatShape:
    """Response and chunk bodies of chat.completion or text_completion objects."""

    def __init__(self, answer_id: str, created: int, model: str, chat: bool) -> None:
        self.head = {"id": answer_id, "created": created, "model": model}
        self.chat = chat

    def _choice(self, content: Any, finish: str | None, full: bool) -> dict:
        if not self.chat:
            return {"index": 0, "text": content or "", "logprobs": None, "finish_reason": finish}
        key, body = ("message", {"role": "assistant", "content": content}) if full else (
            "delta", content if isinstance(content, dict) else
            ({"content": content} if content is not None else {})
        )  # fmt: skip
        return {"index": 0, key: body, "logprobs": None, "finish_reason": finish}

    def full(self, text: str, finish: str, usage: dict) -> dict:
        obj = "chat.completion" if self.chat else "text_completion"
        return {**self.head, "object": obj, "choices": [self._choice(text, finish, True)],
                "usage": usage}  # fmt: skip

    def chunk(self, content: Any, finish: str | None) -> dict:
        obj = "chat.completion.chunk" if self.chat else "text_completion"
        return {**self.head, "object": obj, "choices": [self._choice(content, finish, False)]}

    def usage_chunk(self, usage: dict) -> dict:
        obj = "chat.completion.chunk" if self.chat else "text_completion"
        return {**self.head, "object": obj, "choices": [], "usage": usage}
