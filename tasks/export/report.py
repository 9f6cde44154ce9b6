"""Where a run's bundle went, as a short markdown page (a Prefect artifact of the flywheel)."""

from __future__ import annotations

from pathlib import Path

from tasks.params import Params


def bundle_markdown(params: Params, manifest: dict) -> str:
    """Where the bundle of this run is: the bundle folder, the registry and S3 when configured."""
    version = manifest["version"]
    registry = Path(params.export.registry_dir).resolve()
    lines = [
        f"# Bundle {version}",
        "",
        "| where | location |",
        "| --- | --- |",
        f"| bundle | `{Path(params.export.bundle_dir).resolve()}` |",
        f"| registry | `{registry / 'versions' / version}` |",
    ]
    s3 = params.export.s3
    if s3.bucket:
        prefix = "/".join(p.strip("/") for p in (s3.prefix, "versions", version) if p.strip("/"))
        lines.append(f"| S3 | `s3://{s3.bucket}/{prefix}/` |")
    promoted = "yes: serving and the next evaluation use it" if manifest["promoted"] else "no"
    lines += ["", f"Promoted: {promoted}. {len(manifest['files'])} files, sha256 in manifest.json."]
    return "\n".join(lines) + "\n"
