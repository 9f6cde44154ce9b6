"""Promote a published version explicitly: `python -m tasks.export.promote [VERSION]`.

Experiments (`dvc exp run`, `flywheel --experiment`) publish candidates and never move the
promoted pointer; this command does, for a version whose evaluation passed the gate against
the model that is promoted now. `--force` promotes anyway (a roll-back, say) and says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.init_pointer import write_pointer
from tasks.io import read_json, write_json
from tasks.params import load_params
from tasks.registry import MANIFEST, PROMOTED, VERSIONS, bundle_problems, promotion_pointer


def promotion_problems(registry_dir: str | Path, version: str) -> list[str]:
    """Why `version` may not be promoted now (empty when it may)."""
    registry = Path(registry_dir)
    bundle = registry / VERSIONS / version
    if not (bundle / MANIFEST).is_file():
        return [f"{version} is not published in {registry}"]
    problems = bundle_problems(bundle)
    manifest = read_json(bundle / MANIFEST)
    if not manifest.get("gate_passed", manifest.get("promoted", False)):
        problems.append(f"{version} did not pass the promotion gate (see its MODEL_CARD.md)")
    pointer = registry / PROMOTED
    current = read_json(pointer)["version"] if pointer.exists() else None
    if current == version:
        problems.append(f"{version} is already the promoted version")
    elif current != manifest.get("compared_with"):
        against = manifest.get("compared_with") or "no promoted model"
        problems.append(
            f"{version} was evaluated against {against}, but {current} is promoted now: "
            "evaluate it again (`dvc repro evaluate export`) before promoting"
        )
    return problems


def promote(registry_dir: str | Path, version: str, force: bool = False) -> list[str]:
    """Move the pointer to `version` unless a problem stops it; the problems found."""
    problems = promotion_problems(registry_dir, version)
    integrity = [p for p in problems if "sha256" in p or "missing" in p or "not published" in p]
    if integrity:
        raise SystemExit(f"{version} cannot be promoted: " + "; ".join(integrity))
    if problems and not force:
        return problems
    write_json(Path(registry_dir) / PROMOTED, promotion_pointer(version))
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Promote a published bundle version.")
    parser.add_argument("version", nargs="?", help="default: the version in export.bundle_dir")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--force", action="store_true", help="promote despite the gate")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    version = args.version or read_json(Path(params.export.bundle_dir) / MANIFEST)["version"]
    problems = promote(params.export.registry_dir, version, args.force)
    if problems and not args.force:
        raise SystemExit("not promoted:\n- " + "\n- ".join(problems))
    for problem in problems:
        print(f"WARNING (--force): {problem}")
    print(f"promoted {version} in {params.export.registry_dir}")
    write_pointer(params)  # finetune.init: promoted: the next round starts from this version


if __name__ == "__main__":
    main()
