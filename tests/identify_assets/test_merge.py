import random
import time
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from tasks.identify_assets import scan
from tasks.identify_assets.__main__ import main as merge_main
from tasks.identify_assets.__main__ import merge_sources
from tasks.identify_assets.scan import scan_source, write_scan
from tasks.identify_assets.sources import RACY_NS
from tasks.io import read_table
from tasks.params import IdentifyAssetsParams
from tests.support import REPO


def module(seed: int, functions: int = 30) -> str:
    rng = random.Random(seed)
    return "".join(
        f"def f{n}_{rng.randrange(10**6)}(x):\n    return x * {rng.randrange(1000)}\n"
        for n in range(functions)
    )


def scanned_step(repo_params, tmp_path, trees: dict[str, dict[str, str]]) -> IdentifyAssetsParams:
    sources = {}
    for name, files in trees.items():
        for path, text in files.items():
            (tmp_path / name / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / path).write_text(text)
        sources[name] = {"type": "dir", "path": str(tmp_path / name)}
    step = IdentifyAssetsParams.model_validate(
        repo_params.identify_assets.model_dump()
        | {
            "sources": sources,
            "scan_dir": str(tmp_path / "scans"),
            "cache_dir": str(tmp_path / "c"),
        }
    )
    for name in trees:
        write_scan(Path(step.scan_dir) / name, scan_source(name, step)[0])
    return step


def test_duplicates_across_sources_cluster_and_only_the_first_is_kept(repo_params, tmp_path):
    original = module(1)
    lines = original.splitlines(keepends=True)
    edited = "".join(lines[:-2]) + "def extra(y):\n    return y\n"  # one function changed
    step = scanned_step(
        repo_params,
        tmp_path,
        {
            "a": {"pkg/same.py": original, "pkg/other.py": module(2)},
            "b": {"copy.py": original.replace("\n", "   \n"), "edited.py": edited},
        },
    )

    inventory, contents = merge_sources(step)

    rows = inventory.set_index("asset_id")
    assert rows.loc["a:pkg/same.py", "status"] == "kept"
    assert rows.loc["b:copy.py", "reason"] == (
        "duplicate: same normalised content as a:pkg/same.py"
    )
    assert rows.loc["b:edited.py", "reason"].startswith("near_duplicate: estimated Jaccard 0.")
    assert rows.loc["b:edited.py", "reason"].endswith("with a:pkg/same.py")
    assert set(rows.loc[["b:copy.py", "b:edited.py"], "duplicate_of"]) == {"a:pkg/same.py"}
    assert rows["cluster_id"].to_dict() == {
        "a:pkg/other.py": "a:pkg/other.py",
        "a:pkg/same.py": "a:pkg/same.py",
        "b:copy.py": "a:pkg/same.py",
        "b:edited.py": "a:pkg/same.py",
    }
    assert contents["asset_id"].to_pylist() == ["a:pkg/other.py", "a:pkg/same.py"]


def test_empty_sources_merge_into_an_empty_inventory(repo_params, tmp_path):
    (tmp_path / "empty").mkdir()
    step = scanned_step(repo_params, tmp_path, {"empty": {}})
    inventory, contents = merge_sources(step)
    assert len(inventory) == 0 and len(contents) == 0


def near_copy(text: str, seed: int) -> str:
    """`text` with one of its functions rewritten: a near-duplicate."""
    lines = text.splitlines(keepends=True)
    lines[2 * seed : 2 * seed + 2] = [f"def changed{seed}(y):\n", "    return y\n"]
    return "".join(lines)


def write_step_params(tmp_path, root, out) -> str:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["identify_assets"] |= {
        "sources": {"s": {"type": "dir", "path": str(root)}},
        "scan_dir": str(out / "scans"),
        "cache_dir": str(out / "cache"),
        "inventory": str(out / "inventory.parquet"),
        "contents": str(out / "contents.parquet"),
        "rejects": str(out / "rejects.parquet"),
    }
    path = out / "params.yaml"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params))
    return str(path)


