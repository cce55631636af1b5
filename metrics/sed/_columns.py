"""Columnar event arrays for fast SED scoring, and the input preparation every SED metric shares.

:class:`EventColumns` holds the events of many clips as flat numpy arrays (clip index, class
index, onset, offset), sorted by clip then onset, so metrics run as a few vectorised passes over
thousands of clips instead of Python loops per clip.

:func:`prepare` turns ``compute`` arguments (reference dict, :class:`SedPredictions`, durations,
labels) into reference/prediction columns and applies the shared policies:

- evaluated clips = reference clips plus clips listed only in ``durations`` (clips without
  events); a predicted clip outside them is an error;
- a reference clip absent from the predictions is an error unless ``allow_missing=True`` (then it
  is scored as empty and flagged);
- overlapping / touching same-class reference events are merged with a flag (``strict=True``:
  error; ``merge_reference=False``: kept as given, as sed_eval does);
- an event label outside ``labels`` is an error naming the clip;
- zero-length events (:class:`~avbench.metrics.sed._zero_length.ZeroLengthEvent`, only where a reader
  was asked to keep them) are dropped with a flag giving their count, or kept (``zero_length="keep"``,
  sed_eval's rule; they then bypass the reference merge);
- detections that start at or after their clip's duration (padding) are ignored with a flag, or kept
  (``padding="keep"``: sed_eval, which knows no durations in its event-based metrics and cuts only
  segments past the evaluated length).

Times can be quantised to ``time_decimals`` (:func:`ticks`): comparisons then run on exact
integers (``round(t * 10**d)``), so an onset error exactly equal to the collar counts the same on
every machine.

Example:
    >>> from avbench.model import Event
    >>> cols = EventColumns.from_events({"b": [Event(2, 3, "y")], "a": [Event(1, 2, "x")]}, ["a", "b"], ["x", "y"])
    >>> cols.clip.tolist(), cols.cls.tolist(), cols.bounds().tolist()
    ([0, 1], [0, 1], [0, 1, 2])
    >>> ticks(np.array([0.19999999999999996, 0.2000000000000001]), 6).tolist()
    [200000.0, 200000.0]
"""

from __future__ import annotations

import itertools
import operator

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed.io import SedPredictions, merge_overlapping
from avbench.model import Event

__all__ = ["EventColumns", "EventMap", "Prepared", "prepare", "sorted_unique", "ticks", "PADDING"]

PADDING = ("ignore", "keep")
"""Accepted values of ``padding`` (:func:`prepare`): detections starting at or after the clip's end."""


