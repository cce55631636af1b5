"""Threshold-free intersection statistics from score tables: per-clip deltas, summed over clips.

For every class the counts ``tp(t)``, ``fp(t)`` and the cross-trigger counts ``ct_k(t)`` are step
functions of the threshold ``t`` (detections: runs of frames with ``score >= t``). Each clip
contributes *deltas*: ``+n`` / ``-n`` at the scores where its counts change as ``t`` falls
(sed_scores_eval's deltas, Ebbers et al., ICASSP 2022). :class:`IntersectionAccumulator` adds the
deltas of clips fed in any number of chunks (exact integer sums), and :meth:`curves` sorts them
once per class: ``counts(t) = sum of deltas at scores >= t``. Memory is the number of change
points, never clips x thresholds x classes; cross-triggers are stored sparsely as
``(class, other class, score, delta)`` only where a detection can reach another class's reference.

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import ScoreTable
    >>> from avbench.metrics.sed._psd.core import RefIndex
    >>> ref = RefIndex.build({"a": [Event(0.2, 0.6, "x")]}, {"a": 1.0}, ["x"])
    >>> acc = IntersectionAccumulator(ref, dtc=0.5, gtc=0.5, cttc=None)
    >>> acc.add({"a": ScoreTable(np.linspace(0, 1, 6), np.array([[.1], [.9], [.8], [.2], [.7]]), ("x",))})
    >>> cur = acc.curves()[0]
    >>> cur.scores.tolist(), cur.tp.tolist(), cur.fp.tolist()
    ([inf, 0.9, 0.7, 0.2, 0.1], [0, 1, 1, 1, 0], [0, 0, 1, 0, 1])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.aggregate import aggregate, sort_by_key_score
from avbench.metrics.sed._psd.core import RefIndex, check_criteria, meets
from avbench.metrics.sed._psd.deltas import ct_deltas, tp_deltas, tp_entries
from avbench.metrics.sed._psd.nodes import FlatSeries, Nodes, onset_delta_positions, series_nodes

__all__ = ["IntersectionAccumulator", "ClassCurve"]

@dataclass(frozen=True)
class ClassCurve:
    """Counts of one class at every distinct threshold, highest first (``scores[0] = inf``: nothing)."""

    scores: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    ct: np.ndarray  # sum_k ct_k(t) / t_ref_k  (seconds^-1), 0 without cross-triggers
    n_ref: int


@dataclass(frozen=True)
class _Geometry:
    """What one pass computes before any criterion: the batch's frames above the floor as flat series
    (:meth:`~avbench.metrics.sed._psd.nodes.FlatSeries.above`; exact for every threshold that can reach
    the PSD-ROC), their onset deltas ``(pos, d)``, their detection trees ``nodes`` (series index
    ``clip-in-batch * K + class``), each node's overlap with its class's reference ``inter`` and the
    sorted coverage entries ``tp`` (:func:`~avbench.metrics.sed._psd.deltas.tp_entries`)."""

    flat: FlatSeries
    pos: np.ndarray
    d: np.ndarray
    nodes: Nodes
    inter: np.ndarray
    tp: tuple[np.ndarray, ...]


class IntersectionAccumulator:
    """Sum threshold-free intersection statistics over clips fed in chunks.

    Args:
        ref: the reference index (all clips of the evaluation).
        dtc, gtc: criteria in (0, 1]; cttc: in (0, 1], or None to skip cross-triggers.
        time_decimals: rounding of both sides of each criterion comparison.
        chunk_positions: flat score positions processed per vectorised pass (bounds memory).
        cache: a dict to keep the detection trees of each pass in, so that another criterion set on
            the same tables skips rebuilding them (pass ``None`` for large inputs).
        fp_budget: ``max_efpr * D / U``, the false-positive count beyond which a class's ROC points
            lie past ``max_efpr``. A class with more than that many clips without its reference
            whose top score is ``>= t`` has ``FP(t) > budget`` (each such clip has a detection, and
            it is a false positive), so thresholds at or below the budget-th largest such top score
            (:attr:`floor`) cannot reach the PSD-ROC: their deltas are neither computed nor kept.
            Exact for the PSDS (only points past ``max_efpr`` are skipped); ``None`` keeps all.

    Raises:
        InputError: a clip given twice or outside the evaluation set, a table whose classes differ
            from the labels.
    """

    def __init__(self, ref: RefIndex, *, dtc: float, gtc: float, cttc: float | None,
                 time_decimals: int = 6, chunk_positions: int = 1_000_000, cache: dict | None = None,
                 fp_budget: float | None = None) -> None:
        check_criteria(dtc, gtc, cttc)
        m = None if fp_budget is None else int(np.floor(fp_budget)) + 1
        self._m = m if m is not None and m <= len(ref.clips) else None
        self._top = np.full((ref.k, 0), -np.inf)
        self._prescanned = False
        self.floor = np.full(ref.k, -np.inf)
        self.ref, self.dtc, self.gtc, self.cttc, self.dec = ref, float(dtc), float(gtc), cttc, int(time_decimals)
        self.chunk_positions = int(chunk_positions)
        self.cache = cache
        self._seen: set[str] = set()
        self._tpfp: list[tuple[np.ndarray, ...]] = []  # (cls, score, dtp, dfp)
        self._ct: list[tuple[np.ndarray, ...]] = []  # (cls, k, score, dct)
        self._pending = 0

    def prescan(self, tables: Mapping[str, object]) -> None:
        """Raise :attr:`floor` from the top scores of ``tables`` before :meth:`add` (optional, cheap).

        With ``fp_budget`` set, a first pass over all clips lets the second skip the series that
        cannot reach the PSD-ROC from the start instead of only after ``budget + 1`` clips.
        """
        if self._m is None:
            return
        k, ref = self.ref.k, self.ref
        rows, idx = [], []
        for clip, table in tables.items():
            if clip in ref.clip_pos:
                cols = table.classes
                m = table.values.max(axis=0)
                rows.append(m if tuple(cols) == ref.labels else m[[cols.index(c) for c in ref.labels]])
                idx.append(ref.clip_pos[clip])
        if rows:
            ci = np.asarray(idx, dtype=np.int64)
            g = ci[:, None] * k + np.arange(k)[None, :]
            own = ref.start[g + 1] > ref.start[g]
            self._update_floor(np.where(own, -np.inf, np.asarray(rows)))
        self._prescanned = True

    def add(self, tables: Mapping[str, object]) -> None:
        """Add the score tables ``{clip: ScoreTable}`` of some clips (each clip at most once overall)."""
        batch, pos = [], 0
        labels = self.ref.labels
        for clip, table in tables.items():
            if clip not in self.ref.clip_pos:
                raise InputError(f"scores for clip {clip!r}, which is not in the evaluation set (durations)")
            if clip in self._seen:
                raise InputError(f"scores for clip {clip!r} were given twice")
            self._seen.add(clip)
            cls = tuple(table.classes)
            if cls == labels:
                vals = table.values
            else:
                missing = [c for c in labels if c not in cls]
                if missing or len(cls) != len(labels):
                    raise InputError(
                        f"score table of clip {clip!r}: classes {list(cls)} must be the task labels {list(labels)}"
                    )
                vals = table.values[:, [cls.index(c) for c in labels]]
            batch.append((self.ref.clip_pos[clip], vals, table.timestamps))
            pos += vals.size + vals.shape[1]
            if pos >= self.chunk_positions:
                self._process(batch)
                batch, pos = [], 0
        if batch:
            self._process(batch)

    # -- one vectorised pass -------------------------------------------------------------------
    def _process(self, batch: list) -> None:
        ref, k, dec = self.ref, self.ref.k, self.dec
        clip_idx = np.array([b[0] for b in batch], dtype=np.int64)
        s_clip = np.repeat(clip_idx, k)
        s_cls = np.tile(np.arange(k), clip_idx.size)
        s_group = s_clip * k + s_cls
        own_gt = ref.start[s_group + 1] > ref.start[s_group]
        if self._m is not None and not self._prescanned:
            smax = np.stack([b[1].max(axis=0) for b in batch])
            self._update_floor(np.where(own_gt.reshape(len(batch), k), -np.inf, smax))
        geo = self._geometry(batch, s_group)
        flat, pos, d, nodes = geo.flat, geo.pos, geo.d, geo.nodes
        # false positives of series without own reference: every detection is one
        ser = flat.series[pos]
        keep = ~own_gt[ser]
        parts_cls, parts_score, parts_tp, parts_fp = [s_cls[ser[keep]]], [flat.values[pos[keep]]], [np.zeros(int(keep.sum()), dtype=np.int64)], [d[keep]]
        # the nodes of series that meet no reference (none of their class in the clip and, with
        # cttc, none of any other) add nothing below: no subset is taken
        if nodes.series.size:
            n_ser = nodes.series
            n_cls, n_len = s_cls[n_ser], nodes.offset - nodes.onset
            dtc_ok = meets(geo.inter, self.dtc, n_len, dec) & own_gt[n_ser]
            # FP of series with own reference: nodes failing DTC; a node's -1 at its death and its
            # parent's +1 at the same score cancel, so only net changes at each birth are kept
            fp_n = (own_gt[n_ser] & ~dtc_ok).astype(np.int64)
            has_par = nodes.parent >= 0
            net = fp_n - np.bincount(nodes.parent[has_par], weights=fp_n[has_par], minlength=fp_n.size).astype(np.int64)
            nz = np.flatnonzero(net)
            parts_cls.append(n_cls[nz])
            parts_score.append(nodes.birth[nz])
            parts_fp.append(net[nz])
            parts_tp.append(np.zeros(nz.size, dtype=np.int64))
            # TP: coverage of each reference event by the DTC nodes alive at t
            tp_cls, tp_score, tp_d = tp_deltas(ref, geo.tp, dtc_ok, self.gtc, dec)
            parts_cls.append(tp_cls)
            parts_score.append(tp_score)
            parts_tp.append(tp_d)
            parts_fp.append(np.zeros(tp_d.size, dtype=np.int64))
            if self.cttc is not None:
                self._ct.append(ct_deltas(ref, nodes, ~dtc_ok, s_clip[n_ser], n_cls, n_len, self.cttc, dec, self.floor))
        c_all, s_all = np.concatenate(parts_cls), np.concatenate(parts_score)
        ok = s_all > self.floor[c_all]
        (c_out,), sc, dd = aggregate([c_all[ok]], s_all[ok],
                                     np.stack([np.concatenate(parts_tp)[ok], np.concatenate(parts_fp)[ok]], axis=1))
        self._tpfp.append((c_out, sc, dd[:, 0], dd[:, 1]))
        self._compact()

    def _geometry(self, batch: list, s_group: np.ndarray) -> _Geometry:
        """The criterion-free part of a pass (see :class:`_Geometry`), kept in the cache so that another
        criterion set on the same tables reuses it. ``s_group``: ``clip * K + class`` of each series."""
        key = ("above", tuple(b[0] for b in batch), self.floor.tobytes())
        if self.cache is not None and key in self.cache:
            return self.cache[key]
        vals = np.concatenate([b[1] for b in batch]) if len(batch) > 1 else batch[0][1]
        on = np.concatenate([b[2][:-1] for b in batch])
        off = np.concatenate([b[2][1:] for b in batch])
        rows = np.repeat(np.arange(len(batch)), [b[1].shape[0] for b in batch])
        flat = FlatSeries.above(vals, on, off, rows, self.floor)
        nodes = series_nodes(flat)
        inter, (pq, pe, pv) = self.ref.overlap(s_group[nodes.series], nodes.onset, nodes.offset, pairs=True)
        out = _Geometry(flat, *onset_delta_positions(flat), nodes, inter, tp_entries(nodes, pq, pe, pv))
        if self.cache is not None:
            self.cache[key] = out
        return out

    def _update_floor(self, cand: np.ndarray) -> None:
        """Keep the ``budget + 1`` largest top scores per class among clips without its reference."""
        top = np.concatenate([self._top, cand.T], axis=1)
        if top.shape[1] > self._m:
            top = np.partition(top, top.shape[1] - self._m, axis=1)[:, -self._m:]
            self.floor = np.maximum(self.floor, top.min(axis=1))
        self._top = top

    def _compact(self) -> None:
        """Merge stored chunks once they are many (keeps the lists short; exact integer sums)."""
        self._pending += 1
        if self._pending < 64:
            return
        self._pending = 0
        self._tpfp = [self._merged_tpfp()]
        if self._ct:
            self._ct = [self._merged_ct()]

    def _merged_tpfp(self) -> tuple[np.ndarray, ...]:
        if not self._tpfp:
            z = np.zeros(0, dtype=np.int64)
            return z, np.zeros(0), z, z
        c, s, t, f = (np.concatenate(x) for x in zip(*self._tpfp))
        ok = s > self.floor[c]
        (c,), s, d = aggregate([c[ok]], s[ok], np.stack([t[ok], f[ok]], axis=1))
        return c, s, d[:, 0], d[:, 1]

    def _merged_ct(self) -> tuple[np.ndarray, ...]:
        c, o, s, d = (np.concatenate(x) for x in zip(*self._ct))
        ok = s > self.floor[c]
        (c, o), s, d = aggregate([c[ok], o[ok]], s[ok], d[ok], radix=self.ref.k)
        return c, o, s, d

    def curves(self) -> list[ClassCurve]:
        """Per class (in label order): the counts at every score where some count changes.

        ``ct`` is ``sum_k CT_ck(t) / max(T_k, 1e-12)`` formed from the integer counts ``CT_ck(t)`` at
        each threshold, added in label order of ``k`` (the floats of sed_scores_eval's
        ``np.mean(ct_rates, axis=0)`` before its division).
        """
        ref, k = self.ref, self.ref.k
        c, s, dtp, dfp = self._merged_tpfp()
        cc = oo = cs = cd = None
        if self._ct:
            cc, oo, cs, cd = self._merged_ct()
            c = np.concatenate([c, cc])
            s = np.concatenate([s, cs])
            dtp = np.concatenate([dtp, np.zeros(cs.size, dtype=np.int64)])
            dfp = np.concatenate([dfp, np.zeros(cs.size, dtype=np.int64)])
        order = sort_by_key_score(c, s, descending=True)
        c, s, dtp, dfp = c[order], s[order], dtp[order], dfp[order]
        bounds = np.searchsorted(c, np.arange(k + 1))
        ct_bounds = np.searchsorted(cc, np.arange(k + 1)) if cc is not None else None
        out = []
        for j in range(k):
            lo, hi = bounds[j], bounds[j + 1]
            sj = s[lo:hi]
            if sj.size:
                new = np.r_[True, sj[1:] != sj[:-1]]
                st = np.flatnonzero(new)
                us = sj[st]
                tp = np.cumsum(np.add.reduceat(dtp[lo:hi], st))
                fp = np.cumsum(np.add.reduceat(dfp[lo:hi], st))
            else:
                us, tp, fp = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            ct = np.zeros(us.size)
            if ct_bounds is not None and ct_bounds[j + 1] > ct_bounds[j]:
                a, b = ct_bounds[j], ct_bounds[j + 1]
                ct = _ct_rate_sum(oo[a:b], cs[a:b], cd[a:b], us, ref.t_ref)
            out.append(ClassCurve(
                scores=np.r_[np.inf, us], tp=np.r_[0, tp], fp=np.r_[0, fp], ct=np.r_[0.0, ct], n_ref=int(ref.n_ref[j])
            ))
        return out


def _ct_rate_sum(other: np.ndarray, score: np.ndarray, delta: np.ndarray, grid: np.ndarray, t_ref: np.ndarray
                 ) -> np.ndarray:
    """``sum_k CT_k(t) / max(T_k, 1e-12)`` at each score of ``grid`` (falling) for one class.

    ``(other, score, delta)``: its cross-trigger deltas sorted by other class (then score). The counts
    are integers per other class (a dense ``[classes present, grid]`` table, cumulated as the
    threshold falls); their rates are added row by row in increasing class order (``sum`` over axis 0
    of a C-ordered table is sequential), classes without cross-triggers adding 0.
    """
    ks, row = np.unique(other, return_inverse=True)
    col = np.searchsorted(-grid, -score)  # the grid holds every score where a count changes
    counts = np.zeros((ks.size, grid.size), dtype=np.int64)
    np.add.at(counts, (row, col), delta)
    np.cumsum(counts, axis=1, out=counts)
    return np.sum(counts / np.maximum(t_ref[ks], 1e-12)[:, None], axis=0)
