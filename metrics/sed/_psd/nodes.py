"""Detections of frame-wise score series at every threshold, as a tree of intervals ("nodes").

Thresholding a score series ``s[0..T-1]`` (frame ``j`` covers ``[ts[j], ts[j+1])``) at ``t`` gives
the detections = maximal runs of frames with ``s >= t`` (the sed_scores_eval rule). As ``t`` falls,
runs appear, grow and merge. Every distinct run that ever exists is a *node*: the run that frame
``p`` joins when ``t`` reaches ``s[p]`` is ``(L, R)`` with ``L`` the previous and ``R`` the next frame
whose score is strictly lower; it exists for ``t`` in ``(death, birth]`` with ``birth = s[p]`` and
``death = max(s[L], s[R])`` (``-inf`` where ``L``/``R`` run off the series). Frames with equal
scores inside one run give the same node: ties are broken by position (``R`` is the next frame
with a score ``<=``), so only the rightmost of them spans the whole run; the others get
``death == birth`` (an empty lifetime) and are dropped. A series of ``T`` frames has at most ``T``
nodes, so all thresholds together cost ``O(T)`` per series, not ``O(T^2)``.

Many series are handled at once: they are laid out in one flat array separated by ``-inf``
sentinels, and the previous/next strictly-smaller frame of every position is found by pointer
jumping (each round every unresolved position jumps to its candidate's candidate), vectorised
over all positions; about ``log2(T)`` rounds.

Example:
    >>> flat = FlatSeries.from_blocks([np.array([[0.4, 1.0, 0.6, 0.6, 1.0, 1.0, 0.4]])],
    ...                               [np.linspace(0.0, 1.4, 8)])
    >>> n = series_nodes(flat)
    >>> [(round(float(a), 1), round(float(b), 1), float(br), float(d))
    ...  for a, b, br, d in zip(n.onset, n.offset, n.birth, n.death)]
    [(0.2, 0.4, 1.0, 0.6), (0.2, 1.2, 0.6, 0.4), (0.8, 1.2, 1.0, 0.6), (0.0, 1.4, 0.4, -inf)]
    >>> n.parent.tolist()
    [1, 3, 1, -1]
    >>> onset_deltas(flat)
    (array([1. , 0.6, 1. ]), array([ 1, -1,  1]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FlatSeries", "Nodes", "series_nodes", "onset_deltas"]


@dataclass(frozen=True)
class FlatSeries:
    """Score series laid end to end with ``-inf`` sentinels: ``[-inf, s0..., -inf, s1..., -inf]``.

    Attributes:
        values: float ``[P]`` scores and sentinels.
        frame_on, frame_off: float ``[P]`` start/end time of each position's frame (0 at sentinels).
        series: int ``[P]`` series index of each position (-1 at sentinels).
        n_series: number of series.
    """

    values: np.ndarray
    frame_on: np.ndarray
    frame_off: np.ndarray
    series: np.ndarray
    n_series: int

    @classmethod
    def from_blocks(cls, blocks: Sequence[np.ndarray], timestamps: Sequence[np.ndarray]) -> FlatSeries:
        """Build from per-clip blocks ``[S_i, T_i]`` (one row per series) and timestamps ``[T_i + 1]``."""
        vals, ons, offs, sers = [np.full(1, -np.inf)], [np.zeros(1)], [np.zeros(1)], [np.full(1, -1)]
        base = 0
        for blk, ts in zip(blocks, timestamps):
            s, t = blk.shape
            pad = np.full((s, 1), -np.inf)
            vals.append(np.hstack([blk, pad]).ravel())
            on = np.broadcast_to(np.append(ts[:-1], 0.0), (s, t + 1))
            off = np.broadcast_to(np.append(ts[1:], 0.0), (s, t + 1))
            ons.append(on.ravel())
            offs.append(off.ravel())
            ser = np.repeat(np.arange(base, base + s), t + 1).reshape(s, t + 1)
            ser[:, -1] = -1
            sers.append(ser.ravel())
            base += s
        return cls(
            np.concatenate(vals), np.concatenate(ons), np.concatenate(offs), np.concatenate(sers), base
        )

    @classmethod
    def above(cls, values: np.ndarray, frame_on: np.ndarray, frame_off: np.ndarray, row_block: np.ndarray,
              floor: np.ndarray) -> FlatSeries:
        """The frames scoring above ``floor`` of the series of stacked score tables.

        Args:
            values: float ``[R, K]`` the rows (frames) of several clips' tables stacked, clip after clip.
            frame_on, frame_off: float ``[R]`` start/end of each row's frame; row_block: int ``[R]``
                the clip (block) index of each row, non-decreasing.
            floor: float ``[K]`` per class; positions with ``value <= floor`` are left out.

        Series ``block * K + class`` keeps only its positions with ``value > floor[class]``; each run
        of consecutive such frames is laid out as its own stretch between ``-inf`` sentinels (the
        positions keep their series index). Thresholding at any ``t > floor`` gives exactly the
        detections of the whole series: a detection holds only frames scoring ``>= t``, and the
        frames left out end every run they interrupt. Series order: by class, then block.
        """
        n_rows, k = values.shape
        idx = np.flatnonzero(np.ascontiguousarray((values > floor[None, :]).T))  # class-major
        c, r = np.divmod(idx, n_rows)
        sid = row_block[r] * k + c
        new = np.ones(r.size, dtype=bool)
        new[1:] = (sid[1:] != sid[:-1]) | (r[1:] != r[:-1] + 1)
        at = np.arange(r.size) + np.cumsum(new)  # one sentinel before each run
        size = r.size + int(new.sum()) + 1
        vals = np.full(size, -np.inf)
        vals[at] = values[r, c]
        on, off = np.zeros(size), np.zeros(size)
        on[at] = frame_on[r]
        off[at] = frame_off[r]
        ser = np.full(size, -1, dtype=np.int64)
        ser[at] = sid
        n_series = int(row_block[-1]) + 1 if row_block.size else 0
        return cls(vals, on, off, ser, n_series * k)


@dataclass(frozen=True)
class Nodes:
    """All distinct detections of a set of series (see the module docstring).

    Attributes:
        series: int ``[N]``; onset, offset: seconds ``[N]``; birth, death: scores ``[N]`` (the node
        is a detection for thresholds ``death < t <= birth``); parent: int ``[N]`` the node it
        becomes part of when ``t`` falls to ``death`` (born at that score), -1 for a root.
    """

    series: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    birth: np.ndarray
    death: np.ndarray
    parent: np.ndarray

    def subset(self, keep: np.ndarray) -> Nodes:
        """The nodes where ``keep`` is True (whole series only: parents stay inside)."""
        idx = np.full(keep.size, -1, dtype=np.int64)
        idx[keep] = np.arange(int(keep.sum()))
        par = self.parent[keep]
        return Nodes(self.series[keep], self.onset[keep], self.offset[keep], self.birth[keep], self.death[keep],
                     np.where(par >= 0, idx[np.maximum(par, 0)], -1))


def _nearest_lower(v: np.ndarray, strict: bool) -> np.ndarray:
    """Index of the previous position with ``v < v[p]`` (``<=`` when not ``strict``), by jumping."""
    n = v.size
    ptr = np.arange(-1, n - 1)
    ptr[0] = 0
    pos = np.flatnonzero(np.isfinite(v))
    while pos.size:
        cand = ptr[pos]
        cv = v[cand]
        keep = cv >= v[pos] if strict else cv > v[pos]
        pos = pos[keep]
        if not pos.size:
            break
        ptr[pos] = ptr[ptr[pos]]
    return ptr


def series_nodes(flat: FlatSeries) -> Nodes:
    """Every distinct detection (node) of the series in ``flat``."""
    v = flat.values
    left = _nearest_lower(v, strict=True)
    right = (v.size - 1) - _nearest_lower(v[::-1].copy(), strict=False)[::-1]
    death = np.maximum(v[left], v[right])
    real = np.isfinite(v) & (death < v)
    # parent in the (score, -position) order: the neighbour that activates next; climb through
    # tied (non-real) positions to the real node of the run
    up = np.where(v[left] >= v[right], left, right)
    up[~np.isfinite(death)] = -1
    todo = np.flatnonzero(real & (up >= 0))
    todo = todo[~real[up[todo]]]
    while todo.size:
        up[todo] = up[up[todo]]
        todo = todo[(up[todo] >= 0) & ~real[np.maximum(up[todo], 0)]]
    p = np.flatnonzero(real)
    node_of = np.cumsum(real) - 1
    par = up[p]
    lo, hi = left[p], right[p]
    return Nodes(
        series=flat.series[p],
        onset=flat.frame_on[lo + 1],
        offset=flat.frame_off[hi - 1],
        birth=v[p],
        death=death[p],
        parent=np.where(par >= 0, node_of[np.maximum(par, 0)], -1),
    )


def onset_deltas(flat: FlatSeries) -> tuple[np.ndarray, np.ndarray]:
    """Change of the detection count when the threshold falls to each score, per position.

    ``+1`` where a frame exceeds its predecessor (a run starts at a local maximum), ``-1`` where its
    successor exceeds it (two runs merge at a local minimum); zeros dropped. Returns
    ``(score [M], delta int [M])``; :func:`onset_delta_positions` gives the positions instead.
    """
    pos, d = onset_delta_positions(flat)
    return flat.values[pos], d


def onset_delta_positions(flat: FlatSeries) -> tuple[np.ndarray, np.ndarray]:
    """Positions and ``+1``/``-1`` detection-count deltas (see :func:`onset_deltas`)."""
    v = flat.values
    up = np.zeros(v.size, dtype=np.int64)
    up[1:] = v[1:] > v[:-1]
    down = np.zeros(v.size, dtype=np.int64)
    down[:-1] = v[1:] > v[:-1]
    d = (up - down) * np.isfinite(v)
    pos = np.flatnonzero(d)
    return pos, d[pos]
