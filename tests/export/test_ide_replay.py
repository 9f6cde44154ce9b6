"""The bundle's IDE configs replayed against the real server, as each tool uses them.

Each replay rebuilds the HTTP request the tool builds from the config (URL, headers, body) and
reads the reply the way the tool does. The construction follows the tools' sources:

AutoDev: unit-mesh/auto-dev at 45a688023fd0cc742165129944758bcdc7656b93 (same code in v2.4.6),
  mpp-idea/mpp-idea-core/src/main/kotlin/cc/unitmesh/devti/
  - llm2/model/LlmConfig.kt: LlmConfig / CustomRequest defaults, toLegacyRequestFormat(),
    getResponseFormatByStream()
  - llms/LLMProviderAdapter.kt: the session is [system, user] and request() appends the user
    message once more, always with stream = true
  - llm2/LLMProvider2.kt: fromConfig(), DefaultLLMTextProvider.textComplete() (30 s read
    timeout, Bearer token, custom headers, body) and sseStream() (okhttp-sse events, "[DONE]"
    skipped, JsonPath per event, "response is empty" when nothing was extracted)
  - llms/custom/CustomRequest.kt: updateCustomBody() (messages + customFields) and
    appendCustomHeaders()
Continue: continuedev/continue at d0a3c0b626b5bebc3bef4742eec05a0242be0bab
  - core/llm/index.ts (apiBase gets a trailing "/", streamChat through the OpenAI adapter,
    streamComplete), core/llm/openaiTypeConverters.ts (toChatBody, fromChatCompletionChunk)
  - packages/openai-adapters/src/apis/OpenAI.ts (chatCompletionStream adds stream_options,
    usage chunk last), the openai SDK's SSE reader ("data: [DONE]" ends the stream)
  - core/llm/llms/OpenAI.ts (_streamChat with raw -> _legacystreamComplete: POST completions,
    body from _convertArgs + prompt + stream: true, parsed by @continuedev/fetch streamSse)
  - core/autocomplete/CompletionProvider.ts, templating/index.ts, getStopTokens.ts,
    templating/formatting.ts (the autocomplete prompt and stop words)
  - core/data/log.ts (dev data: POST {name, data, schema, level, profileId} to destination)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from jsonpath_ng import parse as jsonpath

from tasks.export.ide import (
    AUTOCOMPLETE_TEMPLATE,
    FEEDBACK_CONTINUE,
    STREAM_ANSWER,
    autodev_llm,
    base_url,
)
from tasks.io import read_json
from tasks.params import load_params
from tests.serve.server import served_params, serving

pytestmark = pytest.mark.slow  # loads the tiny model per server (a few seconds)

SYSTEM = "You are a helpful assistant."
PROMPT = "Write test for follow code\n\ndef add(a, b):\n    return a + b"
KEY = "s3cret-token"


class AutoDevFailure(Exception):
    """What AutoDev's EventSourceListener.onFailure would get (the chat shows an error)."""


@pytest.fixture(scope="module")
def bundle(tiny_export) -> Path:
    return tiny_export / "bundles" / "latest"


@pytest.fixture(scope="module")
def serve(tiny_export):
    return load_params(tiny_export / "params.yaml").serve


@contextmanager
def ide_server(root: Path, state: Path, api_key: str | None = None) -> Iterator[str]:
    """The real app on the workspace's promoted bundle (as tests/serve/server.py starts it),
    with every file it writes under `state`; yields the server's root URL."""
    from tasks.registry import promoted_bundle
    from tasks.serve.app import create_app
    from tasks.serve.engine import Engine
    from tasks.serve.store import FeedbackStore

    params = served_params(root, state)
    serve = params.serve
    if "continue_inbox" in type(serve).model_fields:  # POST /v1/feedback/continue writes here
        serve = serve.model_copy(update={"continue_inbox": str(state / "continue")})
    base_dir = Path(read_json(root / params.base_model.descriptor)["path"])
    engine = Engine(promoted_bundle(root / params.export.registry_dir), base_dir)
    store = FeedbackStore(Path(serve.answers), Path(serve.inbox))
    try:
        with serving(create_app(engine, store, serve, api_key)) as url:
            yield url
    finally:
        store.close()


