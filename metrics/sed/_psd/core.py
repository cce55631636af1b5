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
with CSR offsets per ``clip * K + class`` group); :meth:`RefIndex.overlap` sums the overlaps of
many detections with their group's events in one vectorised pass. Users:
:mod:`avbench.metrics.sed._psd.operating_points` (detections at operating points) and
:mod:`avbench.metrics.sed._psd.accum` (score tables at every threshold).

Example:
    >>> from avbench.model import Event
    >>> ref = RefIndex.build({"a": [Event(1.0, 3.0, "dog"), Event(4.0, 5.0, "dog")]}, {"a": 10.0}, ["dog", "cat"])
    >>> total, (q, e, v) = ref.overlap(np.array([0, 0]), np.array([2.0, 6.0]), np.array([4.5, 7.0]), pairs=True)
    >>> total.tolist(), q.tolist(), e.tolist(), v.tolist()
    ([1.5, 0.0], [0, 0], [0, 1], [1.0, 0.5])
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._columns import sorted_unique
from avbench.model import Event

__all__ = ["RefIndex", "check_criteria", "meets"]

_PAIR_CHUNK = 1 << 22  # (query, reference event) pairs evaluated per vectorised pass


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
                f"[{nxt.onset}, {nxt.offset}] overlap; merge them with -o merge_overlaps=true (avbench evaluate) or avbench.metrics.sed.io.merge_overlapping"
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
        # one pass over the events, then a stable sort by (clip, class, onset, offset): the order of
        # sorting each clip's events by (class, onset, offset); a clip whose events fail a check is
        # re-checked event by event for the message (_sorted_checked)
        n_ev = [len(reference.get(c, ())) for c in clips]
        rows = [(e.onset, e.offset, lab.get(e.label, -1)) for c in clips for e in reference.get(c, ())]
        arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
        clip_a = np.repeat(np.arange(len(clips)), n_ev)
        order = np.lexsort((arr[:, 1], arr[:, 0], arr[:, 2], clip_a))
        clip_a, arr = clip_a[order], arr[order]
        on_a, off_a, cl = arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].astype(np.int64)
        bad = cl < 0
        bad[1:] |= (clip_a[1:] == clip_a[:-1]) & (cl[1:] == cl[:-1]) & (on_a[1:] < off_a[:-1])
        if bad.any():
            clip = clips[int(clip_a[np.argmax(bad)])]
            _sorted_checked(reference[clip], clip, "reference", lab)
        grp_a = clip_a * k + cl
        start = np.zeros(len(clips) * k + 1, dtype=np.int64)
        np.add.at(start, grp_a + 1, 1)
        np.cumsum(start, out=start)
        cls_a = cl
        has = np.diff(start) > 0
        cc = np.flatnonzero(has)
        ccs = np.zeros(len(clips) + 1, dtype=np.int64)
        np.add.at(ccs, cc // k + 1, 1)
        np.cumsum(ccs, out=ccs)
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

    def event_clip(self) -> np.ndarray:
        """int ``[E]``: the clip index of each reference event."""
        return np.repeat(np.arange(self.start.size - 1) // self.k, np.diff(self.start))

    def fingerprint(self) -> bytes:
        """Digest of everything counts depend on (clips, labels, events, durations): a cache key."""
        h = hashlib.blake2b(repr((self.clips, self.labels)).encode(), digest_size=16)
        for a in (self.on, self.off, self.cls, self.start, self.clip_dur):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.digest()

    def overlap(
        self, group: np.ndarray, a: np.ndarray, b: np.ndarray, *, pairs: bool = False,
        scale: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
        """``sum_g |[a, b) ∩ g|`` over the reference events of each query's group.

        Args:
            group: int ``[Q]`` ``clip * K + class``; a, b: float ``[Q]`` interval bounds in seconds.
            pairs: also return ``(query, event, overlap)`` for every positive overlap, ordered by
                query, then event.
            scale: divide each overlap by ``scale[query]`` before summing (psds_eval's ratios).
        """
        total = np.zeros(a.size)
        first = self.start[group]
        count = self.start[group + 1] - first
        sel = np.flatnonzero(count)
        n = count[sel]
        pq, pe, pv = [], [], []
        # every (query, event of its group) pair, in chunks of about _PAIR_CHUNK pairs; per query
        # the events come in order, so bincount adds the same terms in the same order as a loop
        ends = np.searchsorted(np.cumsum(n), np.arange(1, n.sum() // _PAIR_CHUNK + 2) * _PAIR_CHUNK, side="right")
        lo = 0
        for hi in sorted_unique(np.r_[ends, sel.size]):
            if hi <= lo:
                continue
            s_, n_ = sel[lo:hi], n[lo:hi]
            q = np.repeat(s_, n_)
            e = np.repeat(first[s_] - np.cumsum(n_) + n_, n_) + np.arange(q.size)
            ov = np.minimum(b[q], self.off[e]) - np.maximum(a[q], self.on[e])
            np.maximum(ov, 0.0, out=ov)
            total += np.bincount(q, weights=ov if scale is None else ov / scale[q], minlength=a.size)
            if pairs:
                hit = ov > 0
                pq.append(q[hit])
                pe.append(e[hit])
                pv.append(ov[hit])
            lo = hi
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
