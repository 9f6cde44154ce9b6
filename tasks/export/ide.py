"""How IDE tools connect to the served bundle: AutoDev's custom-LLM entry, a Continue config, and
the README snippet (IDE.md) that shows both.

The field names and request shapes follow the tools' own sources (read 2026-12):

- AutoDev (unit-mesh/auto-dev, JetBrains plugin, release v2.4.6 and main at 45a6880):
  `llm2/model/LlmConfig.kt` (the `customLlms` entry: name, description, url, auth, maxTokens,
  customRequest {headers, body, stream}, modelType; requestFormat / responseFormat deprecated),
  `llm2/LLMProvider2.kt` (`fromConfig`, `DefaultLLMTextProvider`: POST to `url`,
  `Authorization: Bearer <auth.token>` when the token is set, body = {"messages": [...]} plus
  customRequest.body, 30 s read timeout, okhttp-sse: `data:` lines, JsonPath
  `$.choices[0].delta.content` when customRequest.stream, `[DONE]` skipped),
  `settings/dialog/LLMDialog.kt` (what the "Add LLM" dialog saves).
- Continue (continuedev/continue at d0a3c0b): `packages/config-yaml/src/schemas/models.ts` and
  `data/index.ts` (config.yaml), `core/llm/llms/OpenAI.ts` and
  `packages/openai-adapters/src/apis/OpenAI.ts` (requests), `core/data/log.ts` (dev data POST).
"""

from __future__ import annotations

import json

import yaml

from tasks.params import ServeParams

STREAM_ANSWER = "$.choices[0].delta.content"
FULL_ANSWER = "$.choices[0].message.content"
FEEDBACK_CONTINUE = "/v1/feedback/continue"  # Continue's dev-data destination on our server
# Continue's dev-data events that carry the user's verdict on an answer (schema 0.2.0, level all).
CONTINUE_EVENTS = ("autocomplete", "chatFeedback", "editOutcome")
# Autocomplete prompt: the prefix only. Continue's default for a model name it does not know is
# StableCode's FIM template (<fim_prefix>...<fim_middle>), tokens our model was never taught.
AUTOCOMPLETE_TEMPLATE = "{{{prefix}}}"


def base_url(serve: ServeParams) -> str:
    """The server's OpenAI base URL (what OpenAI clients call `base_url`)."""
    return f"http://{serve.host}:{serve.port}/v1"


def autodev_llm(serve: ServeParams, model_id: str, api_key: str | None = None) -> dict:
    """One entry of AutoDev's `customLlms` (LlmConfig, as its LLM dialog saves it).

    AutoDev sends `Authorization: Bearer <auth.token>` itself when the token is not empty, so the
    token lives in `auth` only: a copy in customRequest.headers would be applied after it and
    win, and go stale when the token is changed in the dialog. `requestFormat` is left out on
    purpose: the deprecated CustomLLMProvider prefers a non-empty requestFormat over
    customRequest. `responseFormat` is the deprecated field that provider and the dialog still
    read; current releases derive the same JsonPath from customRequest.stream.
    """
    return {
        "name": model_id,
        "description": "Fine-tuned by the LLMOps flywheel",
        "url": f"{base_url(serve)}/chat/completions",
        "auth": {"type": "Bearer", "token": api_key or ""},
        "maxTokens": serve.max_tokens,  # shown by AutoDev, not sent: the server caps max_tokens
        "customRequest": {
            "headers": {},
            "body": {"model": model_id, "temperature": 0.0, "stream": True},
            "stream": True,
        },
        "modelType": "Default",
        "responseFormat": STREAM_ANSWER,
    }


def autodev_config(serve: ServeParams, model_id: str, api_key: str | None = None) -> dict:
    """autodev.json: the `customLlms` list and default model of AutoDev >= 2.2 (the settings
    `customLlms` and `defaultModelId`), plus the flat fields of releases before 2.0 under
    `legacy`. The bundle never holds the key: `api_key` is for a config written on your machine.
    """
    entry = autodev_llm(serve, model_id, api_key)
    return {
        "customLlms": [entry],
        "defaultModelId": model_id,
        "legacy": {
            "_comment": (
                "AutoDev releases before 2.0 only (Custom Engine fields); 2.x reads these only "
                "when no default model is chosen"
            ),
            "customEngineServer": entry["url"],
            "customEngineToken": entry["auth"]["token"],
            "customModel": model_id,
            "customEngineRequestFormat": json.dumps(
                {"customFields": entry["customRequest"]["body"]}
            ),
            "customEngineResponseFormat": STREAM_ANSWER,
        },
    }


