"""Merge the per-source scans into one inventory, content store and rejects table.

De-duplication runs here, across all sources: exact duplicates (same normalised scrubbed
content) and near-duplicates (MinHash LSH) are clustered, the first file of each cluster by
(source, path) is kept, and the others are rejected with a reason naming it.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tasks.identify_assets.dedup import Duplicate, cluster
from tasks.identify_assets.scan import CONTENT_WRITE_OPTIONS, INVENTORY_COLUMNS
from tasks.io import read_parquet, read_table, write_parquet
from tasks.params import DEFAULT_PARAMS, IdentifyAssetsParams, load_params, step_parser
from tasks.prerequisites import command

REJECT_COLUMNS = ["asset_id", "source", "path", "kind", "reason", "duplicate_of"]


def _scan_tables(
    params: IdentifyAssetsParams, params_path: str | Path = DEFAULT_PARAMS
) -> dict[str, list[Path]]:
    """Per-source Parquet files of each scan table, checked to exist."""
    if not params.sources:
        raise SystemExit("error: identify_assets.sources is empty; list at least one source")
    names = sorted(params.sources)
    tables = {
        table: [Path(params.scan_dir) / name / f"{table}.parquet" for name in names]
        for table in ("inventory", "contents", "signatures")
    }
    unscanned = [
        name for name in names
        if not all((Path(params.scan_dir) / name / f"{t}.parquet").exists() for t in tables)
    ]  # fmt: skip
    if unscanned:
        lines = [
            f"error: no scan of source '{name}' in {Path(params.scan_dir) / name}; run "
            f"`{command(f'tasks.identify_assets.scan {name}', params_path)}` "
            f"(through DVC: `dvc repro scan_source@{name}`)"
            for name in unscanned
        ]
        lines.append(f"or run steps 1-2 and their gates: `{command('flows.dataset', params_path)}`")
        raise SystemExit("\n".join(lines))
    return tables


def _concat(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([read_parquet(path) for path in paths], ignore_index=True)


def _concat_tables(paths: list[Path]) -> pa.Table:
    return pa.concat_tables([read_table(path) for path in paths])


def _reason(duplicate: Duplicate, threshold: float) -> str:
    if duplicate.how == "duplicate":
        return f"duplicate: same normalised content as {duplicate.representative}"
    return (
        f"near_duplicate: estimated Jaccard {duplicate.similarity:.2f} >= {threshold}"
        f" with {duplicate.representative}"
    )


def merge_sources(
    params: IdentifyAssetsParams, params_path: str | Path = DEFAULT_PARAMS
) -> tuple[pd.DataFrame, pa.Table]:
    """All sources' inventory (with clusters and duplicates rejected) and kept contents.

    The contents stay an Arrow table: the text is read, filtered, sorted and written without
    ever becoming Python objects (in pandas that conversion was a large part of a rerun).
    """
    tables = _scan_tables(params, params_path)
    with ThreadPoolExecutor(1) as pool:  # the big content store loads while clustering runs
        contents_read = pool.submit(_concat_tables, tables["contents"])
        inventory = _with_clusters(
            _concat(tables["inventory"])[INVENTORY_COLUMNS],
            _concat_tables(tables["signatures"]),
            params,
        )
        contents = contents_read.result()
    kept_ids = pa.array(inventory.loc[inventory["status"] == "kept", "asset_id"], pa.large_string())
    contents = contents.filter(pc.is_in(contents["asset_id"], value_set=kept_ids))
    return inventory, contents.sort_by("asset_id")


def _with_clusters(
    inventory: pd.DataFrame, signatures: pa.Table, params: IdentifyAssetsParams
) -> pd.DataFrame:
    """Inventory in (source, path) order with cluster ids; duplicates turned into rejects."""
    inventory = inventory.sort_values(["source", "path"], ignore_index=True)
    kept = inventory[inventory["status"] == "kept"]
    by_id = dict(
        zip(signatures["asset_id"].to_pylist(), signatures["signature"].to_pylist(), strict=True)
    )
    cluster_of, duplicates = cluster(
        kept["asset_id"].tolist(),
        kept["content_sha256"].tolist(),
        [by_id[asset_id] for asset_id in kept["asset_id"]],
        params.dedup,
    )
    inventory["cluster_id"] = inventory["asset_id"].map(cluster_of)
    rejected = inventory["asset_id"].isin(list(duplicates))
    found = [duplicates[asset_id] for asset_id in inventory.loc[rejected, "asset_id"]]
    inventory.loc[rejected, "status"] = "rejected"
    inventory.loc[rejected, "reason"] = [_reason(d, params.dedup.threshold) for d in found]
    inventory.loc[rejected, "duplicate_of"] = [d.representative for d in found]
    return inventory


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 1: merge per-source scans into the asset inventory.").parse_args(argv)
    params = load_params(args.params).identify_assets
    inventory, contents = merge_sources(params, args.params)
    rejects = inventory.loc[inventory["status"] == "rejected", REJECT_COLUMNS]
    with ThreadPoolExecutor() as pool:  # encoding and writing release the GIL too
        writes = [
            pool.submit(write_parquet, params.inventory, inventory),
            pool.submit(write_parquet, params.contents, contents, **CONTENT_WRITE_OPTIONS),
            pool.submit(write_parquet, params.rejects, rejects.reset_index(drop=True)),
        ]
        for write in writes:
            write.result()
    kinds = Counter(contents["kind"].to_pylist())
    reasons = rejects["reason"].str.split(":").str[0].value_counts().to_dict()
    print(f"assets: {len(inventory)} scanned, {len(contents)} kept, {len(rejects)} rejected")
    print("kept by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    if reasons:
        print("rejected by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items())))


if __name__ == "__main__":
    main()
