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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed.io import SedPredictions, merge_overlapping
from avbench.model import Event

__all__ = ["EventColumns", "Prepared", "prepare", "ticks", "PADDING"]

PADDING = ("ignore", "keep")
"""Accepted values of ``padding`` (:func:`prepare`): detections starting at or after the clip's end."""


def ticks(t: np.ndarray, time_decimals: int | None) -> np.ndarray:
    """Times as exact integer ticks of ``10**-time_decimals`` s (float64), or unchanged for ``None``."""
    if time_decimals is None:
        return np.asarray(t, dtype=np.float64)
    return np.rint(np.asarray(t, dtype=np.float64) * 10.0**time_decimals)


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
        c_idx: list[int] = []
        k_idx: list[int] = []
        on: list[float] = []
        off: list[float] = []
        for i, cid in enumerate(clips):
            for ev in events.get(cid, ()):
                k = index.get(ev.label)
                if k is None:
                    raise InputError(
                        f"{what} clip {cid!r}: event label {ev.label!r} is not in the label set "
                        f"({', '.join(labels)}); fix the label or pass the full label set"
                    )
                c_idx.append(i)
                k_idx.append(k)
                on.append(ev.onset)
                off.append(ev.offset)
        c = np.asarray(c_idx, dtype=np.int64)
        k = np.asarray(k_idx, dtype=np.int64)
        o = np.asarray(on, dtype=np.float64)
        f = np.asarray(off, dtype=np.float64)
        order = np.lexsort((k, f, o, c))
        start = np.searchsorted(c, c, side="left")  # c is non-decreasing: events were appended clip by clip
        rank = np.arange(c.size, dtype=np.int64) - start
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
    """Apply the shared SED input policies (module docstring) and build columns."""
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
    known = set(clips)
    preds = predictions if isinstance(predictions, SedPredictions) else SedPredictions(events=predictions)
    preds, n_long = preds.within(durations)
    est = preds.single_op_events(threshold=threshold)
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
    n_pad = 0
    for c, d in durations.items() if padding == "ignore" else ():
        if c in est and isinstance(d, (int, float)):
            kept = [e for e in est[c] if e.onset < d]
            n_pad += len(est[c]) - len(kept)
            est[c] = kept
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
    ref = {c: reference.get(c, []) for c in clips}
    ref_nz, n_zr, ex_r = split_zero_length(ref)
    est_nz, n_ze, ex_e = split_zero_length(est)
    if zero_length == "drop":
        ref, est = ref_nz, est_nz
        for n, side, ex in ((n_zr, "reference", ex_r), (n_ze, "predicted", ex_e)):
            if n:
                flags.append(f"{n} zero-length {side} event(s) (onset == offset) dropped, e.g. {ex} "
                             "(sed_eval counts them: zero_length='keep')")
    if merge_reference or strict:
        merged, n_merged = merge_overlapping(ref_nz, strict=strict, time_decimals=time_decimals)
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
    return Prepared(
        clips,
        EventColumns.from_events(ref, clips, labels, what="reference"),
        EventColumns.from_events(est, clips, labels, what="predicted"),
        dur,
        tuple(flags),
        len(missing),
    )