def continue_config(serve: ServeParams, model_id: str, context_length: int | None = None) -> dict:
    """Continue's config.yaml: the model for chat, edit and autocomplete (provider openai) and a
    dev-data destination that posts accept / reject events to our server."""
    model: dict = {
        "name": model_id,
        "provider": "openai",
        "model": model_id,
        "apiBase": base_url(serve),
        "roles": ["chat", "edit", "autocomplete"],
        "defaultCompletionOptions": {"temperature": 0.0, "maxTokens": serve.max_tokens},
        "promptTemplates": {"autocomplete": AUTOCOMPLETE_TEMPLATE},
    }
    if context_length:
        model["contextLength"] = context_length
    return {
        "name": f"LLMOps flywheel {model_id}",
        "version": "1.0.0",
        "schema": "v1",
        "models": [model],
        "data": [
            {
                "name": "llmops-flywheel-feedback",
                "destination": f"http://{serve.host}:{serve.port}{FEEDBACK_CONTINUE}",
                "schema": "0.2.0",
                "level": "all",
                "events": list(CONTINUE_EVENTS),
            }
        ],
    }


def continue_yaml(serve: ServeParams, model_id: str, context_length: int | None = None) -> str:
    """continue.yaml as written into the bundle: the config with a comment on the API key."""
    head = (
        "# Continue config for the LLMOps flywheel server (copy to ~/.continue/config.yaml or\n"
        "# .continue/ in your workspace). When the server runs with "
        f"${serve.api_key_env} set, add\n"
        f"#   apiKey: ${{{{ secrets.{serve.api_key_env} }}}}\n"
        "# to the model and to the data entry, and put the key into ~/.continue/.env.\n"
    )
    return head + yaml.safe_dump(
        continue_config(serve, model_id, context_length), sort_keys=False, allow_unicode=True
    )


def ide_readme(serve: ServeParams, model_id: str, engines: str) -> str:
    """Markdown snippet: start the server, then connect AutoDev, Continue or any OpenAI client;
    `engines` (bundle_recipes.engine_recipes) serves the bundle with vLLM or Ollama instead."""
    url = base_url(serve)
    entry = autodev_llm(serve, model_id)
    feedback = f"http://{serve.host}:{serve.port}{FEEDBACK_CONTINUE}"
    return f"""# Connecting an IDE to `{model_id}`

Start the server on the promoted bundle (from the repository root):

    make serve            # or: python -m tasks.serve --host {serve.host} --port {serve.port}

Optional auth: export `{serve.api_key_env}=<token>` before starting; clients then send
`Authorization: Bearer <token>`. The bundle holds no token: add yours where shown below.
To serve the bundle with vLLM or Ollama instead, see the sections at the end.

## AutoDev (JetBrains), 2.2 or later

Settings > AutoDev > LLM > add a model (the dialog saves the `customLlms` entry in
`autodev.json`), then choose `{model_id}` as the default model:

| field | value |
| --- | --- |
| Name | `{model_id}` |
| URL | `{entry["url"]}` |
| Token | the token above, or empty |
| Max tokens | `{serve.max_tokens}` |
| Model | `{model_id}` |
| Temperature | `0.0` |
| Use streaming response | on (AutoDev always reads the answer as SSE) |
| Response resolver | `{STREAM_ANSWER}` |
| Custom headers / Additional body | `{{}}` |

AutoDev posts `{{"messages": [...], "model": ..., "temperature": 0.0, "stream": true}}`, reads
the `data:` lines with that JsonPath until `[DONE]`, with a 30 s read timeout (a long answer
is fine as long as tokens keep coming). Releases before 2.0 have flat "Custom Engine" fields
instead: their values are under `legacy` in `autodev.json`.

## Continue (VS Code / JetBrains)

Copy `continue.yaml` to `~/.continue/config.yaml` (or merge its `models` and `data` entries).
It registers `{model_id}` (provider `openai`, apiBase `{url}`) for chat, edit and
autocomplete. Chat streams from `{url}/chat/completions`; autocomplete posts the code before the
cursor as `prompt` to `{url}/completions` (no FIM: the code after the cursor is not sent). The
`data` entry posts Continue's accept / reject events ({", ".join(CONTINUE_EVENTS)}, schema
0.2.0) to `{feedback}`, where they become feedback for step 6.

## Any OpenAI-compatible client

```python
from openai import OpenAI

client = OpenAI(base_url="{url}", api_key="<token or anything>")
reply = client.chat.completions.create(
    model="{model_id}", messages=[{{"role": "user", "content": "Write test for follow code ..."}}]
)
print(reply.id, reply.choices[0].message.content)
```

```bash
curl -N {url}/chat/completions -H 'Content-Type: application/json' \\
  -d '{{"model": "{model_id}", "stream": true, "messages": [{{"role": "user", "content": "hi"}}]}}'
```

Feedback on an answer (its `id`), ingested by step 6:

```bash
curl {url}/feedback -H 'Content-Type: application/json' \\
  -d '{{"completion_id": "chatcmpl-...", "action": "edit", "edited_completion": "..."}}'
```

{engines.rstrip()}
"""
