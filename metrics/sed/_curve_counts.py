"""Threshold-free collar-based and segment-based counts from score tables (sed_scores_eval semantics).

Both return, per class, :class:`ClassCounts`: the distinct scores where a count changes (highest
first, ``inf`` = nothing detected) with ``tp``/``fp`` at each, summed over clips.

- Segment-based (sed_scores_eval ``segment_based``): clip ``i`` has ``ceil(duration / L)`` segments
  of ``L`` seconds; a segment's score for a class is the maximum over the frames overlapping it
  (frames from the last boundary ``<=`` the segment start to the first ``>=`` its end); it is a
  reference segment when a reference event overlaps it. At threshold ``t``: ``tp`` = reference
  segments with score ``>= t``, ``fp`` = other segments with score ``>= t``.
- Collar-based (sed_scores_eval ``collar_based``, sed_eval's event-based rule): a detection hits a
  reference event when ``|onset diff| <= onset_collar`` and ``|offset diff| <= max(offset_collar,
  offset_collar_rate * reference length)`` (both rounded to ``time_decimals``); ``tp`` = size of a
  maximum matching of hits, ``fp`` = detections - ``tp``. Detections are the runs of frames with
  ``score >= t`` (:mod:`avbench.metrics.sed._psd.nodes`). Where no reference event has two hitting
  detections at one threshold (and no detection two events), the matching is the set of hits and
  is counted from the detection tree in one vectorised pass; other clip-classes are solved per
  threshold with a maximum bipartite matching.

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import ScoreTable
    >>> from avbench.metrics.sed._psd.core import RefIndex
    >>> ref = RefIndex.build({"a": [Event(0.2, 0.6, "x")]}, {"a": 1.0}, ["x"])
    >>> tab = {"a": ScoreTable(np.linspace(0, 1, 6), np.array([[.1], [.9], [.8], [.2], [.7]]), ("x",))}
    >>> c = segment_counts(ref, tab, segment_length=0.5)[0]
    >>> c.scores.tolist(), c.tp.tolist(), c.fp.tolist(), c.n_ref
    ([inf, 0.9, 0.8], [0, 1, 2], [0, 0, 0], 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.accum import aggregate, sort_by_key_score
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed._psd.nodes import FlatSeries, onset_delta_positions, series_nodes

__all__ = ["ClassCounts", "segment_counts", "collar_counts", "table_columns", "curve_points", "MAX_CURVE_POINTS"]


MAX_CURVE_POINTS = 1000
"""Curve points kept per class in ``MetricResult.extra`` (best-threshold F curves, segment ROC curves)."""


def curve_points(n: int, most: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of at most ``most`` points spread evenly over a curve of ``n`` points (first and last kept).

    Example:
        >>> curve_points(5, most=3).tolist()
        [0, 2, 4]
    """
    return np.unique(np.linspace(0, n - 1, min(n, most)).astype(int))


@dataclass(frozen=True)
class ClassCounts:
    """Counts of one class at every distinct threshold (highest first; ``scores[0] = inf``)."""

    scores: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_ref: int


def table_columns(ref: RefIndex, clip: str, table) -> np.ndarray:
    """The ``[T, K]`` scores of ``table`` in label order; refuses unknown clips / other class sets."""
    if clip not in ref.clip_pos:
        raise InputError(f"scores for clip {clip!r}, which is not in the evaluation set (durations)")
    cls = tuple(table.classes)
    if cls == ref.labels:
        return table.values
    if sorted(cls) != sorted(ref.labels):
        raise InputError(f"score table of clip {clip!r}: classes {list(cls)} must be the task labels {list(ref.labels)}")
    return table.values[:, [cls.index(c) for c in ref.labels]]