@pytest.fixture(scope="module")
def server_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ide-state")


@pytest.fixture(scope="module")
def server(tiny_export, server_state) -> Iterator[str]:
    """The server as the bundle's configs expect it by default: no API key."""
    with ide_server(tiny_export, server_state) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_server(tiny_export, tmp_path_factory) -> Iterator[str]:
    with ide_server(tiny_export, tmp_path_factory.mktemp("ide-key"), api_key=KEY) as url:
        yield url


def on(root: str, url: str, serve) -> str:
    """`url` from a config, sent to the test server's root instead of serve.host:port."""
    configured = f"http://{serve.host}:{serve.port}"
    assert url.startswith(configured + "/"), url
    return root + url.removeprefix(configured)


# --- AutoDev ---------------------------------------------------------------------------------


def autodev_request(entry: dict, root: str, serve) -> httpx.Request:
    """The request DefaultLLMTextProvider builds from one `customLlms` entry."""
    # LlmConfig fields and their defaults (CustomRequest() when the entry has none).
    custom = entry.get("customRequest", {"headers": {}, "body": {}, "stream": True})
    headers_, body_ = custom.get("headers", {}), custom.get("body", {})
    # toLegacyRequestFormat(): {"customHeaders": ... (only when not empty), "customFields": body}
    request_customize = {"customFields": body_} | ({"customHeaders": headers_} if headers_ else {})
    # LLMProviderAdapter.stream(): session [system, user], request() appends the user message.
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPT},
        {"role": "user", "content": PROMPT},
    ]
    # updateCustomBody(): the CustomRequest(messages) object, customFields put over it, then
    # "messages" rebuilt as {role, content}; kotlinx Json writes it compact.
    body = {"messages": messages} | request_customize["customFields"]
    body["messages"] = [{"role": m["role"], "content": m["content"]} for m in messages]
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",  # RequestBody of "application/json"
        "Accept": "text/event-stream",  # okhttp-sse's RealEventSource adds it
        "User-Agent": "okhttp/4.12.0",
    }
    if entry["auth"]["token"]:  # authorizationKey = llmConfig.auth.token
        headers["Authorization"] = f"Bearer {entry['auth']['token']}"
    headers |= request_customize.get("customHeaders", {})  # header(): replaces a same-named one
    url = on(root, entry["url"], serve)
    return httpx.Request("POST", url, headers=headers, content=content)


