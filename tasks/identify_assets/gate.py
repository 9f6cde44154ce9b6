"""What the assets gate checks: the inventory plus facts derived from the content store."""

from __future__ import annotations

from pathlib import Path

from tasks.gates import GateInput
from tasks.io import read_parquet
from tasks.params import Params
from tasks.scrub import find_secrets


def gate_input(params: Params) -> GateInput:
    """Inventory rows with derived checks; secrets are reported by kind, never by value.

    `secret_left`: kinds of secret or personal data still found in a kept file's content.
    `content_rows` / `content_matches_status`: content rows per asset; a kept row has exactly
    one, a rejected row none (and with the total, no content row belongs to no inventory row).
    """
    step = params.identify_assets
    inventory = read_parquet(step.inventory)
    contents = read_parquet(step.contents)
    leaks = {
        row.asset_id: ",".join(find_secrets(row.text, row.language))
        for row in contents.itertuples()
    }
    per_asset = contents["asset_id"].value_counts()
    frame = inventory.drop(columns=["redactions"])
    frame["is_rejected"] = frame["status"] == "rejected"
    frame["secret_left"] = frame["asset_id"].map(leaks).fillna("")
    frame["content_rows"] = frame["asset_id"].map(per_asset).fillna(0).astype(int)
    frame["content_matches_status"] = frame["content_rows"] == (~frame["is_rejected"]).astype(int)
    scanned = sum(
        len(read_parquet(Path(step.scan_dir) / name / "inventory.parquet")) for name in step.sources
    )
    return GateInput(
        frame=frame,
        id_columns=["asset_id"],
        parameters={
            "max_reject_ratio": params.gates.max_reject_ratio,
            "scanned_files": scanned,
            "content_rows": len(contents),
        },
    )
