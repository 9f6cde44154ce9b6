import random
from pathlib import Path

from tasks.identify_assets.__main__ import merge_sources
from tasks.identify_assets.scan import scan_source, write_scan
from tasks.params import IdentifyAssetsParams


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
    assert sorted(contents["asset_id"]) == ["a:pkg/other.py", "a:pkg/same.py"]


def test_empty_sources_merge_into_an_empty_inventory(repo_params, tmp_path):
    (tmp_path / "empty").mkdir()
    step = scanned_step(repo_params, tmp_path, {"empty": {}})
    inventory, contents = merge_sources(step)
    assert len(inventory) == 0 and len(contents) == 0
