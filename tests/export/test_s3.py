"""The S3 registry against a local S3-compatible server (moto) on 127.0.0.1."""

from __future__ import annotations

import os

import pytest

from tasks.export.s3 import promoted_version_s3, publish_s3, s3_client
from tasks.params import S3RegistryParams
from tests.export.test_registry import make_bundle
from tests.support import moto_s3


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_endpoint, request) -> S3RegistryParams:
    bucket = request.node.name.replace("_", "-")[:60].lower()
    params = S3RegistryParams(
        bucket=bucket, prefix="reg", endpoint_url=s3_endpoint, region="us-east-1",
        multipart_threshold_mb=5,
    )  # fmt: skip
    s3_client(params).create_bucket(Bucket=bucket)
    return params


def keys(params: S3RegistryParams) -> set[str]:
    listing = s3_client(params).list_objects_v2(Bucket=params.bucket)
    return {obj["Key"] for obj in listing.get("Contents", [])}


def test_given_a_promoted_bundle_when_published_then_every_file_and_the_pointer_are_there(
    tmp_path, s3
):
    bundle = make_bundle(tmp_path / "bundle", "v1")

    result = publish_s3(bundle, s3, promote=True)

    assert result.uploaded[-1] == "manifest.json"  # the manifest goes up last
    assert keys(s3) == {
        "reg/versions/v1/adapter/adapter_model.safetensors",
        "reg/versions/v1/prompts.json",
        "reg/versions/v1/manifest.json",
        "reg/promoted.json",
    }
    assert promoted_version_s3(s3) == "v1"


def test_when_a_version_is_published_again_then_nothing_is_uploaded(tmp_path, s3):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    publish_s3(bundle, s3, promote=True)

    again = publish_s3(bundle, s3, promote=True)

    assert again.uploaded == []
    assert len(again.skipped) == 3


def test_given_a_file_over_the_threshold_then_it_goes_up_in_verified_parts(tmp_path, s3):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    (bundle / "merged").mkdir()
    (bundle / "merged" / "model.safetensors").write_bytes(os.urandom(11 * 1024 * 1024))
    from tasks.export.__main__ import write_manifest

    write_manifest(bundle, "v1", "base", promoted=True)

    publish_s3(bundle, s3, promote=False)

    head = s3_client(s3).head_object(
        Bucket=s3.bucket, Key="reg/versions/v1/merged/model.safetensors"
    )
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MiB parts
    assert head["ContentLength"] == 11 * 1024 * 1024


def test_given_an_upload_failing_midway_then_the_pointer_stays_on_the_last_complete_version(
    tmp_path, s3
):
    publish_s3(make_bundle(tmp_path / "a", "v1"), s3, promote=True)
    broken = make_bundle(tmp_path / "b", "v2", "new weights")
    (broken / "prompts.json").unlink()  # vanishes after the manifest was written

    with pytest.raises(FileNotFoundError):
        publish_s3(broken, s3, promote=True)

    assert "reg/versions/v2/adapter/adapter_model.safetensors" in keys(s3)  # it got that far
    assert "reg/versions/v2/manifest.json" not in keys(s3)
    assert promoted_version_s3(s3) == "v1"


def test_given_a_file_that_differs_from_the_manifest_then_it_is_not_uploaded(tmp_path, s3):
    bundle = make_bundle(tmp_path / "bundle", "v1")
    (bundle / "prompts.json").write_text("changed after export")

    with pytest.raises(ValueError, match="differs from the manifest"):
        publish_s3(bundle, s3, promote=True)

    assert promoted_version_s3(s3) is None
