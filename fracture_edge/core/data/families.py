"""Group distinct image contents into families: copies of one source radiograph.

Two stages, because comparing every pair by a rotation search is quadratic:

1. *Propose*: each content's :data:`NEIGHBOURS` nearest neighbours by cosine similarity of its
   rotation/mirror-invariant signature (:mod:`.fingerprint`).
2. *Verify*: the best normalised correlation of the two polar thumbnails over all circular
   shifts of the angle axis (rotations in 2° steps), with and without mirroring. Pairs at or
   above :data:`LINK_THRESHOLD` are linked, and linked pairs are merged into connected components.

Labels are never used to link: a radiograph filed under both classes is a finding to report.

The threshold was tuned on multiregion-dev (``benchmarks/leakage/README.md``): every pair of
its reference families scored >= 0.985, and pairs from different reference families <= 0.958
except one (0.984) that looks like a copy the reference missed. The audit's contact sheet of
the pairs just above and below the threshold lets a user check it on their own data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEIGHBOURS = 10
LINK_THRESHOLD = 0.97
#: Rows of the similarity matrix computed at once (bounds memory on large sets).
_BLOCK = 1024


@dataclass
class Families:
    """``family[i]``: family number of content i (0..n_families-1, largest families first).

    ``pairs`` (m, 2) are the verified candidate pairs with their ``scores``, kept so a report
    can show the borderline ones.
    """

    family: np.ndarray
    pairs: np.ndarray
    scores: np.ndarray
    threshold: float

    @property
    def count(self) -> int:
        return int(self.family.max()) + 1 if len(self.family) else 0


def candidate_pairs(signatures: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Unordered pairs (i < j) where j is among i's k nearest neighbours by signature."""
    n = len(signatures)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    sig = signatures.astype(np.float32) - signatures.mean(axis=0, dtype=np.float64).astype(np.float32)
    sig /= np.maximum(np.linalg.norm(sig, axis=1, keepdims=True), 1e-12)
    k = min(k, n - 1)
    found = []
    for start in range(0, n, _BLOCK):
        sim = sig[start:start + _BLOCK] @ sig.T
        rows = np.arange(start, min(start + _BLOCK, n))
        sim[rows - start, rows] = -np.inf
        nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        found.append(np.stack([np.repeat(rows, k), nearest.reshape(-1)], axis=1))
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


def polar_similarity(polar: np.ndarray, pairs: np.ndarray, block: int = 2048) -> np.ndarray:
    """Best correlation over rotations (circular shifts of axis 1) and mirroring, per pair.

    ``polar`` is (n, angles, rings), each zero-mean unit-variance; the result is in [-1, 1].
    """
    if len(pairs) == 0:
        return np.zeros(0)
    spectra = np.fft.rfft(polar.astype(np.float64), axis=1)
    mirrored = np.fft.rfft(polar[:, ::-1].astype(np.float64), axis=1)
    cells = polar.shape[1] * polar.shape[2]
    out = np.empty(len(pairs))
    for start in range(0, len(pairs), block):
        i, j = pairs[start:start + block, 0], pairs[start:start + block, 1]
        a = spectra[i]
        # Summing over rings before the inverse FFT (it is linear) costs one FFT per pair.
        best = np.maximum(
            np.fft.irfft((a * np.conj(spectra[j])).sum(axis=2), n=polar.shape[1], axis=1).max(axis=1),
            np.fft.irfft((a * np.conj(mirrored[j])).sum(axis=2), n=polar.shape[1], axis=1).max(axis=1),
        )
        out[start:start + block] = best / cells
    return out


def linked_components(n: int, links: np.ndarray) -> np.ndarray:
    """Component number of each of n nodes, numbered by size (largest first, ties by smallest
    member), given links (m, 2): scipy's connected components of the link graph."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    links = np.asarray(links, np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(n, n))
    k, label = connected_components(graph, directed=False)
    counts = np.bincount(label, minlength=k)
    first = np.full(k, n, np.int64)
    np.minimum.at(first, label, np.arange(n))
    rank = np.empty(k, np.int64)
    rank[np.lexsort((first, -counts))] = np.arange(k)
    return rank[label]


def find_families(polar: np.ndarray, signatures: np.ndarray, threshold: float = LINK_THRESHOLD,
                  k: int = NEIGHBOURS) -> Families:
    """Families of n distinct contents from their fingerprints (see module docstring)."""
    pairs = candidate_pairs(signatures, k)
    scores = polar_similarity(polar, pairs)
    family = linked_components(len(polar), pairs[scores >= threshold])
    return Families(family, pairs, scores, threshold)