def sse_data(lines: Iterator[str]) -> Iterator[str]:
    """okhttp-sse's ServerSentEventReader: `data:` fields (one optional space after the colon),
    several joined by newlines, an event dispatched at each blank line; comments skipped."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def autodev_read(request: httpx.Request, entry: dict) -> str:
    """The answer as AutoDev assembles it, or AutoDevFailure."""
    custom = entry.get("customRequest", {"stream": True})
    # getResponseFormatByStream(): the JsonPath follows customRequest.stream, not responseFormat.
    resolver = jsonpath(
        "$.choices[0].delta.content" if custom.get("stream", True)
        else "$.choices[0].message.content"
    )  # fmt: skip
    timeout = httpx.Timeout(10.0, read=30.0)  # OkHttp connect 10 s, readTimeout(30 s)
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream(
            request.method, request.url, headers=request.headers, content=request.content
        ) as response,
    ):
        if not response.is_success:
            raise AutoDevFailure(f"error: {response.status_code} {response.read().decode()}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media != "text/event-stream":  # okhttp-sse checks the body's media type first
            raise AutoDevFailure(f"Invalid content-type: {response.headers.get('content-type')}")
        result = ""
        for data in sse_data(response.iter_lines()):
            if data == "[DONE]":
                continue  # onEvent returns; the stream ends when the server closes it
            try:
                found = resolver.find(json.loads(data))
            except ValueError:
                found = []  # JsonPath.parse failed: runCatching gives ""
            value = found[0].value if found else None
            result += value if isinstance(value, str) else ""
    if not result:
        raise AutoDevFailure("response is empty")  # onClosed with nothing extracted
    return result


def test_the_autodev_entry_has_what_current_autodev_reads(bundle, serve):
    config = read_json(bundle / "autodev.json")
    version = read_json(bundle / "manifest.json")["version"]
    (entry,) = config["customLlms"]

    assert config["defaultModelId"] == entry["name"] == version
    assert entry["url"] == f"{base_url(serve)}/chat/completions"
    assert entry["auth"] == {"type": "Bearer", "token": ""}  # the bundle holds no key
    assert entry["maxTokens"] == serve.max_tokens
    assert entry["customRequest"] == {
        "headers": {}, "body": {"model": version, "temperature": 0.0, "stream": True},
        "stream": True,
    }  # fmt: skip
    assert entry["modelType"] == "Default" and entry["responseFormat"] == STREAM_ANSWER
    # A non-empty requestFormat would win over customRequest in the older CustomLLMProvider.
    assert "requestFormat" not in entry
    assert config["legacy"]["customEngineServer"] == entry["url"]


def test_autodev_streams_an_answer_from_the_bundles_entry(bundle, serve, server):
    (entry,) = read_json(bundle / "autodev.json")["customLlms"]
    request = autodev_request(entry, server, serve)

    assert json.loads(request.content)["stream"] is True and "Authorization" not in request.headers
    answer = autodev_read(request, entry)

    assert answer.strip()


def test_autodev_sends_the_token_as_bearer_and_the_keyed_server_accepts_it(
    bundle, serve, keyed_server
):
    version = read_json(bundle / "manifest.json")["version"]
    entry = autodev_llm(serve, version, api_key=KEY)
    request = autodev_request(entry, keyed_server, serve)

    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert autodev_read(request, entry).strip()
    without = autodev_request(autodev_llm(serve, version), keyed_server, serve)
    with pytest.raises(AutoDevFailure, match="401"):
        autodev_read(without, entry)


def test_the_previous_entry_would_fail_in_current_autodev(bundle, serve, server):
    """The entry exported before (requestFormat only, no customRequest): current AutoDev sends
    no "stream", the server answers JSON, and okhttp-sse rejects it."""
    version = read_json(bundle / "manifest.json")["version"]
    old = {
        "name": version, "url": f"{base_url(serve)}/chat/completions",
        "auth": {"type": "Bearer", "token": ""}, "modelType": "Default",
        "requestFormat": json.dumps(
            {"customFields": {"model": version, "temperature": 0, "stream": True}}
        ),
        "responseFormat": STREAM_ANSWER,
    }  # fmt: skip
    request = autodev_request(old, server, serve)

    assert "stream" not in json.loads(request.content)
    with pytest.raises(AutoDevFailure, match="Invalid content-type: application/json"):
        autodev_read(request, old)


# --- Continue --------------------------------------------------------------------------------


def continue_model(bundle: Path) -> dict:
    config = yaml.safe_load((bundle / "continue.yaml").read_text())
    (model,) = config["models"]
    return model


def continue_api_base(model: dict) -> str:
    base = model["apiBase"]
    return base if base.endswith("/") else f"{base}/"  # BaseLLM's constructor adds the "/"


def continue_chat_request(model: dict, root: str, serve) -> httpx.Request:
    """openai SDK request from OpenAIApi.chatCompletionStream(toChatBody(...))."""
    options = model.get("defaultCompletionOptions", {})
    body = {  # toChatBody(); undefined fields are dropped by JSON.stringify
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT},
        ],
        "model": model["model"],
        "max_tokens": options.get("maxTokens", 4096),  # DEFAULT_MAX_TOKENS
        **({"temperature": options["temperature"]} if "temperature" in options else {}),
        "stream": True,
        "stream_options": {"include_usage": True},  # the adapter's modifyChatBody()
    }
    url = on(root, continue_api_base(model) + "chat/completions", serve)
    headers = {  # the SDK's defaults; Node's fetch trims "Bearer " to "Bearer" without a key
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f"Bearer {model['apiKey']}" if model.get("apiKey") else "Bearer",
        "User-Agent": "OpenAI/JS 5.23.2",
    }
    return httpx.Request("POST", url, headers=headers, content=json.dumps(body).encode())


def sdk_sse(response: httpx.Response) -> Iterator[dict]:
    """The openai SDK's Stream: JSON of each `data:` event until `data: [DONE]`."""
    for data in sse_data(response.iter_lines()):
        if data.startswith("[DONE]"):
            return
        event = json.loads(data)
        if event.get("error"):
            raise AssertionError(f"APIError: {event['error']}")
        yield event


