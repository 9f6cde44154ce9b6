"""The one boto3 S3 client factory every step uses (asset sources, feedback sources, the
S3 registry). Credentials come from the AWS environment or profile, never from params."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8)
def s3_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 S3 client for `endpoint_url` (None: AWS) and `region`, one per pair and
    process (boto3 clients are thread-safe; a Dask worker reuses its own across files)."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
