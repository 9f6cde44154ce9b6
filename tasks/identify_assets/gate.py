"""What the assets gate checks: the inventory plus facts derived from the content store."""

from __future__ import annotations

from tasks.gates import GateInput
from tasks.identify_assets.scrub import find_secrets
from tasks.io import read_parquet
from tasks.params import Params


def gate_input(params: Params) -> GateInput:
    """Inventory rows with `is_rejected` and `secret_left` (kinds only, never the secret)."""
    step = params.identify_assets
    inventory = read_parquet(step.inventory)
    contents = read_parquet(step.contents)
    leaks = {
        row.asset_id: ",".join(find_secrets(row.text, row.language))
        for row in contents.itertuples()
    }
    frame = inventory.drop(columns=["redactions"])
    frame["is_rejected"] = frame["status"] == "rejected"
    frame["secret_left"] = frame["asset_id"].map(leaks).fillna("")
    return GateInput(
        frame=frame,
        id_columns=["asset_id"],
        parameters={"max_reject_ratio": params.gates.max_reject_ratio},
    )