def ticks(t: np.ndarray, time_decimals: int | None) -> np.ndarray:
    """Times as exact integer ticks of ``10**-time_decimals`` s (float64), or unchanged for ``None``."""
    if time_decimals is None:
        return np.asarray(t, dtype=np.float64)
    return np.rint(np.asarray(t, dtype=np.float64) * 10.0**time_decimals)


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` of a 1-D array, by sorting (numpy 2.4's ``np.unique`` hashes, which is slower on
    these int arrays, and imports ``numpy.ma`` on first use: a start-up cost on the command line).

    Example:
        >>> sorted_unique(np.array([3, 1, 3, 2, 1])).tolist()
        [1, 2, 3]
    """
    x = np.sort(np.asarray(x).ravel())
    keep = np.ones(x.size, dtype=bool)
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


_LABEL, _ONSET, _OFFSET = (operator.attrgetter(n) for n in ("label", "onset", "offset"))

@dataclass(frozen=True)
class EventColumns:
    """Events of ``clips`` as flat arrays sorted by (clip, onset, offset, class).

    Attributes:
        clips: clip ids; ``clip`` indexes into it.
        labels: class names; ``cls`` indexes into it.
        clip, cls: int64 ``[N]``.
        onset, offset: float64 ``[N]`` seconds.
        rank: int64 ``[N]``, each event's position among its clip's events as they were given (input
            order, which sed_eval's greedy substitution count depends on); ``None`` when unknown.
    """

    clips: tuple[str, ...]
    labels: tuple[str, ...]
    clip: np.ndarray
    cls: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    rank: np.ndarray | None = None

    @classmethod
    def from_events(
        cls, events: Mapping[str, Sequence[Event]], clips: Sequence[str], labels: Sequence[str], *, what: str = "events"
    ) -> EventColumns:
        """Build from ``{clip: events}``; clips not in ``clips`` are ignored, unknown labels refused."""
        index = {name: i for i, name in enumerate(labels)}
        lists = [events.get(cid) or () for cid in clips]
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        flat = list(itertools.chain.from_iterable(lists))
        n = len(flat)
        try:
            k = np.fromiter(map(index.__getitem__, map(_LABEL, flat)), dtype=np.int64, count=n)
        except KeyError as exc:
            at = next(j for j, ev in enumerate(flat) if ev.label not in index)
            clip = clips[int(np.searchsorted(np.cumsum(counts), at, side="right"))]
            raise InputError(
                f"{what} clip {clip!r}: event label {exc.args[0]!r} is not in the label set "
                f"({', '.join(labels)}); fix the label or pass the full label set"
            ) from None
        c = np.repeat(np.arange(len(clips), dtype=np.int64), counts)
        o = np.fromiter(map(_ONSET, flat), dtype=np.float64, count=n)
        f = np.fromiter(map(_OFFSET, flat), dtype=np.float64, count=n)
        order = np.lexsort((k, f, o, c))
        rank = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)  # index within its clip
        return cls(tuple(clips), tuple(labels), c[order], k[order], o[order], f[order], rank[order])

    def bounds(self) -> np.ndarray:
        """int64 ``[n_clips + 1]``: events of clip ``i`` are ``bounds[i]:bounds[i+1]``."""
        return np.searchsorted(self.clip, np.arange(len(self.clips) + 1), side="left")

    def max_offset(self) -> np.ndarray:
        """float64 ``[n_clips]``: the latest offset per clip (0 for a clip without events)."""
        out = np.zeros(len(self.clips))
        np.maximum.at(out, self.clip, self.offset)
        return out


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` returns: the evaluated clips, both sides as columns, and flags."""

    clips: tuple[str, ...]
    reference: EventColumns
    predicted: EventColumns
    durations: np.ndarray  # float64 [n_clips], NaN where unknown
    flags: tuple[str, ...]
    n_missing: int


class EventMap(Mapping[str, tuple[Event, ...]]):
    """A read-only ``{clip: events}`` (tuples of frozen :class:`Event`) whose prepared forms are kept.

    :func:`prepare` stores what it derives from such a reference (the merged events, the
    columns) on the object, so several metrics scored on the same inputs (``avbench evaluate -m
    segment_f1,event_f1``, a reference profile's value beside avbench's) derive them once; nothing
    can change the mapping or its events, so a kept form cannot go stale.

    Example:
        >>> ref = EventMap({"a": [Event(0, 1, "x")]})
        >>> ref["a"], len(ref), dict(ref) == {"a": (Event(0, 1, "x"),)}
        ((Event(onset=0.0, offset=1.0, label='x', azimuth=None, elevation=None, distance=None, track=None, onscreen=None),), 1, True)
    """

    __slots__ = ("_data", "_kept")

    def __init__(self, events: Mapping[str, Sequence[Event]]) -> None:
        self._data = {k: tuple(v) for k, v in events.items()}
        self._kept: dict = {}

    def __getitem__(self, clip: str) -> tuple[Event, ...]:
        return self._data[clip]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, clip: object) -> bool:
        return clip in self._data

    def __repr__(self) -> str:
        return f"EventMap({self._data!r})"


def _kept(store: dict | None, key: tuple, make):
    """``make()``, kept in ``store`` under ``key`` (``store`` ``None``: not kept)."""
    if store is None:
        return make()
    if key not in store:
        store[key] = make()
    return store[key]


def prepare(
    reference: Mapping[str, Sequence[Event]],
    predictions: SedPredictions | Mapping[str, Sequence[Event]],
    *,
    labels: Sequence[str],
    durations: Mapping[str, float] | None,
    threshold: float,
    strict: bool,
    merge_reference: bool,
    allow_missing: bool,
    time_decimals: int | None,
    zero_length: str = "drop",
    padding: str = "ignore",
) -> Prepared:
    """Apply the shared SED input policies (module docstring) and build columns.

    What is derived from a :class:`SedPredictions` (its events within the durations, their
    columns) is kept on it, and what is derived from an :class:`EventMap` reference (merged
    events, columns) on that, keyed by every argument it depends on: a second metric on the same
    objects reuses them. Errors, flags and warnings are the same on every call.
    """
    from avbench.metrics.sed._zero_length import ZERO_LENGTH, ZeroLengthEvent, split_zero_length

    if zero_length not in ZERO_LENGTH:
        raise InputError(f"zero_length must be one of {', '.join(ZERO_LENGTH)}, got {zero_length!r}")
    if padding not in PADDING:
        raise InputError(f"padding must be one of {', '.join(PADDING)}, got {padding!r}")
    if not labels:
        raise InputError("SED metrics need a non-empty label set")
    if len(set(labels)) != len(labels):
        raise InputError("SED metrics: duplicate class names in the label set")
    if time_decimals is not None and (not isinstance(time_decimals, int) or not 0 <= time_decimals <= 9):
        raise InputError(f"time_decimals must be an integer in 0..9 or None, got {time_decimals!r}")
    durations = dict(durations or {})
    clips = tuple(dict.fromkeys([*reference, *durations]))
    labels = tuple(labels)
    known = set(clips)
    preds = predictions if isinstance(predictions, SedPredictions) else SedPredictions(events=predictions)
    preds, n_long = preds.within(durations)
    try:
        dur_key: tuple | None = tuple(durations.items())
        hash(dur_key)
    except TypeError:  # an unhashable duration: refused below; nothing kept
        dur_key = None
    store = None if dur_key is None else preds._cache
    est_key = ("prepared", float(threshold), dur_key, padding)
    est, n_pad = _kept(store, est_key, lambda: _within_durations(preds.single_op_events(threshold=threshold),
                                                                durations if padding == "ignore" else {}))
    extra = [c for c in est if c not in known]
    if extra:
        raise InputError(
            f"predictions name {len(extra)} clip(s) that are not in the reference (e.g. {extra[0]!r}); "
            "check the clip ids (file names must match the reference exactly)"
        )
    flags: list[str] = []
    if n_long:
        flags.append(f"score tables of {n_long} clip(s) run past the clip's duration: their frames that start at or "
                     "after the end were ignored (padding)")
    if n_pad:
        flags.append(f"{n_pad} detection(s) start at or after their clip's end (padding): ignored")
    missing = [c for c in clips if c not in est]
    if missing and not allow_missing:
        shown = ", ".join(repr(c) for c in missing[:3])
        raise InputError(
            f"{len(missing)} of {len(clips)} reference clips have no prediction (e.g. {shown}); "
            "predict every clip or pass allow_missing=True to score them as empty"
        )
    if missing:
        flags.append(f"{len(missing)} of {len(clips)} clips had no prediction and were scored as empty")
    ref_store = reference._kept if isinstance(reference, EventMap) else None

    def ref_split() -> tuple:
        ref = {c: reference.get(c, []) for c in clips}
        return (ref, *split_zero_length(ref))

    ref, ref_nz, n_zr, ex_r = _kept(ref_store, ("split", clips), ref_split)
    est_nz, n_ze, ex_e = _kept(store, ("split", *est_key), lambda: split_zero_length(est))
    if zero_length == "drop":
        ref, est = ref_nz, est_nz
        for n, side, ex in ((n_zr, "reference", ex_r), (n_ze, "predicted", ex_e)):
            if n:
                flags.append(f"{n} zero-length {side} event(s) (onset == offset) dropped, e.g. {ex} "
                             "(sed_eval counts them: zero_length='keep')")
    merging = bool(merge_reference or strict)
    if merging:
        merged, n_merged = _kept(ref_store, ("merged", clips, bool(strict), time_decimals),
                                 lambda: merge_overlapping(ref_nz, strict=strict, time_decimals=time_decimals))
        if zero_length == "keep" and n_zr:  # zero-length reference events are kept as given, not merged
            merged = {c: [*merged[c], *(e for e in ref[c] if isinstance(e, ZeroLengthEvent))]
                      for c in merged}
        ref = merged
        if n_merged:
            msg = f"reference: merged {n_merged} overlapping or touching same-class event pair(s)"
            warnings.warn(msg, stacklevel=3)
            flags.append(msg)
    for cid, d in durations.items():
        if not (isinstance(d, (int, float)) and d > 0):
            raise InputError(f"durations: clip {cid!r} must have a positive duration in seconds, got {d!r}")
    dur = np.array([float(durations.get(c, np.nan)) for c in clips])
    ref_key = ("columns", clips, labels, zero_length, merging, bool(strict), time_decimals if merging else None)
    ref_cols = _kept(ref_store, ref_key, lambda: EventColumns.from_events(ref, clips, labels, what="reference"))
    est_cols = _kept(store, ("columns", *est_key, zero_length, clips, labels),
                     lambda: EventColumns.from_events(est, clips, labels, what="predicted"))
    return Prepared(clips, ref_cols, est_cols, dur, tuple(flags), len(missing))


def _within_durations(est: dict[str, list[Event]], durations: Mapping[str, float]) -> tuple[dict[str, list[Event]], int]:
    """``est`` without the detections that start at or after their clip's duration, and how many went."""
    n_pad = 0
    for c, d in durations.items():
        if c in est and isinstance(d, (int, float)):
            kept = [e for e in est[c] if e.onset < d]
            n_pad += len(est[c]) - len(kept)
            est[c] = kept
    return est, n_pad
