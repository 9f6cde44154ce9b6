from pathlib import Path

from tasks.identify_assets.__main__ import merge_sources
from tasks.identify_assets.scan import scan_directory, to_frames
from tasks.io import write_parquet
from tasks.params import IdentifyAssetsParams, SourceParams


def test_exact_duplicates_across_sources_keep_the_first(tmp_path, repo_params):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "same.py").write_text("def f():\n    return 1\n")
    (tmp_path / "b" / "other.py").write_text("def g():\n    return 2   \n")
    step = repo_params.identify_assets
    params = IdentifyAssetsParams(
        **step.model_dump(exclude={"sources", "scan_dir", "filters"}),
        filters=step.filters,
        scan_dir=str(tmp_path / "scans"),
        sources={n: SourceParams(path=str(tmp_path / n)) for n in ("a", "b")},
    )
    for name, source in params.sources.items():
        inventory, contents = to_frames(scan_directory(name, source, params.filters))
        write_parquet(Path(params.scan_dir) / name / "inventory.parquet", inventory)
        write_parquet(Path(params.scan_dir) / name / "contents.parquet", contents)

    inventory, contents = merge_sources(params)

    rows = inventory.set_index("asset_id")
    assert rows.loc["a:same.py", "status"] == "kept"
    assert rows.loc["b:same.py", "status"] == "rejected"
    assert rows.loc["b:same.py", "duplicate_of"] == "a:same.py"
    assert sorted(contents["asset_id"]) == ["a:same.py", "b:other.py"]
    assert len(inventory) == 3
