"""Fixtures of the dataset tests: the sample assets as step 1 keeps them, a real tokenizer."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.build_dataset.filters import TokenCounter, token_counter
from tasks.params import Params
from tests.support import REPO

# Step 1's contents.parquet is this step's input: the sample assets with the kind and language
# step 1 gives them (fixed here, so these tests do not follow step 1's internals).
_KINDS = {
    ".java": ("source", "java"), ".py": ("source", "python"), ".puml": ("plantuml", "plantuml"),
    ".feature": ("user_story", "gherkin"), ".md": ("user_story", "markdown"),
    ".yaml": ("openapi", "yaml"), ".json": ("openapi", "json"),
}  # fmt: skip


def _kind(path: str) -> tuple[str, str] | None:
    if path.startswith(("feedback/", "web/")) or path == "README.md" or "_generated" in path:
        return None
    suffix = "." + path.rsplit(".", 1)[-1]
    if suffix not in _KINDS:
        return None
    kind, language = _KINDS[suffix]
    if "/src/test/" in path or "/tests/" in path:
        kind = "test"
    return ("postman", language) if "postman" in path else (kind, language)


@pytest.fixture(scope="session")
def sample_contents() -> pd.DataFrame:
    """contents.parquet of the shipped samples: asset_id, source, path, kind, language, text."""
    root = REPO / "samples"
    rows = []
    for file in sorted(root.rglob("*")):
        path = file.relative_to(root).as_posix()
        if file.is_file() and (found := _kind(path)):
            text = file.read_text(encoding="utf-8")
            rows.append((f"samples:{path}", "samples", path, *found, text))
    return pd.DataFrame(rows, columns=["asset_id", "source", "path", "kind", "language", "text"])


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    """The tiny test model's tokenizer (a locally trained byte-level BPE with a chat template)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="session")
def count_tokens(tiny_tokenizer, repo_params: Params) -> TokenCounter:
    """Batch token counter of the tiny tokenizer with the shipped system prompt."""
    return token_counter(tiny_tokenizer, repo_params.prompt.system)


@pytest.fixture(scope="module")
def roomy_step(repo_params: Params):
    """The shipped build params, with room for every record (the tiny tokenizer is verbose)."""
    return repo_params.build_dataset.model_copy(
        update={"max_record_tokens": 100_000, "real_plantuml": "off"}
    )