def _curves(ref: RefIndex, cls, score, dtp, dfp, n_ref) -> list[ClassCounts]:
    (c,), s, d = aggregate([cls], score, np.stack([dtp, dfp], axis=1))
    order = sort_by_key_score(c, s, descending=True)
    c, s, d = c[order], s[order], d[order]
    bounds = np.searchsorted(c, np.arange(ref.k + 1))
    out = []
    for j in range(ref.k):
        lo, hi = bounds[j], bounds[j + 1]
        out.append(ClassCounts(np.r_[np.inf, s[lo:hi]], np.r_[0, np.cumsum(d[lo:hi, 0])],
                               np.r_[0, np.cumsum(d[lo:hi, 1])], int(n_ref[j])))
    return out


def segment_counts(ref: RefIndex, tables: Mapping[str, object], *, segment_length: float = 1.0,
                   time_decimals: int = 6) -> list[ClassCounts]:
    """Segment-based counts per class (see the module docstring). Clips without a table score 0."""
    if not segment_length > 0:
        raise InputError(f"segment-based F: segment_length must be > 0 s, got {segment_length!r}")
    k = ref.k
    cls_p, sc_p, tp_p = [], [], []
    n_ref = np.zeros(k, dtype=np.int64)
    for ci, clip in enumerate(ref.clips):
        n_seg = int(math.ceil(ref.clip_dur[ci] / segment_length))
        bnd = np.round(np.arange(n_seg + 1) * segment_length, time_decimals)
        table = tables.get(clip)
        seg_scores = np.zeros((n_seg, k))
        if table is not None:
            vals = table_columns(ref, clip, table)
            ts = np.round(table.timestamps, time_decimals)
            lo = np.maximum(np.searchsorted(ts, bnd[:-1], side="right") - 1, 0)
            hi = np.minimum(np.searchsorted(ts, bnd[1:], side="left"), ts.size - 1)
            for i in np.flatnonzero(hi > lo):  # segments are few per clip: per-segment max
                seg_scores[i] = vals[lo[i]:hi[i]].max(axis=0)
        g = ci * k + np.arange(k)
        active = np.zeros((n_seg, k), dtype=bool)
        for c in np.flatnonzero(ref.start[g + 1] > ref.start[g]):
            e = slice(ref.start[g[c]], ref.start[g[c] + 1])
            active[:, c] = ((bnd[:-1, None] < ref.off[e][None, :]) & (bnd[1:, None] > ref.on[e][None, :])).any(axis=1)
        n_ref += active.sum(axis=0)
        cls_p.append(np.tile(np.arange(k), n_seg))
        sc_p.append(seg_scores.ravel())
        tp_p.append(active.ravel().astype(np.int64))
    cls, sc, tp = (np.concatenate(x) if x else np.zeros(0) for x in (cls_p, sc_p, tp_p))
    return _curves(ref, cls.astype(np.int64), sc, tp.astype(np.int64), 1 - tp.astype(np.int64), n_ref)


def _hits(ref, nodes, group, onset_collar, offset_collar, rate, dec):
    """``(node, event)`` pairs where the node's onset and offset are within the collars."""
    first = ref.start[group]
    count = ref.start[group + 1] - first
    idx = np.flatnonzero(count > 0)
    pn, pe = [], []
    j = 0
    while idx.size:
        e = first[idx] + j
        glen = ref.off[e] - ref.on[e]
        ok = (np.round(np.abs(nodes.onset[idx] - ref.on[e]) - onset_collar, dec) <= 0) & (
            np.round(np.abs(nodes.offset[idx] - ref.off[e]) - np.maximum(offset_collar, rate * glen), dec) <= 0)
        pn.append(idx[ok])
        pe.append(e[ok])
        j += 1
        idx = idx[count[idx] > j]
    return (np.concatenate(pn), np.concatenate(pe)) if pn else (np.zeros(0, np.int64), np.zeros(0, np.int64))


