import os
import sqlite3
import time

import pytest
import yaml

from tasks.identify_assets import scan
from tasks.identify_assets.cache import ResultCache
from tasks.identify_assets.scan import scan_source, to_tables
from tasks.identify_assets.sources import RACY_NS
from tasks.params import IdentifyAssetsParams
from tests.support import REPO


def step_with(repo_params, tmp_path, **sources):
    """identify_assets params scanning `sources` (name -> path), with outputs in tmp_path."""
    return IdentifyAssetsParams.model_validate(
        repo_params.identify_assets.model_dump()
        | {
            "sources": {n: {"type": "dir", "path": str(p)} for n, p in sources.items()},
            "scan_dir": str(tmp_path / "scans"),
            "cache_dir": str(tmp_path / "cache"),
        }
    )


@pytest.fixture
def hostile(tmp_path):
    """Every kind of file that must not crash the scan, and the rows it must produce."""
    root = tmp_path / "hostile"
    (root / "src").mkdir(parents=True)
    (root / "src" / "fees.py").write_text("def fee(amount):\n    return amount // 100\n")
    (root / "src" / "Binary.java").write_bytes(b"\xca\xfe\xba\xbe\x00\x00\x00\x34class")
    (root / "src" / "latin1.py").write_bytes("caf\xe9 = 1\n".encode("latin-1"))
    (root / "src" / "truncated.py").write_bytes("name = 'é'\n".encode()[:-3])
    (root / "src" / "Wide.java").write_text("class Wide { int x; }\n", encoding="utf-16")
    (root / "src" / "empty.py").write_text("")
    with (root / "src" / "huge.log").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: rejected by size before any read
    locked = root / "src" / "locked.py"
    locked.write_text("secret_sauce = 42\n")
    locked.chmod(0)
    deep = root / "/".join(["deep"] * 60)
    deep.mkdir(parents=True)
    (deep / "leaf.py").write_text("leaf = 'bottom'\n")
    os.symlink(root / "src", root / "src" / "loop")
    os.mkfifo(root / "src" / "pipe")
    (root / os.fsdecode(b"odd\xff.py")).write_text("odd = 1\n")
    (root / "node_modules" / "lib").mkdir(parents=True)
    (root / "node_modules" / "lib" / "index.js").write_text("module.exports = 1;\n")
    yield root
    locked.chmod(0o644)


def test_a_hostile_tree_never_crashes_and_every_file_is_accounted_for(
    hostile, repo_params, tmp_path
):
    step = step_with(repo_params, tmp_path, h=hostile)
    scanned, _ = scan_source("h", step)
    inventory, contents, _ = (table.to_pandas() for table in to_tables(scanned))
    reasons = dict(zip(inventory["path"], inventory["reason"].fillna("kept"), strict=True))

    expected = {
        "src/fees.py", "src/Binary.java", "src/latin1.py", "src/truncated.py", "src/Wide.java",
        "src/empty.py", "src/huge.log", "src/locked.py", "/".join(["deep"] * 60) + "/leaf.py",
        "src/loop", "src/pipe", "odd\\xff.py", "node_modules/",
    }  # fmt: skip
    assert set(reasons) == expected  # scanned = every entry, exactly once
    assert reasons["src/fees.py"] == reasons["src/Wide.java"] == "kept"
    assert reasons["src/Binary.java"].startswith("binary")
    assert reasons["src/latin1.py"].startswith("encoding")
    assert reasons["src/truncated.py"].startswith("encoding")
    assert reasons["src/empty.py"] == "empty: 0 bytes"
    assert reasons["src/huge.log"].startswith("too_large: 52428800 bytes")
    assert reasons["src/loop"] == "symlink: not followed"
    assert reasons["src/pipe"].startswith("not_regular_file")
    assert reasons["node_modules/"].startswith("excluded_dir")
    assert reasons["odd\\xff.py"] == "kept"
    # chmod 000 blocks reads except for root; either way the file gets a row
    assert reasons["src/locked.py"] == (
        "kept" if os.geteuid() == 0 else "unreadable: Permission denied"
    )
    kept = inventory["status"] == "kept"
    assert len(contents) == kept.sum() and inventory.loc[~kept, "reason"].notna().all()


