"""Step 5 end to end on the tiny model: bundle contents, registry, merged-model parity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.io import read_json
from tasks.registry import bundle_problems, promoted_bundle
from tests.export.workspace import build_workspace, export

pytestmark = pytest.mark.slow

EVAL_PROMPTS = [
    "Write test for follow code\n\ndef add(a, b):\n    return a + b",
    "Implement the method fee\n\nclass Account:\n    def fee(self, amount: int) -> int: ...",
    "create Agile user story for following topic: transfers",
]


def test_given_a_promoted_model_when_exported_then_the_bundle_is_complete_and_promoted(
    tiny_export,
):
    bundle = tiny_export / "bundles" / "latest"
    manifest = read_json(bundle / "manifest.json")

    assert bundle_problems(bundle) == []
    assert {"adapter/adapter_model.safetensors", "prompts.json", "generation_config.json",
            "MODEL_CARD.md", "autodev.json", "IDE.md",
            "continue.yaml"} <= manifest["files"].keys()  # fmt: skip
    assert promoted_bundle(tiny_export / "registry").name == manifest["version"]
    card = (bundle / "MODEL_CARD.md").read_text()
    assert "Promotion: promoted: test run" in card and "Base model: `tiny-llama`" in card


def test_the_autodev_config_points_at_the_chat_endpoint_and_streams(tiny_export):
    config = read_json(tiny_export / "bundles" / "latest" / "autodev.json")
    version = read_json(tiny_export / "bundles" / "latest" / "manifest.json")["version"]
    (entry,) = config["customLlms"]

    assert entry["url"] == "http://127.0.0.1:8000/v1/chat/completions"
    assert entry["responseFormat"] == "$.choices[0].delta.content"
    assert entry["customRequest"]["body"] == {"model": version, "temperature": 0.0, "stream": True}
    assert json.loads(config["legacy"]["customEngineRequestFormat"]) == {
        "customFields": {"model": version, "temperature": 0.0, "stream": True}
    }
    # tests/export/test_ide_replay.py replays it (and continue.yaml) against the server


def test_given_merged_on_then_the_merged_model_gives_the_same_greedy_answers_as_base_and_adapter(
    model_cache, tmp_path
):
    from transformers import AutoModelForCausalLM

    from tasks.generation import generate, load_model
    from tasks.prompting import build_messages, render_prompt

    root = build_workspace(tmp_path / "ws", model_cache, {"export": {"merged": True}})
    export(root)
    bundle = root / "bundles" / "latest"
    descriptor = read_json(root / "models" / "base_model.json")
    base_and_adapter, tokenizer = load_model(Path(descriptor["path"]), bundle / "adapter")
    # Plain transformers, as vLLM or any other tool would load it.
    merged = AutoModelForCausalLM.from_pretrained(bundle / "merged").eval()
    system = read_json(bundle / "prompts.json")["system"]
    prompts = [render_prompt(tokenizer, build_messages(system, p)) for p in EVAL_PROMPTS]

    expected = generate(base_and_adapter, tokenizer, prompts, max_new_tokens=16, batch_size=1)
    actual = generate(merged, tokenizer, prompts, max_new_tokens=16, batch_size=1)

    assert actual == expected
    assert "merged/model.safetensors" in read_json(bundle / "manifest.json")["files"]
    assert bundle_problems(promoted_bundle(root / "registry")) == []