def _matching_tp(nodes, sel_nodes, hn, he) -> tuple[np.ndarray, np.ndarray]:
    """Exact TP deltas of one clip-class by a maximum matching at each of its thresholds."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    th = np.unique(nodes.birth[sel_nodes])[::-1]
    ev_ids, ev_loc = np.unique(he, return_inverse=True)
    prev, sc, dl = 0, [], []
    for u in th:
        alive = (nodes.birth[hn] >= u) & (nodes.death[hn] < u)
        if alive.any():
            rows, r_loc = np.unique(hn[alive], return_inverse=True)
            g = csr_matrix((np.ones(int(alive.sum())), (r_loc, ev_loc[alive])), shape=(rows.size, ev_ids.size))
            tp = int((maximum_bipartite_matching(g, perm_type="column") >= 0).sum())
        else:
            tp = 0
        if tp != prev:
            sc.append(u)
            dl.append(tp - prev)
            prev = tp
    return np.asarray(sc, dtype=np.float64), np.asarray(dl, dtype=np.int64)


def collar_counts(ref: RefIndex, tables: Mapping[str, object], *, onset_collar: float = 0.2,
                  offset_collar: float = 0.2, offset_collar_rate: float = 0.2,
                  time_decimals: int = 6) -> list[ClassCounts]:
    """Collar-based counts per class (see the module docstring). Clips without a table detect nothing."""
    k, dec = ref.k, time_decimals
    clips = [c for c in ref.clips if c in tables]
    blocks = [np.ascontiguousarray(table_columns(ref, c, tables[c]).T) for c in clips]
    flat = FlatSeries.from_blocks(blocks, [tables[c].timestamps for c in clips])
    s_clip = np.repeat(np.array([ref.clip_pos[c] for c in clips], dtype=np.int64), k)
    s_cls = np.tile(np.arange(k), len(clips))
    s_group = s_clip * k + s_cls
    own = ref.start[s_group + 1] > ref.start[s_group]
    # detections: +1 at local maxima, -1 at merges, for every series
    pos, d = onset_delta_positions(flat)
    parts = [(s_cls[flat.series[pos]], flat.values[pos], np.zeros(pos.size, np.int64), d)]
    if own.any():
        ids = np.flatnonzero(own)
        sel = own.reshape(len(clips), k)
        sub = FlatSeries.from_blocks([b[sel[i]] for i, b in enumerate(blocks)], [tables[c].timestamps for c in clips])
        nd = series_nodes(sub)
        ser = ids[nd.series]
        hn, he = _hits(ref, nd, s_group[ser], onset_collar, offset_collar, offset_collar_rate, dec)
        # conflicts: a node with two hits, or two hitting nodes alive together for one event
        conflict = np.zeros(own.size, dtype=bool)
        cnt = np.bincount(hn, minlength=nd.birth.size)
        conflict[ser[cnt > 1]] = True
        order = np.lexsort([-nd.birth[hn], he])
        e_s, b_s, d_s = he[order], nd.birth[hn][order], nd.death[hn][order]
        for e in np.unique(e_s[np.r_[False, e_s[1:] == e_s[:-1]]]):
            m = e_s == e
            if (b_s[m][1:] > np.minimum.accumulate(d_s[m])[:-1]).any():
                conflict[ser[hn[order][m][0]]] = True
        easy = ~conflict[ser[hn]]
        live = nd.death[hn] > -np.inf
        q = hn[easy]
        lv = live[easy]
        parts.append((np.r_[s_cls[ser[q]], s_cls[ser[q]][lv]], np.r_[nd.birth[q], nd.death[q][lv]],
                      np.r_[np.ones(q.size, np.int64), -np.ones(int(lv.sum()), np.int64)],
                      np.r_[-np.ones(q.size, np.int64), np.ones(int(lv.sum()), np.int64)]))
        for s in np.flatnonzero(conflict):
            in_s = ser == s
            mine = in_s[hn]
            sc, dl = _matching_tp(nd, in_s, hn[mine], he[mine])
            parts.append((np.full(sc.size, s_cls[s]), sc, dl, -dl))
    cls, sc, dtp, dfp = (np.concatenate(x) for x in zip(*parts))
    return _curves(ref, cls, sc, dtp, dfp, ref.n_ref)
