"""Publish a bundle to an S3 registry with the same layout as the local one.

    s3://<bucket>/<prefix>/versions/<version>/<file>   every bundle file, manifest.json last
    s3://<bucket>/<prefix>/promoted.json               written only after the whole version

Each object is uploaded with an SHA-256 checksum the server verifies (per part for multipart
uploads) and carries the file's sha256 in its metadata; after the upload, `head_object` must
show the expected size and sha256. An object already there with the same sha256 and size is
skipped, so re-publishing a version is idempotent and a retry after a failure resumes.
A reader treats a version as complete only when its manifest.json exists, and the manifest
goes up only after every other file was verified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.io import read_json, sha256_file
from tasks.params import S3RegistryParams
from tasks.registry import MANIFEST, PROMOTED, VERSIONS, promotion_pointer
from tasks.s3 import s3_client as shared_client

MIB = 1024 * 1024


@dataclass
class S3PublishResult:
    version: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    promoted: bool = False


def s3_client(params: S3RegistryParams) -> Any:
    """The S3 client for the registry's endpoint and region."""
    return shared_client(params.endpoint_url, params.region)


def _key(params: S3RegistryParams, *parts: str) -> str:
    return "/".join(p.strip("/") for p in (params.prefix, *parts) if p.strip("/"))


def _remote_sha256(client: Any, bucket: str, key: str) -> tuple[str | None, int | None]:
    from botocore.exceptions import ClientError

    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None, None
        raise
    return head.get("Metadata", {}).get("sha256"), head["ContentLength"]


def upload_verified(
    client: Any, params: S3RegistryParams, path: Path, key: str, digest: str
) -> bool:
    """Upload `path` unless an identical object exists; verify it; True when it was uploaded."""
    from boto3.s3.transfer import TransferConfig

    size = path.stat().st_size
    if _remote_sha256(client, params.bucket, key) == (digest, size):
        return False
    if sha256_file(path) != digest:
        raise ValueError(f"{path}: sha256 differs from the manifest; not uploading it")
    part = params.multipart_threshold_mb * MIB
    client.upload_file(
        str(path),
        params.bucket,
        key,
        ExtraArgs={"Metadata": {"sha256": digest}, "ChecksumAlgorithm": "SHA256"},
        Config=TransferConfig(multipart_threshold=part, multipart_chunksize=part),
    )
    if _remote_sha256(client, params.bucket, key) != (digest, size):
        raise OSError(f"s3://{params.bucket}/{key}: size or sha256 differ after upload")
    return True


def publish_s3(
    bundle: str | Path, params: S3RegistryParams, promote: bool, client: Any = None
) -> S3PublishResult:
    """Upload a bundle version (manifest last), then move the promoted pointer if asked."""
    if not params.bucket:
        raise ValueError("export.s3.bucket is not set")
    bundle = Path(bundle)
    client = client or s3_client(params)
    manifest = read_json(bundle / MANIFEST)
    result = S3PublishResult(manifest["version"])
    files = {**manifest["files"], MANIFEST: sha256_file(bundle / MANIFEST)}
    for name, digest in files.items():  # manifest.json is the last key
        key = _key(params, VERSIONS, result.version, name)
        uploaded = upload_verified(client, params, bundle / name, key, digest)
        (result.uploaded if uploaded else result.skipped).append(name)
    if promote:
        body = json.dumps(promotion_pointer(result.version), indent=2).encode()
        client.put_object(
            Bucket=params.bucket, Key=_key(params, PROMOTED), Body=body, ChecksumAlgorithm="SHA256"
        )
        result.promoted = True
    return result


def promoted_version_s3(params: S3RegistryParams, client: Any = None) -> str | None:
    """The version promoted.json names in the S3 registry, or None."""
    client = client or s3_client(params)
    from botocore.exceptions import ClientError

    try:
        body = client.get_object(Bucket=params.bucket, Key=_key(params, PROMOTED))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            return None
        raise
    return json.loads(body)["version"]