def test_the_continue_config_registers_the_model_for_chat_edit_and_autocomplete(bundle, serve):
    config = yaml.safe_load((bundle / "continue.yaml").read_text())
    model = continue_model(bundle)
    version = read_json(bundle / "manifest.json")["version"]

    assert config["schema"] == "v1" and config["name"] and config["version"]
    assert model["provider"] == "openai" and model["model"] == version
    assert model["apiBase"] == base_url(serve)
    assert model["roles"] == ["chat", "edit", "autocomplete"]
    assert model["defaultCompletionOptions"]["maxTokens"] == serve.max_tokens
    assert model["contextLength"] == 2048  # the tiny model's max_position_embeddings
    assert model["promptTemplates"]["autocomplete"] == AUTOCOMPLETE_TEMPLATE


def test_continue_chat_streams_like_its_openai_adapter_reads_it(bundle, serve, server):
    model = continue_model(bundle)
    request = continue_chat_request(model, server, serve)
    content, usage = "", None

    with (
        httpx.Client(timeout=120) as client,
        client.stream(
            "POST", request.url, headers=request.headers, content=request.content
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = list(sdk_sse(response))
    # chatCompletionStream(): chunks with usage held back and given last
    ordered = [c for c in chunks if not c.get("usage")] + [c for c in chunks if c.get("usage")]
    for chunk in ordered:
        delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
        content += delta.get("content") or ""  # fromChatCompletionChunk()
        usage = chunk.get("usage") or usage

    assert content.strip() and usage["completion_tokens"] > 0
    assert len({c["id"] for c in chunks}) == 1  # Continue keeps the first id as lastRequestId


def continue_autocomplete_request(model: dict, root: str, serve, prefix: str) -> httpx.Request:
    """OpenAI._legacystreamComplete() for the autocomplete of `prefix` in src/calc.py."""
    # formatSnippets() with no snippets: "\n" + the file's path as a comment; then the template.
    prompt_prefix = "\n".join(["\n# src/calc.py", prefix])
    template = model.get("promptTemplates", {}).get("autocomplete")
    assert template == "{{{prefix}}}", "the replay renders only the prefix-only template"
    prompt = prompt_prefix
    stop = ["/src/", "#- coding: utf-8", "```"]  # getStopTokens(): commonStops
    options = model.get("defaultCompletionOptions", {})
    body = {  # _convertArgs(options, []) without messages, then prompt and stream: true
        "model": model["model"],
        "max_tokens": options.get("maxTokens", 4096),
        **({"temperature": options["temperature"]} if "temperature" in options else {}),
        "stream": True,
        "stop": stop,
        "prompt": prompt,
    }
    headers = {"Content-Type": "application/json", "api-key": model.get("apiKey", "")}
    if model.get("apiKey"):
        headers["Authorization"] = f"Bearer {model['apiKey']}"
    url = on(root, continue_api_base(model) + "completions", serve)
    return httpx.Request("POST", url, headers=headers, content=json.dumps(body).encode())


def continue_stream_sse(response: httpx.Response) -> Iterator[dict]:
    """@continuedev/fetch streamSse(): per line, "data: [DONE]" ends, other data lines parsed."""
    if response.status_code != 200:
        raise AssertionError(response.read().decode())
    for line in response.iter_lines():
        if line.startswith(("data:[DONE]", "data: [DONE]", ": ping")):
            return
        if line.startswith("data:"):
            data = json.loads(line[6:] if line.startswith("data: ") else line[5:])
            if data.get("error"):
                raise AssertionError(f"Error streaming response: {data['error']}")
            yield data


def test_continue_autocomplete_completes_the_prefix_through_completions(bundle, serve, server):
    model = continue_model(bundle)
    request = continue_autocomplete_request(model, server, serve, "def add(a, b):\n    ")

    with (
        httpx.Client(timeout=120) as client,
        client.stream(
            "POST", request.url, headers=request.headers, content=request.content
        ) as response,
    ):
        events = list(continue_stream_sse(response))
    # OpenAI._legacystreamComplete(): choices[0].text of each event
    completion = "".join(
        e["choices"][0]["text"] for e in events
        if e.get("choices") and e["choices"][0].get("text") and e.get("finish_reason") != "eos"
    )  # fmt: skip

    assert events and all(e["id"].startswith("cmpl-") for e in events)
    assert completion and "```" not in completion  # a stop word ends the answer before it


def test_the_dev_data_destination_is_the_servers_continue_feedback_route(bundle, serve):
    config = yaml.safe_load((bundle / "continue.yaml").read_text())
    (data,) = config["data"]

    assert data["destination"] == f"http://{serve.host}:{serve.port}{FEEDBACK_CONTINUE}"
    assert FEEDBACK_CONTINUE == "/v1/feedback/continue"
    assert data["schema"] == "0.2.0" and data["level"] == "all"  # "noCode" drops the texts
    assert set(data["events"]) == {"autocomplete", "chatFeedback", "editOutcome"}


def test_continue_dev_data_posts_reach_the_servers_continue_route(
    bundle, serve, server, server_state
):
    """DataLogger.logToOneDestination(): one POST per event to the destination; any 2xx is
    success (response.ok). The event: an accepted autocomplete, schema 0.2.0, level all."""
    (destination,) = yaml.safe_load((bundle / "continue.yaml").read_text())["data"]
    completion_id = str(uuid.uuid4())
    event = {  # autocompleteEventSchema_0_2_0 fields, base values from addBaseValues()
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "userId": "", "userAgent": "Visual Studio Code/1.100.0 (Continue/1.2.0)",
        "selectedProfileId": "local", "eventName": "autocomplete", "schema": "0.2.0",
        "accepted": True, "time": 812, "prefix": "def add(a, b):\n    ", "suffix": "\n",
        "prompt": "def add(a, b):\n    ", "completion": "return a + b",
        "modelProvider": "openai", "modelName": continue_model(bundle)["model"],
        "cacheHit": False, "filepath": "file:///work/src/calc.py", "completionId": completion_id,
        "uniqueId": "None", "disable": False, "maxPromptTokens": 1024, "debounceDelay": 350,
        "maxSuffixPercentage": 0.2, "prefixPercentage": 0.3, "transform": True,
        "multilineCompletions": "auto", "slidingWindowPrefixPercentage": 0.75,
        "slidingWindowSize": 500, "useCache": True, "onlyMyCode": True,
        "useRecentlyEdited": True, "useImports": True,
    }  # fmt: skip
    body = {"name": "autocomplete", "data": event, "schema": destination["schema"],
            "level": destination["level"], "profileId": "local"}  # fmt: skip
    headers = {"Content-Type": "application/json"}  # + Bearer when the destination has apiKey

    response = httpx.post(
        on(server, destination["destination"], serve), headers=headers,
        content=json.dumps(body).encode(), timeout=30,
    )  # fmt: skip

    assert response.is_success, response.text
    written = list((server_state / "continue").rglob("*.jsonl"))
    assert any(completion_id in p.read_text() for p in written)
