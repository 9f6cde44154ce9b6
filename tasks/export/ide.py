"""How an IDE tool connects: AutoDev's custom-LLM settings and a README snippet for the bundle."""

from __future__ import annotations

import json

from tasks.params import ServeParams

STREAM_ANSWER = "$.choices[0].delta.content"
FULL_ANSWER = "$.choices[0].message.content"


def base_url(serve: ServeParams) -> str:
    """The server's OpenAI base URL (what OpenAI clients call `base_url`)."""
    return f"http://{serve.host}:{serve.port}/v1"


def autodev_config(serve: ServeParams, model_id: str) -> dict:
    """AutoDev's custom LLM settings (field names of its AutoDevSettingsState / LlmConfig)."""
    request_format = json.dumps(
        {"customFields": {"model": model_id, "temperature": 0, "stream": True}}
    )
    token = f"<value of ${serve.api_key_env}, or empty>"
    return {
        # Settings > AutoDev > Custom LLM (older releases: the flat legacy fields below).
        "customEngineServer": f"{base_url(serve)}/chat/completions",
        "customEngineToken": token,
        "customModel": model_id,
        "customEngineRequestFormat": request_format,
        "customEngineResponseFormat": STREAM_ANSWER,
        # Newer releases: one entry of the `customLlms` list.
        "customLlms": [
            {
                "name": model_id,
                "description": "Fine-tuned by the LLMOps flywheel",
                "url": f"{base_url(serve)}/chat/completions",
                "auth": {"type": "Bearer", "token": token},
                "requestFormat": request_format,
                "responseFormat": STREAM_ANSWER,
                "modelType": "Default",
            }
        ],
        "nonStreamingResponseFormat": FULL_ANSWER,
    }


def ide_readme(serve: ServeParams, model_id: str) -> str:
    """Markdown snippet: start the server, then connect AutoDev or any OpenAI-compatible client."""
    url = base_url(serve)
    request_format = autodev_config(serve, model_id)["customEngineRequestFormat"]
    return f"""# Connecting an IDE to `{model_id}`

Start the server on the promoted bundle (from the repository root):

    make serve            # or: python -m tasks.serve --host {serve.host} --port {serve.port}

Optional auth: export `{serve.api_key_env}=<token>` before starting; clients then send
`Authorization: Bearer <token>`.

## AutoDev (JetBrains / VS Code)

Settings > AutoDev > LLM > Custom (values also in `autodev.json`):

| setting | value |
| --- | --- |
| Custom Engine Server | `{url}/chat/completions` |
| Custom Engine Token | the token above, or empty |
| Custom Model | `{model_id}` |
| Request format | `{request_format}` |
| Response format | `{STREAM_ANSWER}` (streaming); `{FULL_ANSWER}` with `"stream": false` |

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
"""
