"""Step 2 throughput on the Python standard library, and batch vs per-record token counting.

    python benchmarks/build_dataset.py [--params params.yaml] [--tokenizer DIR] [--rescan]

Step 1 scans `sysconfig.get_paths()["stdlib"]` once into a temporary directory (reused by later
runs unless --rescan); only step 2 is timed: parsing, rendering, validation and filtering,
token counting (the base model's tokenizer, or --tokenizer), split and decontamination. The
baseline, in the same run, counts the same records' tokens one record at a time, rendering the
chat template per record: how step 2 counted them before.
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from tasks.base_model import resolve  # noqa: E402
from tasks.build_dataset.__main__ import build  # noqa: E402
from tasks.build_dataset.filters import token_counter  # noqa: E402
from tasks.identify_assets.__main__ import merge_sources  # noqa: E402
from tasks.identify_assets.scan import scan_source, write_scan  # noqa: E402
from tasks.io import read_parquet, write_parquet  # noqa: E402
from tasks.params import DirSource, Params, load_params  # noqa: E402
from tasks.prompting import build_messages, render_prompt  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "llmops-flywheel-bench" / "stdlib"
BASELINE_SAMPLE = 3000  # records counted one by one for the baseline (it is slow)


def stdlib_contents(params: Params, rescan: bool) -> pd.DataFrame:
    """Step 1 over the standard library (scan and merge), cached between runs."""
    cached = CACHE / "contents.parquet"
    if cached.exists() and not rescan:
        return read_parquet(cached)
    stdlib = sysconfig.get_paths()["stdlib"]
    source = DirSource(type="dir", path=stdlib, exclude=["site-packages/*"])
    step = params.identify_assets.model_copy(
        update={
            "sources": {"stdlib": source},
            "scan_dir": str(CACHE / "sources"),
            "inventory": str(CACHE / "inventory.parquet"),
            "contents": str(cached),
            "rejects": str(CACHE / "rejects.parquet"),
            "workers": 1,  # shared machine: one core
        }
    )
    started = time.perf_counter()
    scanned, _ = scan_source("stdlib", step)
    write_scan(Path(step.scan_dir) / "stdlib", scanned)
    inventory, contents = merge_sources(step)[:2]
    write_parquet(cached, contents)
    seconds = time.perf_counter() - started
    print(f"step 1: {len(inventory)} files scanned, {len(contents)} kept in {seconds:.0f} s")
    return read_parquet(cached)  # merge_sources keeps an Arrow table; step 2 reads a DataFrame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--tokenizer", help="tokenizer directory (default: the base model's)")
    parser.add_argument("--rescan", action="store_true", help="scan the stdlib again")
    args = parser.parse_args()
    params = load_params(args.params)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or resolve(params.base_model))
    contents = stdlib_contents(params, args.rescan)
    step = params.build_dataset.model_copy(update={"real_plantuml": "off"})
    counter = token_counter(tokenizer, params.prompt.system)
    counted: list = []
    token_seconds = 0.0

    def timed_counter(candidates):
        nonlocal token_seconds
        started = time.perf_counter()
        counts = counter(candidates)
        token_seconds += time.perf_counter() - started
        counted.extend(candidates)
        return counts

    timings: dict[str, float] = {}
    started = time.perf_counter()
    records, rejects, _ = build(contents, [], step, timed_counter, timings)
    total = time.perf_counter() - started
    timings["validate"] = timings.pop("filter") - token_seconds
    timings["tokens"] = token_seconds
    by_kind = contents["kind"].value_counts().to_dict()
    print(f"input: {len(contents)} assets {by_kind}")
    print(f"step 2: {len(records)} records ({len(rejects)} rejects) in {total:.1f} s: "
          f"{len(records) / total:.0f} records/s")  # fmt: skip
    for phase in ("parse", "render", "validate", "tokens", "split", "teacher"):
        if phase in timings:
            print(f"  {phase:<9} {timings[phase]:7.2f} s  {timings[phase] / total:5.1%}")
    print(records.groupby(["task", "split"]).size().unstack(fill_value=0).to_string())
    reasons = rejects["reason"].str.split(":").str[0].value_counts()
    print("rejects: " + ", ".join(f"{reason}={n}" for reason, n in reasons.items()))

    sample = counted[:BASELINE_SAMPLE]
    started = time.perf_counter()
    batch = counter(sample)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    one_by_one = [
        len(tokenizer(render_prompt(tokenizer, build_messages(params.prompt.system,
            c.instruction, c.input)) + c.output + tokenizer.eos_token)["input_ids"])
        for c in sample
    ]  # fmt: skip
    single_seconds = time.perf_counter() - started
    assert batch == one_by_one, "batch counts must equal per-record counts"
    print(
        f"token counting, {len(sample)} records: batch {len(sample) / batch_seconds:.0f}/s, "
        f"per record (baseline) {len(sample) / single_seconds:.0f}/s, "
        f"ratio {single_seconds / batch_seconds:.1f}x"
    )


if __name__ == "__main__":
    main()
