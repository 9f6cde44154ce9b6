"""De-duplication: exact (normalised content hash) and near-duplicate (MinHash LSH).

Near-duplicates follow BigCode's recipe: word 5-gram shingles, 256-permutation MinHash
(datasketch, its default `affine32` scheme), LSH at Jaccard 0.7. Each file's signature is
computed once when it is scanned (and cached with the rest of its result); clustering runs over
all sources in the merge. Clusters are built greedily in (source, path) order, so the first
file of a cluster is its representative and the result never depends on timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from tasks.io import sha256_bytes
from tasks.params import DedupParams

# Words are runs of [A-Za-z0-9_] (BigCode's split on non-alphanumerics), found on the bytes.
_WORD_BYTES = np.zeros(256, dtype=bool)
_WORD_BYTES[list(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] = True
_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_Q = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_SCHEME = "affine32"
_BATCH = 4096  # shingles per update: bounds the (shingles x permutations) work array


def normalised_sha256(text: str) -> str:
    """Hash for exact duplicates: line endings, trailing spaces and blank ends ignored."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(map(str.rstrip, lines)).strip()
    return sha256_bytes(text.encode("utf-8", "surrogatepass"))


def _word_hashes(text: str) -> np.ndarray:
    """64-bit polynomial hash of each ASCII word ([A-Za-z0-9_]+), vectorised over the bytes.

    With prefix sums of b[j] * Q**(j+1) (Q the inverse of P modulo 2**64), a word's hash
    sum(b[j] * Q**(j-start)) is (prefix[end] - prefix[start]) * P**(start+1): no Python loop.
    """
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    is_word = _WORD_BYTES[data]
    edges = np.flatnonzero(np.diff(np.concatenate(([False], is_word, [False])).view(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        powers_q = np.cumprod(np.full(len(data), _Q, dtype=np.uint64))  # Q**1 .. Q**n
        terms = (data.astype(np.uint64) + np.uint64(1)) * powers_q
        prefix = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(terms, dtype=np.uint64)))
        powers_p = np.cumprod(np.full(len(data), _P, dtype=np.uint64))  # P**1 .. P**n
        return (prefix[ends] - prefix[starts]) * powers_p[starts]


def _shingle_hashes(text: str, size: int) -> np.ndarray:
    """32-bit hashes of the distinct word `size`-grams of a text (one shingle if shorter)."""
    hashes = _word_hashes(text)
    count = max(len(hashes) - size + 1, 1)
    shingles = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(min(size, len(hashes))):  # polynomial hash of each window
            shingles = shingles * _P + hashes[offset : offset + count]
    return np.unique((shingles >> np.uint64(32)).astype(np.uint32))


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME).permutations


def signature(text: str, params: DedupParams) -> bytes:
    """MinHash signature of a text's word shingles, as bytes (num_perm little-endian uint32)."""
    minhash = MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        hashfunc=int,
        scheme=_SCHEME,
        permutations=_permutations(params.num_perm, params.seed),  # drawn once per process
    )
    shingles = _shingle_hashes(text, params.shingle_size).tolist()
    for start in range(0, len(shingles), _BATCH):
        minhash.update_batch(shingles[start : start + _BATCH])
    return minhash.hashvalues.astype("<u4").tobytes()


def _minhash(data: bytes, params: DedupParams) -> LeanMinHash:
    values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return LeanMinHash(seed=params.seed, hashvalues=values, scheme=_SCHEME)


@dataclass(frozen=True)
class Duplicate:
    representative: str  # asset_id of the cluster's first file
    how: str  # 'duplicate' (same normalised content) or 'near_duplicate'
    similarity: float


def cluster(
    asset_ids: list[str], content_hashes: list[str], signatures: list[bytes], params: DedupParams
) -> tuple[dict[str, str], dict[str, Duplicate]]:
    """Cluster id (its representative's asset_id) of every file, and which files are duplicates.

    Files must come in representative-priority order (source, path).
    """
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    position = {asset_id: n for n, asset_id in enumerate(asset_ids)}
    first_by_hash: dict[str, str] = {}
    minhashes: dict[str, LeanMinHash] = {}
    cluster_of: dict[str, str] = {}
    duplicates: dict[str, Duplicate] = {}
    for asset_id, content_hash, data in zip(asset_ids, content_hashes, signatures, strict=True):
        first = first_by_hash.setdefault(content_hash, asset_id)
        if first != asset_id:
            representative = cluster_of[first]
            earlier = duplicates.get(first)
            duplicates[asset_id] = earlier or Duplicate(representative, "duplicate", 1.0)
            cluster_of[asset_id] = representative
            continue
        minhash = _minhash(data, params)
        similar = [(minhash.jaccard(minhashes[other]), other) for other in lsh.query(minhash)]
        similar = [(score, other) for score, other in similar if score >= params.threshold]
        if similar:  # the most similar representative; the earliest on a tie
            score, other = max(similar, key=lambda pair: (pair[0], -position[pair[1]]))
            cluster_of[asset_id] = other
            duplicates[asset_id] = Duplicate(other, "near_duplicate", score)
            continue
        lsh.insert(asset_id, minhash)
        minhashes[asset_id] = minhash
        cluster_of[asset_id] = asset_id
    return cluster_of, duplicates