def test_a_rescan_processes_only_new_or_changed_files(repo_params, tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    for n in range(20):
        (root / f"m{n}.py").write_text(f"def f{n}(x):\n    return x * {n}\n")
    step = step_with(repo_params, tmp_path, s=root)
    cache = ResultCache(step.cache_dir)

    first, cold = scan_source("s", step, cache)
    (root / "m3.py").write_text("def f3(x):\n    return x * 33\n")
    second, warm = scan_source("s", step, cache)

    assert (cold.processed, cold.cached) == (20, 0)
    assert (warm.processed, warm.cached, warm.unread) == (1, 19, 0)  # all too new to trust stat
    assert [f.row for f in first if f.row["path"] != "m3.py"] == [
        f.row for f in second if f.row["path"] != "m3.py"
    ]


def test_settled_unchanged_files_are_not_read_again_unless_their_results_are_gone(
    repo_params, tmp_path
):
    root = tmp_path / "src"
    root.mkdir()
    for n in range(10):
        (root / f"m{n}.py").write_text(f"def f{n}(x):\n    return x * {n}\n")
    time.sleep(RACY_NS / 1e9 + 0.1)
    step = step_with(repo_params, tmp_path, s=root)
    cache = ResultCache(step.cache_dir)
    first, _ = scan_source("s", step, cache)

    (root / "m3.py").write_text("def f3(x):\n    return x * 33\n")
    second, warm = scan_source("s", step, cache)
    with sqlite3.connect(cache.path) as db:
        db.execute("DELETE FROM results")  # e.g. a cache pruned by hand
    third, cold = scan_source("s", step, cache)

    assert (warm.processed, warm.cached, warm.unread) == (1, 9, 9)
    assert (cold.processed, cold.unread) == (10, 0)
    assert [f.row for f in second] == [f.row for f in third]
    assert [f.row for f in first if f.row["path"] != "m3.py"] == [
        f.row for f in second if f.row["path"] != "m3.py"
    ]


def test_a_cached_result_is_never_reused_under_other_settings(repo_params, tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    (root / "wide.py").write_text("x = 1\n" * 10 + "y = '" + "z" * 600 + "'\n")
    step = step_with(repo_params, tmp_path, s=root)
    cache = ResultCache(step.cache_dir)
    kept, _ = scan_source("s", step, cache)
    strict = step.model_copy(
        update={"filters": step.filters.model_copy(update={"max_line_length": 500})}
    )
    rejected, stats = scan_source("s", strict, cache)
    assert kept[0].row["status"] == "kept"
    assert stats.processed == 1 and rejected[0].row["reason"].startswith("long_line")


def test_the_samples_keep_their_kinds_and_only_the_planted_junk_is_rejected(repo_params, tmp_path):
    step = repo_params.identify_assets.model_copy(update={"cache_dir": str(tmp_path / "c")})
    inventory = to_tables(scan_source("samples", step)[0])[0].to_pandas()
    rows = inventory.set_index("path")
    rejected = set(rows.index[rows["status"] == "rejected"])
    tool_caches = {p for p in rejected if "cache" in p}  # a developer's .ruff_cache/ and the like
    assert rejected - tool_caches == {"python/ledger/ledger/_generated_codes.py", "web/dist/"}
    kinds = rows.loc[rows["status"] == "kept", "kind"]
    assert set(kinds[kinds.index.str.startswith("stories/")]) == {"user_story"}
    assert kinds["api/payments-openapi.yaml"] == kinds["api/customers-swagger.json"] == "openapi"
    assert kinds["api/notifications.postman_collection.json"] == "postman"
    assert set(kinds[kinds.index.str.contains("/src/main/java/")]) == {"source"}
    assert set(kinds[kinds.index.str.contains("/src/test/java/")]) == {"test"}
    assert set(kinds[kinds.index.str.startswith("python/ledger/tests/")]) == {"test"}
    assert set(kinds[kinds.index.str.startswith("models/")]) == {"plantuml"}


def test_the_stage_writes_its_tables_and_names_a_missing_source(repo_params, tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["identify_assets"] |= {
        "sources": {
            "ok": {"type": "dir", "path": str(tmp_path / "src")},
            "gone": {"type": "dir", "path": str(tmp_path / "missing")},
        },
        "scan_dir": str(tmp_path / "scans"),
        "cache_dir": str(tmp_path / "cache"),
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))

    scan.main(["ok", "--params", str(path)])
    assert "source 'ok': 1 scanned, 1 kept, 0 rejected" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "scans" / "ok").iterdir()} == {
        "inventory.parquet", "contents.parquet", "signatures.parquet"
    }  # fmt: skip
    with pytest.raises(SystemExit, match="source 'gone'.*does not exist"):
        scan.main(["gone", "--params", str(path)])


def test_excluded_folders_count_at_the_root_and_lock_files_are_rejected(repo_params, tmp_path):
    root = tmp_path / "repo"
    for path, text in {
        "Lib/venv/__init__.py": "def create(env_dir):\n    return env_dir\n",
        "venv/lib/site.py": "PREFIXES = []\n",
        "web/node_modules/lib/index.js": "module.exports = 1;\n",
        "web/package-lock.json": '{"lockfileVersion": 3}\n',
        "poetry.lock": "[[package]]\nname = 'six'\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    step = step_with(repo_params, tmp_path, r=root)

    inventory = to_tables(scan_source("r", step)[0])[0].to_pandas()

    reasons = dict(zip(inventory["path"], inventory["reason"].fillna("kept"), strict=True))
    assert reasons == {
        "Lib/venv/__init__.py": "kept",
        "venv/": "excluded_dir: venv/ is vendored or build output",  # one row, not descended
        "web/node_modules/": "excluded_dir: node_modules/ is vendored or build output",
        "web/package-lock.json": "lock_file: package-lock.json is a generated dependency lock file",
        "poetry.lock": "lock_file: poetry.lock is a generated dependency lock file",
    }
