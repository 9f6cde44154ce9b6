"""The local model registry: published bundle versions and a pointer to the promoted one.

Layout (under `export.registry_dir`):

    versions/<version>/        a complete bundle (adapter/, tokenizer, prompts.json,
                               generation_config.json, MODEL_CARD.md, manifest.json)
    promoted.json              {"version": "<version>", ...}: the version serving and
                               evaluation treat as the last promoted model

A version directory only ever appears complete: it is copied under a staging name, checked
file by file against its manifest and renamed into place; the pointer is replaced atomically
afterwards, so a crash at any point leaves the previous promoted version in charge.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tasks.io import read_json, sha256_file, write_json

PROMOTED = "promoted.json"
VERSIONS = "versions"
MANIFEST = "manifest.json"


class BundleIntegrityError(ValueError):
    """A bundle whose files do not match its manifest: it must not be loaded."""


def promoted_bundle(registry_dir: str | Path, verify: bool = True) -> Path | None:
    """The promoted version's bundle directory, verified against its manifest (`verify`), or
    None when nothing was promoted yet."""
    pointer = Path(registry_dir) / PROMOTED
    if not pointer.exists():
        return None
    version = read_json(pointer)["version"]
    if not isinstance(version, str) or not version or "/" in version or version in (".", ".."):
        raise BundleIntegrityError(f"{pointer} names no valid version: {version!r}")
    bundle = Path(registry_dir) / VERSIONS / version
    if not (bundle / MANIFEST).exists():
        raise FileNotFoundError(f"{pointer} names {bundle.name}, but {bundle} is not a bundle")
    return verified_bundle(bundle) if verify else bundle


def bundle_problems(bundle: Path) -> list[str]:
    """Every file of the manifest that is missing or differs (empty when the bundle is intact)."""
    if not (bundle / MANIFEST).is_file():
        return [f"{bundle} has no {MANIFEST}"]
    problems = []
    root = bundle.resolve()
    for name, digest in read_json(bundle / MANIFEST)["files"].items():
        path = bundle / name
        if not path.resolve().is_relative_to(root):
            problems.append(f"{name}: outside the bundle")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: sha256 differs from the manifest")
    return problems


def verified_bundle(bundle: str | Path) -> Path:
    """`bundle` when every file matches its manifest's sha256; else BundleIntegrityError naming
    each file that does not (call it right before loading a bundle)."""
    bundle = Path(bundle)
    if problems := bundle_problems(bundle):
        raise BundleIntegrityError(
            f"bundle {bundle} does not match its manifest, refusing to load it: "
            + "; ".join(problems)
        )
    return bundle


def list_versions(registry_dir: str | Path) -> list[str]:
    """Published versions, oldest first."""
    root = Path(registry_dir) / VERSIONS
    if not root.is_dir():
        return []
    bundles = [p for p in root.iterdir() if (p / MANIFEST).is_file() and not p.name.startswith(".")]
    return [p.name for p in sorted(bundles, key=lambda p: (p / MANIFEST).stat().st_mtime)]


def publish(bundle: str | Path, registry_dir: str | Path, promote: bool) -> str:
    """Copy a verified bundle into the registry (idempotent) and move the pointer if promoted."""
    bundle, registry = verified_bundle(bundle), Path(registry_dir)
    version = read_json(bundle / MANIFEST)["version"]
    target = registry / VERSIONS / version
    if bundle_problems(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=target.parent))
        try:
            shutil.copytree(bundle, staging, dirs_exist_ok=True)
            if problems := bundle_problems(staging):
                raise OSError(f"copy of {version} is not intact: {'; '.join(problems)}")
            shutil.rmtree(target, ignore_errors=True)  # an earlier, broken copy
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if promote:
        write_json(registry / PROMOTED, promotion_pointer(version))
    return version


def promotion_pointer(version: str) -> dict:
    """The content of promoted.json for `version`."""
    return {"version": version, "promoted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
