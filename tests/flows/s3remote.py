"""Helpers for the DVC remote tests: a repo copy that uses a bucket, what a bucket holds."""

from __future__ import annotations

from pathlib import Path

import boto3
import yaml

from tasks.io import sha256_file

REGION = "us-east-1"


def s3_keys(endpoint: str, bucket: str) -> list[str]:
    """Every object key in `bucket`."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def use_remote(repo: Path, endpoint: str, bucket: str) -> None:
    """Create `bucket` and point the repo's params.yaml `remote` at it."""
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(Bucket=bucket)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["remote"].update(url=f"s3://{bucket}/dvc", endpoint_url=endpoint, region=REGION)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))


def file_digests(root: Path, paths: list[str]) -> dict[str, str]:
    """sha256 of every file under each of `paths` (files or folders), keyed by relative path."""
    files = [f for path in paths for f in [root / path, *(root / path).rglob("*")]]
    return {str(f.relative_to(root)): sha256_file(f) for f in sorted(files) if f.is_file()}
