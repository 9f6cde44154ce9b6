"""The one gate runner: validate a step's output with its Great Expectations suite.

Each gate is a DVC stage of its own (`python -m tasks.gates <gate>`), so `dvc dag` and the
Prefect UI both show it. The step that owns the data builds the frame to check (a module-level
`gate_input(params)` function); suites are JSON files in `expectations/<gate>.json` and may
reference thresholds from params.yaml as `{"$PARAMETER": "<name>"}`. A failing gate writes a
JSON result and Data Docs HTML, prints each failed expectation with sample offending rows
and, where the step explains it (`GateInput.explain`), what is wrong in the step's own terms
(which task, how many records, which threshold), and exits non-zero so `dvc repro` (and the
Prefect task) stops. A missing input is named with the command that makes it.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.io import write_json
from tasks.offline_pages import offline_data_docs
from tasks.params import (
    Params,
    ParamsError,
    gate_docs_dir,
    gate_report_path,
    load_params,
    step_parser,
)
from tasks.prerequisites import missing_message

GATE_BUILDERS = {
    "assets": "tasks.identify_assets.gate",
    "feedback": "tasks.ingest_feedback.gate",
    "dataset": "tasks.build_dataset.gate",
}
SAMPLE_ROWS = 5


@dataclass
class GateInput:
    """What a step hands to its gate: the frame, the columns that identify a row, thresholds."""

    frame: pd.DataFrame
    id_columns: list[str]
    parameters: dict[str, Any] = field(default_factory=dict)
    # (expectation type, column) of a failed expectation -> lines saying what is wrong in the
    # step's terms: aggregate expectations (a minimum, a set of values) name no rows otherwise.
    explain: Callable[[str, str | None], list[str]] | None = None


@dataclass
class Failure:
    expectation: str
    column: str | None
    observed: Any
    unexpected_count: int | None
    sample_rows: list[dict[str, Any]]
    details: list[str] = field(default_factory=list)  # the step's account (GateInput.explain)

    def describe(self) -> str:
        target = f" on column '{self.column}'" if self.column else ""
        count = f", {self.unexpected_count} offending rows" if self.unexpected_count else ""
        observed = "" if self.observed is None else f", observed {self.observed!r}"
        details = "".join(f"\n      {line}" for line in self.details)
        rows = "".join(f"\n      - {row}" for row in self.sample_rows)
        return f"  {self.expectation}{target}{count}{observed}{details}{rows}"


@dataclass
class GateResult:
    gate: str
    success: bool
    rows: int
    evaluated: int
    failures: list[Failure]
    data_docs: str

    def summary(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        head = (
            f"gate '{self.gate}' {verdict}: {self.evaluated - len(self.failures)}/"
            f"{self.evaluated} expectations met on {self.rows} rows (Data Docs: {self.data_docs})"
        )
        return "\n".join([head, *(f.describe() for f in self.failures)])


class GateFailed(RuntimeError):
    """A gate's suite was not met; the message names each failed expectation."""


def _plain(value: Any) -> Any:
    """JSON-safe version of what GE reports (numpy scalars, NaN)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _failure(result: Any, id_columns: list[str]) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    samples = [
        {
            k: _plain(v)
            for k, v in row.items()
            if k in id_columns or k == config.kwargs.get("column")
        }
        for row in (details.get("unexpected_index_list") or [])[:SAMPLE_ROWS]
    ]
    return Failure(
        expectation=config.type,
        column=config.kwargs.get("column"),
        observed=_plain(details.get("observed_value")),
        unexpected_count=_plain(details.get("unexpected_count")),
        sample_rows=samples,
    )


def validate_frame(
    gate: str, gate_input: GateInput, suite_path: Path, report_dir: Path
) -> GateResult:
    """Validate a frame against a suite; write the JSON result and Data Docs under report_dir."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    suite_json = json.loads(Path(suite_path).read_text(encoding="utf-8"))
    docs_dir = gate_docs_dir(report_dir, gate).resolve()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name=gate,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    suite = context.suites.add(gx.ExpectationSuite(**suite_json))
    batch = (
        context.data_sources.add_pandas(gate)
        .add_dataframe_asset(gate)
        .add_batch_definition_whole_dataframe(gate)
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=gate, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=gate,
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[gate])],
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": gate_input.id_columns,
            },
        )
    )
    run = checkpoint.run(
        batch_parameters={"dataframe": gate_input.frame},
        expectation_parameters=gate_input.parameters,
    )
    # GE's pages load bootstrap, jQuery and fonts from CDNs: point them at local copies
    if remote := offline_data_docs(docs_dir):
        print(f"Data Docs still load from the network: {', '.join(remote)}", file=sys.stderr)
    results = [r for v in run.run_results.values() for r in v.results]
    failures = [_failure(r, gate_input.id_columns) for r in results if not r.success]
    if gate_input.explain:
        for failure in failures:
            failure.details = gate_input.explain(failure.expectation, failure.column)
    result = GateResult(
        gate=gate,
        success=bool(run.success),
        rows=len(gate_input.frame),
        evaluated=len(results),
        failures=failures,
        # as given (relative to the repository in params.yaml): no checkout path in a DVC output
        data_docs=str(gate_docs_dir(report_dir, gate) / "index.html"),
    )
    write_json(gate_report_path(report_dir, gate), asdict(result))
    return result


def gate_table(result: dict) -> list[dict]:
    """One row per failed expectation of a gate result, or one row saying all were met."""
    rows = [
        {
            "expectation": failure["expectation"],
            "column": failure["column"],
            "offending rows": failure["unexpected_count"],
            "observed": str(failure["observed"]),
            # the step's own account: which task, how many records, which threshold
            "what is wrong": "; ".join(failure.get("details", [])),
        }
        for failure in result["failures"]
    ]
    met = {"expectation": "all", "column": "", "offending rows": 0, "observed": "met"}
    return rows or [met | {"what is wrong": ""}]


def run_gate(gate: str, params: Params) -> GateResult:
    """Build the gate's input from the owning step and validate it; raise GateFailed on failure."""
    if gate not in GATE_BUILDERS:
        raise ValueError(f"unknown gate {gate!r}; known gates: {', '.join(GATE_BUILDERS)}")
    builder = importlib.import_module(GATE_BUILDERS[gate])
    gate_input = builder.gate_input(params)
    suite = Path(params.gates.suite_dir) / f"{gate}.json"
    result = validate_frame(gate, gate_input, suite, Path(params.gates.report_dir))
    if not result.success:
        raise GateFailed(result.summary())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Run a Great Expectations gate on a step's output.")
    parser.add_argument("gate", choices=sorted(GATE_BUILDERS))
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
    except ParamsError as exc:
        raise SystemExit(f"error: {exc}") from None
    try:
        result = run_gate(args.gate, params)
    except GateFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    except FileNotFoundError as exc:  # an input of the gate: its step has not run yet
        missing = exc.filename or str(exc)
        message = missing_message(f"gate '{args.gate}'", [missing], params, args.params)
        raise SystemExit(message) from None
    print(result.summary())


if __name__ == "__main__":
    main()
