"""The local registry: complete versions only, idempotent publishing, a pointer that moves last."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.export.__main__ import write_manifest
from tasks.io import read_json, write_json
from tasks.registry import (
    PROMOTED,
    bundle_problems,
    list_versions,
    promoted_bundle,
    publish,
)


def make_bundle(root: Path, version: str, payload: str = "weights") -> Path:
    """A small bundle with a manifest, without any model."""
    (root / "adapter").mkdir(parents=True)
    (root / "adapter" / "adapter_model.safetensors").write_text(payload)
    (root / "prompts.json").write_text('{"system": "s"}')
    write_manifest(root, version, "base", promoted=True)
    return root


def test_given_a_promoted_bundle_when_published_then_it_is_a_version_and_the_pointer(tmp_path):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    registry = tmp_path / "registry"

    assert publish(bundle, registry, promote=True) == "v1"

    assert promoted_bundle(registry) == registry / "versions" / "v1"
    assert bundle_problems(registry / "versions" / "v1") == []
    assert list_versions(registry) == ["v1"]


def test_given_a_bundle_not_promoted_when_published_then_the_pointer_stays(tmp_path):
    registry = tmp_path / "registry"
    publish(make_bundle(tmp_path / "a", "v1"), registry, promote=True)

    publish(make_bundle(tmp_path / "b", "v2", "other weights"), registry, promote=False)

    assert read_json(registry / PROMOTED)["version"] == "v1"
    assert sorted(list_versions(registry)) == ["v1", "v2"]


def test_given_an_empty_registry_then_nothing_is_promoted(tmp_path):
    assert promoted_bundle(tmp_path / "registry") is None


def test_when_the_same_version_is_published_twice_then_the_copy_is_kept_untouched(tmp_path):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    registry = tmp_path / "registry"
    publish(bundle, registry, promote=True)
    weights = registry / "versions" / "v1" / "adapter" / "adapter_model.safetensors"
    first = weights.stat().st_mtime_ns

    publish(bundle, registry, promote=True)

    assert weights.stat().st_mtime_ns == first
    assert [p.name for p in (registry / "versions").iterdir()] == ["v1"]  # no staging leftovers


def test_given_a_corrupt_bundle_when_published_then_nothing_moves(tmp_path):
    registry = tmp_path / "registry"
    publish(make_bundle(tmp_path / "a", "v1"), registry, promote=True)
    bad = make_bundle(tmp_path / "b", "v2", "other weights")
    (bad / "adapter" / "adapter_model.safetensors").write_text("truncated")

    with pytest.raises(ValueError, match="adapter_model.safetensors: sha256 differs"):
        publish(bad, registry, promote=True)

    assert read_json(registry / PROMOTED)["version"] == "v1"
    assert list_versions(registry) == ["v1"]


def test_given_a_damaged_copy_in_the_registry_when_republished_then_it_is_repaired(tmp_path):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    registry = tmp_path / "registry"
    publish(bundle, registry, promote=False)
    (registry / "versions" / "v1" / "prompts.json").unlink()

    publish(bundle, registry, promote=True)

    assert bundle_problems(registry / "versions" / "v1") == []


def test_given_a_pointer_to_a_missing_version_then_reading_it_fails_clearly(tmp_path):
    write_json(tmp_path / PROMOTED, {"version": "gone"})

    with pytest.raises(FileNotFoundError, match="names gone"):
        promoted_bundle(tmp_path)
