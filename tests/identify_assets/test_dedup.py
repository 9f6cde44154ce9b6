import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from tasks.identify_assets.dedup import band_params, cluster, normalised_sha256, signature


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


@pytest.mark.parametrize(
    ("threshold", "num_perm"), [(0.7, 256), (0.5, 128), (0.85, 128), (0.6, 64), (0.9, 128)]
)
def test_the_lsh_bands_are_the_ones_datasketch_picks(threshold, num_perm):
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert band_params(threshold, num_perm) == (lsh.b, lsh.r)


def datasketch_cluster(ids, hashes, sigs, dedup):
    """The greedy clustering done with datasketch's own MinHashLSH: the reference."""
    lsh = MinHashLSH(threshold=dedup.threshold, num_perm=dedup.num_perm)
    first_by_hash, minhashes, cluster_of = {}, {}, {}
    for asset_id, content_hash, data in zip(ids, hashes, sigs, strict=True):
        first = first_by_hash.setdefault(content_hash, asset_id)
        if first != asset_id:
            cluster_of[asset_id] = cluster_of[first]
            continue
        values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
        minhash = LeanMinHash(seed=dedup.seed, hashvalues=values, scheme="affine32")
        similar = [(minhash.jaccard(minhashes[o]), -ids.index(o), o) for o in lsh.query(minhash)]
        similar = [entry for entry in similar if entry[0] >= dedup.threshold]
        if similar:
            cluster_of[asset_id] = max(similar)[2]
            continue
        lsh.insert(asset_id, minhash)
        minhashes[asset_id] = minhash
        cluster_of[asset_id] = asset_id
    return cluster_of


def test_clusters_match_datasketchs_lsh_on_families_of_edited_files(dedup):
    rng = random.Random(7)
    texts = []
    for family in range(12):  # files edited more or less from a common ancestor
        base = words(100 + family, 400)
        for _ in range(rng.randrange(1, 6)):
            edit = rng.choice([0.002, 0.01, 0.02, 0.04, 0.3])
            texts.append(" ".join(w if rng.random() > edit else w + "x" for w in base))
    texts += [texts[n] for n in rng.sample(range(len(texts)), 5)]  # exact copies
    rng.shuffle(texts)
    ids = [f"s:{n:03d}" for n in range(len(texts))]
    hashes = [normalised_sha256(text) for text in texts]
    sigs = [signature(text, dedup) for text in texts]

    clusters, duplicates = cluster(ids, hashes, sigs, dedup)

    assert clusters == datasketch_cluster(ids, hashes, sigs, dedup)
    assert set(duplicates) == {asset_id for asset_id, rep in clusters.items() if rep != asset_id}
    assert sum(d.how == "near_duplicate" for d in duplicates.values()) >= 10


APACHE_HEADER = """/*
 * Copyright 2026 the original author or authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
"""
NOT_FOUND = """package com.acme.cards.web;

public class CardNotFoundException extends RuntimeException {
    public CardNotFoundException(String id) {
        super("card " + id);
    }
}
"""
STATUS = """package com.acme.cards.domain;

public enum CardStatus {
    ACTIVE, BLOCKED, EXPIRED
}
"""


def test_small_classes_sharing_a_licence_header_are_not_near_duplicates(dedup):
    with_header = [APACHE_HEADER + NOT_FOUND, APACHE_HEADER + STATUS]
    assert similarity(*(signature(t, dedup) for t in with_header)) >= dedup.threshold  # the cause
    sigs = [signature(t, dedup, "java") for t in with_header]

    clusters, duplicates = cluster(["s:a", "s:b"], ["h1", "h2"], sigs, dedup)

    assert similarity(*sigs) < 0.2
    assert clusters == {"s:a": "s:a", "s:b": "s:b"} and duplicates == {}


def test_the_same_class_under_another_header_is_still_a_near_duplicate(dedup):
    mit = "// SPDX-License-Identifier: MIT\n// (c) 2025 Acme\n"
    assert signature(APACHE_HEADER + NOT_FOUND, dedup, "java") == signature(
        mit + NOT_FOUND, dedup, "java"
    )
    only_header = signature(APACHE_HEADER, dedup, "java")  # nothing else: the header counts
    assert only_header == signature(APACHE_HEADER, dedup)
