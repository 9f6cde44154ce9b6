"""Merge the per-source scans into one inventory, content store and rejects table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.identify_assets.scan import INVENTORY_COLUMNS
from tasks.io import read_parquet, write_parquet
from tasks.params import IdentifyAssetsParams, load_params, step_parser


def merge_sources(params: IdentifyAssetsParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate the configured sources' scans and reject exact duplicates (first one kept)."""
    inventories, contents = [], []
    for name in sorted(params.sources):
        scan = Path(params.scan_dir) / name
        inventories.append(read_parquet(scan / "inventory.parquet"))
        contents.append(read_parquet(scan / "contents.parquet"))
    inventory = pd.concat(inventories, ignore_index=True)[INVENTORY_COLUMNS]
    inventory = inventory.sort_values(["source", "path"], ignore_index=True)
    content = pd.concat(contents, ignore_index=True)

    kept = inventory["status"] == "kept"
    first = inventory[kept].groupby("content_sha256")["asset_id"].transform("first")
    duplicate = first != inventory.loc[kept, "asset_id"]
    dup_index = duplicate[duplicate].index
    inventory.loc[dup_index, "duplicate_of"] = first[dup_index]
    inventory.loc[dup_index, "status"] = "rejected"
    inventory.loc[dup_index, "reason"] = "duplicate: same content as " + first[dup_index]

    kept_ids = set(inventory.loc[inventory["status"] == "kept", "asset_id"])
    content = content[content["asset_id"].isin(kept_ids)].sort_values("asset_id", ignore_index=True)
    return inventory, content


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 1: merge per-source scans into the asset inventory.").parse_args(argv)
    params = load_params(args.params).identify_assets
    inventory, contents = merge_sources(params)
    rejects = inventory[inventory["status"] == "rejected"]
    write_parquet(params.inventory, inventory)
    write_parquet(params.contents, contents)
    write_parquet(params.rejects, rejects[["asset_id", "source", "path", "kind", "reason"]])
    kinds = contents["kind"].value_counts().to_dict()
    print(f"assets: {len(inventory)} scanned, {len(contents)} kept, {len(rejects)} rejected")
    print("kept by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
