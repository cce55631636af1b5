"""Intersection counts at every operating point, each distinct detection evaluated once.

psds_eval 0.5.3 semantics (``PSDSEval.add_operating_point``), with the criteria of
:mod:`avbench.metrics.sed._psd.core`. Speed-relevant design (DESED validation scale, 50 operating
points, 2 M detections of which 1.15 M are distinct):

- :class:`OpGeometry` is built once per (detections, reference) and kept on the predictions: it
  maps the :class:`~avbench.metrics.sed._detections.DetectionColumns` to reference clip/class
  indices, checks same-class overlaps per operating point (one integer sort), drops detections
  in padding, and computes every distinct detection's overlaps with its own class's reference
  events once (PSDS1 and PSDS2 share all of it);
- :meth:`OpGeometry.counts` applies one criterion set: DTC per distinct detection, then per
  operating point only integer gathers and ``bincount``: FP by counting occurrences, TP by
  summing each reference event's coverage over the occurrences (pairs expanded occurrence by
  occurrence), cross-triggers from the overlaps of the distinct DTC failures with the other
  classes' reference.

Coverage sums add the same numbers in the same order as a per-operating-point evaluation
(detections in input order), so ``time_decimals=None`` reproduces psds_eval's float ratios bit for
bit (``tests/test_desed_reproduction.py``).

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed._detections import DetectionColumns
    >>> ref = RefIndex.build({"a": [Event(1.0, 3.0, "dog")]}, {"a": 10.0}, ["dog", "cat"])
    >>> ops = {0.2: {"a": [Event(1.5, 3.5, "dog"), Event(5.0, 6.0, "cat")]}, 0.8: {"a": [Event(1.5, 3.5, "dog")]}}
    >>> geo = OpGeometry.build(ref, DetectionColumns.from_events(ops))
    >>> c = geo.counts(dtc=0.5, gtc=0.5, cttc=0.3)
    >>> c.tp.tolist(), c.fp.tolist()
    ([[1, 0], [1, 0]], [[0, 1], [0, 0]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.core import RefIndex, meets
from avbench.metrics.sed._detections import DetectionColumns
from avbench.model import Event

__all__ = ["OpCounts", "OpGeometry", "op_counts"]


@dataclass(frozen=True)
class OpCounts:
    """Counts per operating point: ``tp``/``fp``/``n_det`` ``[P, K]``, cross-triggers ``ct[P, K, K]``."""

    tp: np.ndarray
    fp: np.ndarray
    ct: np.ndarray
    n_det: np.ndarray
    n_pad: int = 0  #: detections ignored because they start at or after their clip's end


def _expand(count: np.ndarray, take: np.ndarray, occ_uid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(occurrence, item)`` for the items of each occurrence's detection.

    Items are stored by detection (``count[u]`` of them for detection ``u``, CSR); of detection
    ``u`` the first ``take[u]`` (0 or all) are used. Occurrence-major, so the entries of one bin
    summed by ``bincount`` come in occurrence (input) order.
    """
    start = np.zeros(count.size + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    n = take[occ_uid]
    sel = np.flatnonzero(n)
    n = n[sel]
    occ = np.repeat(sel, n)
    within = np.arange(occ.size) - np.repeat(np.cumsum(n) - n, n)
    return occ, start[occ_uid[occ]] + within


@dataclass(frozen=True, eq=False)
class OpGeometry:
    """What the operating-point counts need that does not depend on the criteria (module docstring).

    Attributes:
        ref: the reference index; n_ops: number of operating points.
        clip, cls, on, off: ``[U]`` distinct detections starting inside their clip (ref indices).
        occ_op, occ_uid: ``[N]`` their occurrences, in input order.
        n_det: ``[P, K]`` detections per operating point and class (padding included).
        n_pad: occurrences starting at or after their clip's end (ignored, as psds_eval does).
        pq, pe, pv: every positive overlap (detection, reference event, seconds), by detection then event.
        own: ``[U]`` summed overlap with the own class's reference (seconds).
    """

    ref: RefIndex
    n_ops: int
    clip: np.ndarray
    cls: np.ndarray
    on: np.ndarray
    off: np.ndarray
    occ_op: np.ndarray
    occ_uid: np.ndarray
    n_det: np.ndarray
    n_pad: int
    pq: np.ndarray
    pe: np.ndarray
    pv: np.ndarray
    own: np.ndarray

    @classmethod
    def build(cls, ref: RefIndex, cols: DetectionColumns) -> OpGeometry:
        """Map ``cols`` onto ``ref`` and compute the criterion-free parts.

        Raises:
            InputError: a clip outside the evaluation set, a label outside the task labels, or two
                overlapping same-class detections at one operating point.
        """
        k = ref.k
        cpos = np.array([ref.clip_pos.get(c, -1) for c in cols.clips], dtype=np.int64)
        if (cpos < 0).any():
            bad = cols.clips[int(np.flatnonzero(cpos < 0)[0])]
            raise InputError(f"detections for clip {bad!r}, which is not in the evaluation set (durations); "
                             "remove it or add its duration")
        lab = {name: i for i, name in enumerate(ref.labels)}
        lpos = np.array([lab.get(n, -1) for n in cols.labels], dtype=np.int64)
        if lpos.size and (lpos[cols.cls] < 0).any():
            bad = cols.labels[int(cols.cls[np.flatnonzero(lpos[cols.cls] < 0)[0]])]
            raise InputError(f"detections: event label {bad!r} is not one of the task labels")
        clip = cpos[cols.clip] if cpos.size else cols.clip
        kls = lpos[cols.cls] if lpos.size else cols.cls
        on, off, op, uid = cols.onset, cols.offset, cols.op, cols.uid
        n_ops = len(cols.thresholds)
        _check_overlaps(ref, clip * k + kls, clip, kls, on, off, op, uid)
        n_det = np.bincount(op * k + kls[uid], minlength=n_ops * k).reshape(n_ops, k)
        inside = on < ref.clip_dur[clip]
        n_pad = int(np.count_nonzero(~inside[uid]))
        if not inside.all():
            keep = inside[uid]
            remap = np.cumsum(inside) - 1
            op, uid = op[keep], remap[uid[keep]]
            clip, kls, on, off = clip[inside], kls[inside], on[inside], off[inside]
        own, (pq, pe, pv) = ref.overlap(clip * k + kls, on, off, pairs=True)  # by detection, then event
        return cls(ref, n_ops, clip, kls, on, off, op, uid, n_det, n_pad, pq, pe, pv, own)

    def counts(self, *, dtc: float, gtc: float, cttc: float | None, time_decimals: int | None = 6,
               by_clip: bool = False) -> OpCounts:
        """TP / FP / cross-trigger counts of every operating point (psds_eval's confusion matrix).

        ``tp[o, c]`` counts reference events of ``c`` meeting GTC; ``fp[o, c]`` detections of ``c``
        failing DTC; ``ct[o, c, k]`` detections of ``c`` failing DTC and meeting CTTC on class
        ``k`` (zero when ``cttc`` is None). ``time_decimals=None`` compares unrounded sums of
        ratios, exactly as psds_eval does. ``by_clip``: ``tp``/``fp``/``ct`` get a leading clip
        axis (``[n_clips, P, K(, K)]``, summing to the totals), for bootstrap resampling.
        """
        ref, k, n_ops, n_ev = self.ref, self.ref.k, self.n_ops, self.ref.on.size
        m = len(ref.clips) if by_clip else 1
        shape = (m, n_ops, k) if by_clip else (n_ops, k)
        raw = time_decimals is None
        length = self.off - self.on
        own = np.bincount(self.pq, weights=self.pv / length[self.pq], minlength=length.size) if raw else self.own
        dtc_ok = meets(own, dtc, length, time_decimals)
        ok_occ = dtc_ok[self.occ_uid]
        bad = ~ok_occ
        pre = self.clip[self.occ_uid[bad]] * n_ops if by_clip else 0
        fp = np.bincount((pre + self.occ_op[bad]) * k + self.cls[self.occ_uid[bad]], minlength=m * n_ops * k).reshape(shape)
        # TP: coverage of each reference event at each operating point by the DTC detections there
        n_pairs = np.bincount(self.pq, minlength=length.size)
        occ, p = _expand(n_pairs, n_pairs * dtc_ok, self.occ_uid)
        e = self.pe[p]
        glen = ref.off - ref.on
        cover = np.bincount(self.occ_op[occ] * n_ev + e, weights=self.pv[p] / glen[e] if raw else self.pv[p],
                            minlength=n_ops * n_ev).reshape(n_ops, n_ev)
        crit_len = np.ones(n_ev) if raw else glen
        o_idx, e_idx = np.nonzero(meets(cover, gtc, crit_len[None, :], time_decimals) & (cover > 0))
        pre = ref.event_clip()[e_idx] * n_ops if by_clip else 0
        tp = np.bincount((pre + o_idx) * k + ref.cls[e_idx], minlength=m * n_ops * k).reshape(shape)
        ct = np.zeros(m * n_ops * k * k, dtype=np.int64)
        if cttc is not None:
            fail = np.flatnonzero(~dtc_ok)
            item, kk = ref.other_classes(self.clip[fail], self.cls[fail])
            d = fail[item]
            inter, _ = ref.overlap(self.clip[d] * k + kk, self.on[d], self.off[d], scale=length[d] if raw else None)
            hit = meets(inter, cttc, length[d], time_decimals)
            hk = kk[hit]
            n_hits = np.bincount(d[hit], minlength=length.size)
            occ, p = _expand(n_hits, n_hits, self.occ_uid)
            pre = self.clip[self.occ_uid[occ]] * n_ops if by_clip else 0
            ct = np.bincount(((pre + self.occ_op[occ]) * k + self.cls[self.occ_uid[occ]]) * k + hk[p],
                             minlength=m * n_ops * k * k)
        return OpCounts(tp=tp, fp=fp, ct=ct.reshape(*shape, k), n_det=self.n_det)


def _check_overlaps(ref: RefIndex, g, clip, kls, on, off, op, uid) -> None:
    """Refuse two same-class detections of one clip that overlap at one operating point.

    Exact duplicate rows (same clip, class, onset and offset) are accepted and each counts, as in
    psds_eval 0.5.3 (its intersection check skips identical rows): two copies of a hit add their
    overlaps to the reference event's coverage, two copies of a false alarm are two false positives.

    Distinct detections are sorted by (clip, class, onset) (:class:`DetectionColumns`), so after
    sorting the occurrences by (operating point, detection) -- usually already the input order --
    only neighbours need comparing.
    """
    if uid.size < 2:
        return
    key = op * on.size + uid
    if (key[1:] >= key[:-1]).all():
        s, s_op = uid, op
    else:
        order = np.argsort(key)
        s, s_op = uid[order], op[order]
    a, b = s[1:], s[:-1]
    bad = (s_op[1:] == s_op[:-1]) & (g[a] == g[b]) & (on[a] < off[b]) & (a != b)  # exact duplicates: accepted
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        x, y = b[i], a[i]
        raise InputError(
            f"detections clip {ref.clips[clip[x]]!r}: same-class events {ref.labels[kls[x]]!r} [{on[x]}, {off[x]}] and "
            f"[{on[y]}, {off[y]}] overlap; merge them with -o merge_overlaps=true (avbench evaluate) or avbench.metrics.sed.io.merge_overlapping"
        )


def op_counts(ref: RefIndex, detections: Mapping[str, Sequence[Event]], **criteria) -> OpCounts:
    """:meth:`OpGeometry.counts` of a single set of detections, as ``[K]`` / ``[K, K]`` arrays.

    Example:
        >>> ref = RefIndex.build({"a": [Event(1.0, 3.0, "dog")]}, {"a": 10.0}, ["dog", "cat"])
        >>> c = op_counts(ref, {"a": [Event(1.5, 3.5, "dog"), Event(5.0, 6.0, "cat")]}, dtc=0.5, gtc=0.5, cttc=0.3)
        >>> c.tp.tolist(), c.fp.tolist()
        ([1, 0], [0, 1])
    """
    geo = OpGeometry.build(ref, DetectionColumns.from_events({0.0: detections}))
    c = geo.counts(**criteria)
    return OpCounts(tp=c.tp[0], fp=c.fp[0], ct=c.ct[0], n_det=c.n_det[0], n_pad=geo.n_pad)