def run_step(params_path: str) -> None:
    scan.main(["s", "--params", params_path])
    merge_main(["--params", params_path])


def outputs(out) -> dict[str, pa.Table]:
    return {
        name: read_table(out / f"{name}.parquet") for name in ("inventory", "contents", "rejects")
    }


@pytest.mark.slow
def test_a_rerun_after_changes_writes_exactly_what_a_full_run_writes(tmp_path, capsys):
    base = module(1, functions=60)
    tree = {
        "a/base.py": base,  # representative of the cluster below
        "a/copy.py": base,  # exact duplicate
        "b/near.py": near_copy(base, 1),
        "c/joiner.py": module(2, functions=60),
        "d/leaver.py": near_copy(base, 2),
        "e/other.py": module(3, functions=60),
    }
    root = tmp_path / "tree"
    for path, text in tree.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    time.sleep(RACY_NS / 1e9 + 0.1)  # let the files settle so that a rerun may skip reading them
    incremental = write_step_params(tmp_path, root, tmp_path / "incremental")
    run_step(incremental)
    before = outputs(tmp_path / "incremental")["inventory"].to_pandas().set_index("asset_id")

    (root / "a/base.py").write_text(module(4, functions=60))  # the representative leaves
    (root / "c/joiner.py").write_text(near_copy(base, 3))  # an unrelated file joins
    (root / "f/new.py").parent.mkdir()
    (root / "f/new.py").write_text(near_copy(base, 4))  # a new file joins
    capsys.readouterr()
    run_step(incremental)
    rerun_log = capsys.readouterr().out
    run_step(write_step_params(tmp_path, root, tmp_path / "full"))

    rerun, full = outputs(tmp_path / "incremental"), outputs(tmp_path / "full")
    assert "3 processed, 4 unchanged from the cache, 4 of them not re-read" in rerun_log
    for name in rerun:
        assert rerun[name].equals(full[name]), name
    assert before["cluster_id"].to_dict() == dict.fromkeys(
        ["s:a/base.py", "s:a/copy.py", "s:b/near.py", "s:d/leaver.py"], "s:a/base.py"
    ) | {"s:c/joiner.py": "s:c/joiner.py", "s:e/other.py": "s:e/other.py"}
    after = rerun["inventory"].to_pandas().set_index("asset_id")
    assert after["cluster_id"].to_dict() == dict.fromkeys(
        ["s:a/copy.py", "s:b/near.py", "s:c/joiner.py", "s:d/leaver.py", "s:f/new.py"],
        "s:a/copy.py",
    ) | {"s:a/base.py": "s:a/base.py", "s:e/other.py": "s:e/other.py"}
    kept = after["status"] == "kept"
    assert len(after) == len(rerun["contents"]) + len(rerun["rejects"]) == 7
    assert sorted(rerun["contents"]["asset_id"].to_pylist()) == sorted(after.index[kept])


def test_given_a_source_never_scanned_when_merged_then_the_hint_names_its_real_stage(
    repo_params, tmp_path
):
    step = scanned_step(repo_params, tmp_path, {"a": {"m.py": module(3)}})
    step = step.model_copy(update={"sources": {**step.sources, "my_repo": step.sources["a"]}})

    with pytest.raises(SystemExit) as stopped:
        merge_sources(step, tmp_path / "my.yaml")

    message = str(stopped.value)
    assert f"error: no scan of source 'my_repo' in {tmp_path / 'scans' / 'my_repo'}" in message
    assert f"`python -m tasks.identify_assets.scan my_repo --params {tmp_path / 'my.yaml'}`" in (
        message
    )
    assert "`dvc repro scan_source@my_repo`" in message and "source 'a'" not in message
    assert f"`python -m flows.dataset --params {tmp_path / 'my.yaml'}`" in message
