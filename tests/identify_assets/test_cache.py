from tasks.identify_assets.cache import ResultCache
from tasks.identify_assets.process import Processed


def test_results_survive_a_reopen(tmp_path):
    kept = Processed("python", encoding="utf-8", lines=2, text="x = 1\n", signature=b"\x01" * 8)
    rejected = Processed("java", reason="binary: NUL byte in the first 8 KiB")
    cache = ResultCache(tmp_path)
    cache.put_many({"k1": kept, "k2": rejected})
    cache.close()

    again = ResultCache(tmp_path)
    assert again.get_many(["k1", "k2", "k3"]) == {"k1": kept, "k2": rejected}


def test_a_damaged_cache_is_skipped_with_a_warning(tmp_path, capsys):
    (tmp_path / "results.sqlite").write_bytes(b"this is not a database" * 100)
    cache = ResultCache(tmp_path)
    cache.put_many({"k": Processed("python")})
    assert cache.get_many(["k"]) == {}
    assert "scanning without it" in capsys.readouterr().err


def test_fingerprints_are_kept_per_source_and_replaced_by_the_latest_scan(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put_fingerprints("a", {"x.py": ("stat:1", "sha-x"), "gone.py": ("stat:2", "sha-g")})
    cache.put_fingerprints("b", {"x.py": ("git:9", "sha-b")})
    cache.put_fingerprints("a", {"x.py": ("stat:3", "sha-x2")})  # gone.py was deleted
    cache.put_many({"k1": Processed("python")})
    cache.close()

    again = ResultCache(tmp_path)
    assert again.fingerprints("a") == {"x.py": ("stat:3", "sha-x2")}
    assert again.fingerprints("b") == {"x.py": ("git:9", "sha-b")}
    assert again.has_many(["k1", "k2"]) == {"k1"}
