"""Sorting and summing of sparse count deltas keyed by small integers and a score.

Example:
    >>> import numpy as np
    >>> (k,), s, d = aggregate([np.array([1, 0, 1, 1])], np.array([0.5, 0.5, 0.5, 0.2]), np.array([1, 2, -1, 3]))
    >>> k.tolist(), s.tolist(), d.tolist()
    ([0, 1], [0.5, 0.2], [2, 3])
"""

from __future__ import annotations

import numpy as np

__all__ = ["aggregate", "sort_by_key_score", "stable_key_order"]


def sort_by_key_score(key: np.ndarray, score: np.ndarray, *, descending: bool = False) -> np.ndarray:
    """Order by integer ``key``, then ``score`` (ties among equal pairs in any order).

    Two passes (quicksort on the scores, then a stable sort on the small integer keys) are several
    times faster than ``np.lexsort`` on float keys.
    """
    order = np.argsort(-score if descending else score)
    return order[stable_key_order(key[order])]


def stable_key_order(key: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integer keys (a radix sort when they fit in int16)."""
    small = key.max(initial=0) < 2**15 and key.min(initial=0) >= 0
    return np.argsort(key.astype(np.int16 if small else np.int64), kind="stable")


def aggregate(keys: list[np.ndarray], score: np.ndarray, delta: np.ndarray, *, radix: int = 0
              ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Sum ``delta`` over equal ``(keys..., score)``; drop zero sums. Output sorted by keys, then score.

    ``keys`` are small non-negative ints; with two keys, ``radix`` is the range of the second.
    """
    if score.size == 0:
        return keys, score, delta
    comp = keys[0] if len(keys) == 1 else keys[0] * radix + keys[1]
    order = sort_by_key_score(comp, score)
    comp, score, delta = comp[order], score[order], delta[order]
    new = np.ones(score.size, dtype=bool)
    new[1:] = (score[1:] != score[:-1]) | (comp[1:] != comp[:-1])
    starts = np.flatnonzero(new)
    sums = np.add.reduceat(delta, starts, axis=0)
    nz = sums != 0 if sums.ndim == 1 else (sums != 0).any(axis=1)
    comp = comp[starts][nz]
    out = [comp] if len(keys) == 1 else [comp // radix, comp % radix]
    return out, score[starts][nz], sums[nz]
