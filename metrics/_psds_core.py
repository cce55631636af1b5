"""Intersection-based detection statistics (Bilen et al., ICASSP 2020): the shared engine.

For a detection ``d`` of class ``c`` in a clip, with length ``L = offset - onset``:

- DTC: ``sum_g |d ∩ g| >= dtc * L`` over reference events ``g`` of class ``c`` in the clip;
- a reference event ``g`` is a true positive when ``sum_d |d ∩ g| >= gtc * |g|`` over the
  DTC-satisfying detections ``d`` of its class;
- a detection failing DTC is a false positive; it is also a cross-trigger on class ``k != c`` when
  ``sum_g |d ∩ g| >= cttc * L`` over reference events of class ``k``.

Both sides of every comparison are rounded to ``time_decimals`` (6: microseconds) first, as
sed_scores_eval does, so an intersection exactly at a criterion counts the same on every machine
(psds_eval compares unrounded float ratios; the two differ only within float error of a tie).

:class:`RefIndex` holds the reference in flat arrays (events sorted by ``(clip, class, onset)``
with CSR offsets per ``clip * K + class`` group). :func:`op_counts` evaluates one set of
detections; :func:`score_deltas` evaluates score tables at every threshold (via
:mod:`avbench.metrics._sed_nodes`) and returns the *changes* of the counts at the scores where
they change, to be summed over clips (:mod:`avbench.metrics._psds_accum`).

Example:
    >>> from avbench.model import Event
    >>> ref = RefIndex.build({"a": [Event(1.0, 3.0, "dog")]}, {"a": 10.0}, ["dog", "cat"])
    >>> c = op_counts(ref, {"a": [Event(1.5, 3.5, "dog"), Event(5.0, 6.0, "cat")]},
    ...               dtc=0.5, gtc=0.5, cttc=0.3)
    >>> c.tp.tolist(), c.fp.tolist()
    ([1, 0], [0, 1])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from avbench.errors import InputError
from avbench.model import Event

__all__ = ["RefIndex", "OpCounts", "DetArrays", "multi_op_counts", "op_counts", "check_criteria", "meets"]


def check_criteria(dtc: float, gtc: float, cttc: float | None) -> None:
    """Refuse criteria outside ``(0, 1]`` (a zero criterion would make every detection match)."""
    for name, v in (("dtc", dtc), ("gtc", gtc), ("cttc", cttc)):
        if v is None and name == "cttc":
            continue
        if not isinstance(v, (int, float)) or not 0.0 < float(v) <= 1.0:
            raise InputError(f"intersection criteria: {name} must be a number in (0, 1], got {v!r}")


def _sorted_checked(events: Sequence[Event], clip: str, what: str, labels: Mapping[str, int]) -> list[Event]:
    evs = sorted(events, key=lambda e: (labels.get(e.label, -1), e.onset, e.offset))
    for e in evs:
        if e.label not in labels:
            raise InputError(
                f"{what} clip {clip!r}: event label {e.label!r} is not one of the {len(labels)} task labels"
            )
    for prev, nxt in zip(evs, evs[1:]):
        if prev.label == nxt.label and nxt.onset < prev.offset:
            raise InputError(
                f"{what} clip {clip!r}: same-class events {prev.label!r} [{prev.onset}, {prev.offset}] and "
                f"[{nxt.onset}, {nxt.offset}] overlap; merge them first (avbench.metrics._sed_io.merge_overlapping)"
            )
    return evs


@dataclass(frozen=True)
class RefIndex:
    """The reference of one evaluation in flat arrays.

    Attributes:
        clips: clip ids (the evaluation set: the keys of ``durations``); labels: the K classes.
        on, off, cls: float/float/int ``[E]`` reference events sorted by ``(clip, class, onset)``.
        start: int ``[n_clips * K + 1]`` CSR offsets of the ``clip * K + class`` groups into the events.
        clip_cls_start, clip_cls: CSR list of the classes with reference events in each clip.
        n_ref: int ``[K]`` events per class; t_ref: float ``[K]`` seconds of reference per class.
        duration: total seconds of all clips.
    """

    clips: tuple[str, ...]
    clip_pos: Mapping[str, int]
    labels: tuple[str, ...]
    on: np.ndarray
    off: np.ndarray
    cls: np.ndarray
    start: np.ndarray
    clip_cls_start: np.ndarray
    clip_cls: np.ndarray
    n_ref: np.ndarray
    t_ref: np.ndarray
    duration: float
    clip_dur: np.ndarray

    @classmethod
    def build(
        cls, reference: Mapping[str, Sequence[Event]], durations: Mapping[str, float], labels: Sequence[str]
    ) -> RefIndex:
        """Index ``reference`` over the clips of ``durations``.

        Raises:
            InputError: a reference clip without a duration, a label outside ``labels``, or
                overlapping same-class reference events (touching ones are two events).
        """
        labels = tuple(labels)
        if not labels or len(set(labels)) != len(labels):
            raise InputError(f"intersection metrics: labels must be non-empty and unique, got {labels!r}")
        lab = {name: i for i, name in enumerate(labels)}
        clips = tuple(durations)
        if not clips:
            raise InputError("intersection metrics: durations list no clips; give a duration for every clip")
        pos = {c: i for i, c in enumerate(clips)}
        for clip in reference:
            if clip not in pos:
                raise InputError(
                    f"reference clip {clip!r} has no duration; add it to the durations file (filename<TAB>duration)"
                )
        k = len(labels)
        on, off, cl, grp = [], [], [], []
        for clip in clips:
            for e in _sorted_checked(reference.get(clip, ()), clip, "reference", lab):
                on.append(e.onset)
                off.append(e.offset)
                cl.append(lab[e.label])
                grp.append(pos[clip] * k + lab[e.label])
        grp_a = np.asarray(grp, dtype=np.int64)
        start = np.zeros(len(clips) * k + 1, dtype=np.int64)
        np.add.at(start, grp_a + 1, 1)
        np.cumsum(start, out=start)
        cls_a = np.asarray(cl, dtype=np.int64)
        has = np.diff(start) > 0
        cc = np.flatnonzero(has)
        ccs = np.zeros(len(clips) + 1, dtype=np.int64)
        np.add.at(ccs, cc // k + 1, 1)
        np.cumsum(ccs, out=ccs)
        on_a, off_a = np.asarray(on, dtype=np.float64), np.asarray(off, dtype=np.float64)
        return cls(
            clips=clips,
            clip_pos=pos,
            labels=labels,
            on=on_a,
            off=off_a,
            cls=cls_a,
            start=start,
            clip_cls_start=ccs,
            clip_cls=cc % k,
            n_ref=np.bincount(cls_a, minlength=k),
            t_ref=np.bincount(cls_a, weights=off_a - on_a, minlength=k),
            duration=float(sum(float(durations[c]) for c in clips)),
            clip_dur=np.array([float(durations[c]) for c in clips]),
        )

    @property
    def k(self) -> int:
        return len(self.labels)

    def overlap(
        self, group: np.ndarray, a: np.ndarray, b: np.ndarray, *, pairs: bool = False,
        scale: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
        """``sum_g |[a, b) ∩ g|`` over the reference events of each query's group.

        Args:
            group: int ``[Q]`` ``clip * K + class``; a, b: float ``[Q]`` interval bounds in seconds.
            pairs: also return ``(query, event, overlap)`` for every positive overlap.
            scale: divide each overlap by ``scale[query]`` before summing (psds_eval's ratios).
        """
        total = np.zeros(a.size)
        first = self.start[group]
        count = self.start[group + 1] - first
        idx = np.flatnonzero(count > 0)
        pq, pe, pv = [], [], []
        j = 0
        while idx.size:
            e = first[idx] + j
            ov = np.minimum(b[idx], self.off[e]) - np.maximum(a[idx], self.on[e])
            np.maximum(ov, 0.0, out=ov)
            total[idx] += ov if scale is None else ov / scale[idx]
            if pairs:
                hit = ov > 0
                pq.append(idx[hit])
                pe.append(e[hit])
                pv.append(ov[hit])
            j += 1
            idx = idx[count[idx] > j]
        if not pairs:
            return total, None
        cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt))
        return total, (cat(pq, np.int64), cat(pe, np.int64), cat(pv, np.float64))

    def other_classes(self, clip_idx: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(item, k)`` for every class ``k != own[item]`` with reference events in ``clip_idx[item]``."""
        s0 = self.clip_cls_start[clip_idx]
        n = self.clip_cls_start[clip_idx + 1] - s0
        item = np.repeat(np.arange(clip_idx.size), n)
        offs = np.arange(item.size) - np.repeat(np.cumsum(n) - n, n)
        kk = self.clip_cls[s0[item] + offs]
        keep = kk != own[item]
        return item[keep], kk[keep]


def meets(value: np.ndarray, criterion: float, length: np.ndarray, decimals: int | None) -> np.ndarray:
    """``round(value) >= round(criterion * length)`` elementwise, both rounded to ``decimals``.

    With ``decimals=None`` ``value`` is already a sum of ratios and is compared with ``criterion``.
    """
    if decimals is None:
        return value >= criterion
    return np.round(value, decimals) >= np.round(criterion * length, decimals)


@dataclass(frozen=True)
class OpCounts:
    """Counts of one operating point: ``tp``/``fp``/``n_det`` ``[K]`` and cross-triggers ``ct[K, K]``."""

    tp: np.ndarray
    fp: np.ndarray
    ct: np.ndarray
    n_det: np.ndarray


@dataclass(frozen=True)
class DetArrays:
    """Detections of ``n_ops`` operating points as columns: op, clip index, class, onset, offset."""

    op: np.ndarray
    clip: np.ndarray
    cls: np.ndarray
    on: np.ndarray
    off: np.ndarray
    n_ops: int

    @classmethod
    def from_events(cls, ref: RefIndex, ops: Sequence[Mapping[str, Sequence[Event]]]) -> DetArrays:
        """Columns of ``[{clip: [Event]}, ...]``; refuses unknown clips/labels and same-class overlaps."""
        lab = {name: i for i, name in enumerate(ref.labels)}
        cp = ref.clip_pos
        opi, ci, counts, flat = [], [], [], []
        for o, op in enumerate(ops):
            for clip, evs in op.items():
                if clip not in cp:
                    raise InputError(
                        f"detections for clip {clip!r}, which is not in the evaluation set (durations); "
                        "remove it or add its duration"
                    )
                opi.append(o)
                ci.append(cp[clip])
                counts.append(len(evs))
                flat.extend(evs)
        n = len(flat)
        try:
            cl = np.fromiter(map(lab.__getitem__, map(attrgetter("label"), flat)), dtype=np.int64, count=n)
        except KeyError as exc:
            raise InputError(f"detections: event label {exc.args[0]!r} is not one of the task labels") from None
        on = np.fromiter(map(attrgetter("onset"), flat), dtype=np.float64, count=n)
        off = np.fromiter(map(attrgetter("offset"), flat), dtype=np.float64, count=n)
        rep = np.asarray(counts, dtype=np.int64)
        d = cls(np.repeat(np.asarray(opi, dtype=np.int64), rep), np.repeat(np.asarray(ci, dtype=np.int64), rep),
                cl, on, off, len(ops))
        d.check_overlaps(ref)
        return d

    def check_overlaps(self, ref: RefIndex) -> None:
        key = (self.op * len(ref.clips) + self.clip) * ref.k + self.cls
        order = np.lexsort([self.on, key])
        g, a, b = key[order], self.on[order], self.off[order]
        bad = (g[1:] == g[:-1]) & (a[1:] < b[:-1])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            c, k = self.clip[order], self.cls[order]
            raise InputError(
                f"detections clip {ref.clips[c[i]]!r}: same-class events {ref.labels[k[i]]!r} [{a[i]}, {b[i]}] and "
                f"[{a[i + 1]}, {b[i + 1]}] overlap; merge them first (avbench.metrics._sed_io.merge_overlapping)"
            )


def multi_op_counts(
    ref: RefIndex,
    det: DetArrays,
    *,
    dtc: float,
    gtc: float,
    cttc: float | None,
    time_decimals: int | None = 6,
) -> OpCounts:
    """TP / FP / cross-trigger counts of every operating point at once (psds_eval's confusion matrix).

    ``tp[o, c]`` counts reference events of ``c`` meeting GTC; ``fp[o, c]`` detections of ``c``
    failing DTC; ``ct[o, c, k]`` detections of ``c`` failing DTC and meeting CTTC on class ``k``
    (zero when ``cttc`` is None). A detection that starts at or after its clip's end lies in
    padding and is ignored (psds_eval: it meets no part of the clip). ``time_decimals=None``
    compares unrounded sums of ratios, exactly as psds_eval does.
    """
    k, n_ops, n_ev = ref.k, det.n_ops, ref.on.size
    inside = det.on < ref.clip_dur[det.clip]
    op, ci, cl, on, off = (x[inside] for x in (det.op, det.clip, det.cls, det.on, det.off))
    length = off - on
    raw = time_decimals is None
    own, (pq, pe, pv) = ref.overlap(ci * k + cl, on, off, pairs=True, scale=length if raw else None)
    dtc_ok = meets(own, dtc, length, time_decimals)
    fp = np.bincount(op[~dtc_ok] * k + cl[~dtc_ok], minlength=n_ops * k).reshape(n_ops, k)
    keep = dtc_ok[pq]
    glen = ref.off - ref.on
    key = op[pq[keep]] * n_ev + pe[keep]
    val = pv[keep] / glen[pe[keep]] if raw else pv[keep]
    cover = np.bincount(key, weights=val, minlength=n_ops * n_ev)
    crit_len = np.ones(n_ev) if raw else glen
    tp_ev = (meets(cover.reshape(n_ops, n_ev), gtc, crit_len[None, :], time_decimals) & (cover.reshape(n_ops, n_ev) > 0))
    o_idx, e_idx = np.nonzero(tp_ev)
    tp = np.bincount(o_idx * k + ref.cls[e_idx], minlength=n_ops * k).reshape(n_ops, k)
    ct = np.zeros(n_ops * k * k, dtype=np.int64)
    if cttc is not None:
        bad = np.flatnonzero(~dtc_ok)
        item, kk = ref.other_classes(ci[bad], cl[bad])
        d = bad[item]
        inter, _ = ref.overlap(ci[d] * k + kk, on[d], off[d], scale=length[d] if raw else None)
        hit = meets(inter, cttc, length[d], time_decimals)
        ct = np.bincount(((op[d] * k + cl[d]) * k + kk)[hit], minlength=n_ops * k * k)
    n_det = np.bincount(det.op * k + det.cls, minlength=n_ops * k).reshape(n_ops, k)
    return OpCounts(tp=tp, fp=fp, ct=ct.reshape(n_ops, k, k), n_det=n_det)


def op_counts(ref: RefIndex, detections: Mapping[str, Sequence[Event]], **criteria) -> OpCounts:
    """:func:`multi_op_counts` of a single set of detections, as ``[K]`` / ``[K, K]`` arrays."""
    c = multi_op_counts(ref, DetArrays.from_events(ref, [detections]), **criteria)
    return OpCounts(tp=c.tp[0], fp=c.fp[0], ct=c.ct[0], n_det=c.n_det[0])
