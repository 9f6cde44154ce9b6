"""Continue dev-data events in the shapes of continuedev/continue's zod schemas
(packages/config-yaml/src/schemas/data/<event>/v0.1.0.ts, v0.2.0.ts), written by the tests.

Base fields of 0.2.0 (base.ts): eventName, schema, timestamp (ISO), userId, userAgent,
selectedProfileId; 0.1.0 picks none of them (autocomplete has its own timestamp).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import fake_aws_key_id

USER_TOKEN = "continue-user-token-7f3a"  # Continue's userId (its user token): never stored raw
AGENT = "Visual Studio Code/1.95.3 (Continue/1.0.9)"
AWS_KEY = fake_aws_key_id()  # planted at run time, never a committed literal


def base(name: str, stamp: str = "2026-11-02T10:15:30.123Z") -> dict:
    return {"eventName": name, "schema": "0.2.0", "timestamp": stamp, "userId": USER_TOKEN,
            "userAgent": AGENT, "selectedProfileId": "local"}  # fmt: skip


_AUTOCOMPLETE_OPTIONS = {
    "disable": False, "maxPromptTokens": 1024, "debounceDelay": 350, "maxSuffixPercentage": 0.2,
    "prefixPercentage": 0.3, "transform": True, "multilineCompletions": "auto",
    "slidingWindowPrefixPercentage": 0.75, "slidingWindowSize": 500, "useCache": True,
    "onlyMyCode": True, "useRecentlyEdited": True, "useImports": True,
}  # fmt: skip


def autocomplete(completion_id: str, accepted: bool | None, **changes) -> dict:
    event = base("autocomplete") | _AUTOCOMPLETE_OPTIONS | {
        "accepted": accepted, "time": 412, "prefix": "def add(a, b):\n    ",
        "suffix": "\n\nprint(add(1, 2))\n", "prompt": "<fim_prefix>def add(a, b):\n    ...",
        "completion": "return a + b", "modelProvider": "openai", "modelName": "flywheel-v3",
        "cacheHit": False, "filepath": "file:///work/shop/src/calc.py",
        "gitRepo": "git@example.com:shop.git", "completionId": completion_id,
        "uniqueId": "vscode-machine-1", "enabledStaticContextualization": False,
    }  # fmt: skip
    if accepted is None:
        del event["accepted"]
    return event | changes


def autocomplete_0_1_0(completion_id: str, accepted: bool) -> dict:
    event = autocomplete(completion_id, accepted)
    for key in ("eventName", "schema", "userId", "userAgent", "selectedProfileId",
                "enabledStaticContextualization"):  # fmt: skip
        del event[key]
    return event | {"useFileSuffix": True, "disableInFiles": [],
                    "completionOptions": {"temperature": 0.01}}  # fmt: skip


def edit_outcome(accepted: bool, new_code: str | None = None, **changes) -> dict:
    previous = "def fee(amount):\n    return amount\n"
    proposed = "def fee(amount):\n    return round(amount * 0.03, 2)\n"
    return base("editOutcome") | {
        "prompt": "charge a 3% fee", "completion": proposed, "modelName": "flywheel-v3",
        "modelTitle": "flywheel-v3", "modelProvider": "openai", "accepted": accepted,
        "previousCode": previous, "newCode": proposed if new_code is None else new_code,
        "previousCodeLines": 3, "newCodeLines": 3, "lineChange": 0,
        "filepath": "file:///work/shop/tests/test_fees.py",
    } | changes  # fmt: skip


def chat_feedback(feedback: bool | None, completion: str = "Use a dict.", **changes) -> dict:
    event = base("chatFeedback") | {
        "prompt": "How do I count words in Python?", "completion": completion,
        "modelProvider": "openai", "modelName": "flywheel-v3", "modelTitle": "Flywheel",
        "feedback": feedback, "sessionId": "0b3f8f0e-2f43-4f7e-9a51-6d0e8d1e2c11",
    }  # fmt: skip
    if feedback is None:
        del event["feedback"]
    return event | changes


def chat_feedback_0_1_0(feedback: bool) -> dict:
    return {"modelName": "flywheel-v3", "completionOptions": {}, "prompt": "hi",
            "completion": "hello", "feedback": feedback,
            "sessionId": "0b3f8f0e-2f43-4f7e-9a51-6d0e8d1e2c12"}  # fmt: skip


def next_edit_outcome(completion_id: str, accepted: bool | None, aborted: bool = False) -> dict:
    event = base("nextEditOutcome") | {
        "elapsed": 230, "completionOptions": {}, "completionId": completion_id,
        "requestId": "req-1", "gitRepo": "shop", "uniqueId": "vscode-machine-1",
        "fileUri": "file:///work/shop/src/Ledger.java", "workspaceDirUri": "file:///work/shop",
        "prompt": "<|editable_region|>int total;\n", "userEdits": "@@ -1 +1 @@",
        "userExcerpts": "int total;", "originalEditableRange": "int total;",
        "completion": "int total = 0;", "cursorPosition": {"line": 3, "character": 9},
        "accepted": accepted, "aborted": aborted, "modelProvider": "continue",
        "modelName": "instinct",
    }  # fmt: skip
    event["timestamp"] = 1793614530123  # nextEditOutcome overrides timestamp as a number (ms)
    if accepted is None:
        del event["accepted"]
    return event


def no_verdict_events() -> dict[str, dict]:
    """One event of each 0.2.0 type that carries no verdict, by name."""
    return {
        "tokensGenerated": base("tokensGenerated") | {
            "model": "flywheel-v3", "provider": "openai", "promptTokens": 120,
            "generatedTokens": 40},
        "chatInteraction": base("chatInteraction") | {
            "prompt": "hi", "completion": "hello", "modelName": "m", "modelTitle": "M",
            "modelProvider": "openai", "sessionId": "s1", "tools": ["read_file"],
            "rules": [{"id": "r1", "slug": "style"}]},
        "editInteraction": base("editInteraction") | {
            "prompt": "rename x", "completion": "y = 1", "modelName": "m", "modelTitle": "M",
            "modelProvider": "openai", "filepath": "file:///a.py"},
        "nextEditWithHistory": base("nextEditWithHistory") | {
            "previousEdits": [{"filename": "a.py", "diff": "@@"}], "fileURI": "file:///a.py",
            "workspaceDirURI": "file:///", "beforeContent": "x", "afterContent": "y",
            "beforeCursorPos": {"line": 0, "character": 0},
            "afterCursorPos": {"line": 0, "character": 1}, "context": "", "modelProvider": "c",
            "modelName": "m", "modelTitle": "M"},
        "toolUsage": base("toolUsage") | {
            "toolCallId": "call-1", "functionName": "read_file",
            "functionParams": {"path": "a.py"}, "toolCallArgs": "{\"path\": \"a.py\"}",
            "accepted": True, "succeeded": True, "output": []},
    }  # fmt: skip


def quick_edit_0_1_0() -> dict:
    return {"prompt": "add types", "path": "/work/a.py", "label": "Edit",
            "diffs": [{"type": "old", "line": "def f(x):"},
                      {"type": "new", "line": "def f(x: int):"}],
            "model": "flywheel-v3"}  # fmt: skip


def tokens_generated_0_1_0() -> dict:
    return {"model": "flywheel-v3", "provider": "openai", "promptTokens": 1, "generatedTokens": 2}


def write_dev_data(root: Path, files: dict[str, list[dict | str]], append: bool = False) -> None:
    """`files`: relative path (`0.2.0/autocomplete.jsonl`) -> events (dicts) or raw lines."""
    for relative, lines in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
        with path.open("a" if append else "w", encoding="utf-8") as fh:
            fh.write(text)
