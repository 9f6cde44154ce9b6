import random

import pytest

from tasks.identify_assets.dedup import cluster, normalised_sha256, signature


@pytest.fixture
def dedup(repo_params):
    return repo_params.identify_assets.dedup


def words(seed: int, n: int = 2000) -> list[str]:
    rng = random.Random(seed)
    return [f"w{rng.randrange(10**6)}" for _ in range(n)]


def shingles(tokens: list[str], k: int = 5) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def similarity(a: bytes, b: bytes) -> float:
    return sum(x == y for x, y in zip(a[::4], b[::4], strict=True)) / (len(a) // 4)


@pytest.mark.parametrize("changed", [0.02, 0.05, 0.1, 0.2])
def test_the_minhash_estimate_tracks_the_true_shingle_jaccard(changed, dedup):
    rng = random.Random(3)
    base = words(1)
    edited = [w if rng.random() > changed else w + "x" for w in base]
    true = len(shingles(base) & shingles(edited)) / len(shingles(base) | shingles(edited))
    estimate = similarity(signature(" ".join(base), dedup), signature(" ".join(edited), dedup))
    assert estimate == pytest.approx(true, abs=0.1)


def test_normalisation_ignores_line_endings_and_trailing_spaces_only():
    assert normalised_sha256("a = 1\r\nb = 2   \n\n") == normalised_sha256("a = 1\nb = 2")
    assert normalised_sha256("a = 1\n") != normalised_sha256("a  = 1\n")


def test_clusters_keep_the_first_file_and_do_not_depend_on_anything_else(dedup):
    text = " ".join(words(5))
    ids = ["s:a", "s:b", "s:c", "s:d"]
    hashes = ["h1", "h2", "h1", "h3"]
    sigs = [signature(t, dedup) for t in (text, text + " one more", text, " ".join(words(6)))]

    clusters, duplicates = cluster(ids, hashes, sigs, dedup)

    assert clusters == {"s:a": "s:a", "s:b": "s:a", "s:c": "s:a", "s:d": "s:d"}
    assert (duplicates["s:b"].how, duplicates["s:c"].how) == ("near_duplicate", "duplicate")
    assert cluster(ids, hashes, sigs, dedup) == (clusters, duplicates)
