"""Frame-wise score tables and the :class:`SedPredictions` container (re-exported by ``_sed_io``).

A :class:`ScoreTable` is one clip's scores in the sed_scores_eval layout: frame boundaries
``[T+1]`` and scores ``[T, C]``. :class:`SedPredictions` holds one operating point, several
operating points and/or score tables, and gives F1-type metrics single-operating-point events
(:meth:`SedPredictions.single_op_events`).

Example:
    >>> st = ScoreTable(np.array([0.0, 1.0, 2.0, 3.0]), np.array([[0.2], [0.9], [0.7]]), ("dog",))
    >>> [(e.onset, e.offset) for e in st.events(0.5)]
    [(1.0, 3.0)]
    >>> [(e.onset, e.offset) for e in st.events(0.69)]
    [(1.0, 3.0)]
    >>> [(e.onset, e.offset) for e in st.events(0.7)]
    [(1.0, 2.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._detections import DetectionColumns
from avbench.model import Event

__all__ = ["ScoreTable", "SedPredictions", "table_from_rows", "table_from_array", "check_score_header"]


@dataclass(frozen=True)
class ScoreTable:
    """Frame-wise class scores of one clip (the sed_scores_eval layout).

    Attributes:
        timestamps: float ``[T+1]`` frame boundaries in seconds, strictly increasing; frame ``t``
            covers ``[timestamps[t], timestamps[t+1])``.
        values: float ``[T, C]`` scores (higher = more likely active).
        classes: the ``C`` class names, in column order.
    """

    timestamps: np.ndarray
    values: np.ndarray
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        ts = np.asarray(self.timestamps, dtype=np.float64)
        vals = np.asarray(self.values, dtype=np.float64)
        cls = tuple(str(c) for c in self.classes)
        if ts.ndim != 1 or vals.ndim != 2 or vals.shape != (ts.size - 1, len(cls)):
            raise InputError(
                f"score table: expected timestamps [T+1] and values [T, {len(cls)}], got {ts.shape} and {vals.shape}"
            )
        if not (np.all(np.isfinite(ts)) and np.all(np.isfinite(vals))):
            raise InputError("score table: timestamps and scores must be finite")
        if ts.size > 1 and not np.all(np.diff(ts) > 0):
            raise InputError("score table: frame boundaries must be strictly increasing")
        ts.flags.writeable = False
        vals.flags.writeable = False
        object.__setattr__(self, "timestamps", ts)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "classes", cls)

    @classmethod
    def _checked(cls, timestamps: np.ndarray, values: np.ndarray, classes: tuple[str, ...]) -> ScoreTable:
        """A table of arrays the caller has already checked as ``__post_init__`` does, not checked again.

        ``timestamps`` and ``values`` must be read-only float64 arrays of shapes ``[T+1]`` and
        ``[T, C]`` (finite, boundaries strictly increasing); ``classes`` a tuple of ``C`` str. The
        fast directory reader (:mod:`avbench.metrics.sed._score_files`) checks a whole directory's
        tables at once and builds each through here.
        """
        table = object.__new__(cls)
        object.__setattr__(table, "timestamps", timestamps)
        object.__setattr__(table, "values", values)
        object.__setattr__(table, "classes", classes)
        return table

    def trimmed(self, duration: float) -> ScoreTable:
        """This table without the frames that start at or after ``duration`` s (``self`` if none do).

        Example:
            >>> st = ScoreTable([0.0, 1.0, 2.0, 3.0], [[0.2], [0.9], [0.7]], ("dog",))
            >>> st.trimmed(1.5).timestamps.tolist(), st.trimmed(9.0) is st
            ([0.0, 1.0, 2.0], True)
        """
        keep = int(np.searchsorted(self.timestamps[:-1], duration, side="left"))
        if keep >= self.values.shape[0]:
            return self
        keep = max(keep, 1)
        return ScoreTable(self.timestamps[: keep + 1], self.values[:keep], self.classes)

    def events(self, threshold: float) -> list[Event]:
        """Detections at ``threshold``: maximal runs of frames with ``score > threshold``, per class.

        The rule is strict, ``score > threshold``: what sed_scores_eval 0.0.4 uses for a metric at a
        fixed threshold (``fscore(..., threshold=t)``, ``scores_to_event_list``) and what the DESED
        baseline's decoding does (``scores > threshold``). Every avbench SED metric that binarises a
        score table at a given threshold calls this method, so a score exactly equal to the
        threshold is inactive everywhere. (The threshold-free curves and exact PSDS enumerate every
        operating point; there a curve point labelled ``t`` holds the detections of ``score >= t``,
        i.e. the operating point just below ``t`` in this rule, as sed_scores_eval labels them.) An
        event spans from the start of its first active frame to the end of its last.
        """
        active = self.values > threshold
        out: list[Event] = []
        if not active.any():
            return out
        pad = np.zeros((1, active.shape[1]), dtype=bool)
        change = np.diff(np.vstack([pad, active, pad]).astype(np.int8), axis=0)
        for c, name in enumerate(self.classes):
            starts = np.flatnonzero(change[:, c] == 1)
            ends = np.flatnonzero(change[:, c] == -1)
            out.extend(Event(float(self.timestamps[s]), float(self.timestamps[e]), name) for s, e in zip(starts, ends))
        out.sort(key=lambda e: (e.onset, e.label))
        return out


PAST_END_POLICY = (
    "detections and score-table frames that start at or after their clip's end (padding) are ignored by every "
    "SED metric; a detection that starts inside the clip counts as it is"
)
"""The one policy for predictions past a clip's duration (psds_eval's rule), stated once.

Score tables lose their frames whose start is at or after the clip's duration before any metric
binarises or sweeps them (:meth:`SedPredictions.within`), so a run of frames crossing the end ends
with the frame that straddles it; detections given as events or operating points that start at
or after the end are dropped (:mod:`avbench.metrics.sed._psd.operating_points`,
:mod:`avbench.metrics.sed._columns`). Each metric flags how many were ignored.
"""


def _bad_score_row(header: list[str], body: list[list[str]], p: Path, first_line: int) -> InputError:
    """The error for the first row of ``body`` that is not ``len(header)`` numbers."""
    from avbench.metrics.sed.io import misspelt_columns

    for n, row in enumerate(body):
        line = first_line + n + 1
        if len(row) != len(header):
            return InputError(f"{p}, line {line}: {len(row)} fields where the score-table header has {len(header)} "
                              f"(onset, offset, {len(header) - 2} class column(s))")
        for name, cell in zip(header, row):
            try:
                float(cell)
            except ValueError:
                hint = misspelt_columns(header)
                return InputError(
                    f"{p}, line {line}: read as a score table (header 'onset offset <class...>', no event_label "
                    f"column{hint}), but column {name!r} holds {cell!r}, not a score; a detections file needs the "
                    "header filename, onset, offset, event_label"
                )
    return InputError(f"{p}: every score row needs {len(header)} numbers")


def table_from_rows(header: list[str], body: list[list[str]], p: Path, first_line: int) -> ScoreTable:
    """One :class:`ScoreTable` from a header ``onset offset <class...>`` and its rows of numbers.

    Raises:
        InputError: a header without class columns or with a class named twice, a row that is
            not all numbers (names the line and column, and says which format it was read as),
            gaps between frames.
    """
    check_score_header(header, p, first_line)
    try:
        arr = np.array(body, dtype=np.float64).reshape(len(body), len(header))
    except ValueError:
        raise _bad_score_row(header, body, p, first_line) from None
    return table_from_array(header, arr, p, first_line)


def check_score_header(header: list[str], p: Path, first_line: int) -> None:
    """Refuse a score-table header without ``onset offset`` and class columns, or naming a class twice."""
    low = [h.lower() for h in header]
    if low[:2] != ["onset", "offset"] or len(header) < 3:
        raise InputError(f"{p}, line {first_line}: a score table starts with 'onset<TAB>offset<TAB><class>...', got "
                         f"{chr(9).join(header)!r}; it needs one column per class")
    seen: dict[str, int] = {}
    for i, name in enumerate(header[2:]):
        if not name:
            raise InputError(f"{p}, line {first_line}: score-table column {i + 3} has no class name")
        if name in seen:
            raise InputError(f"{p}, line {first_line}: class column {name!r} appears twice (columns {seen[name] + 3} "
                             f"and {i + 3}); each class needs exactly one column")
        seen[name] = i


def table_from_array(header: list[str], arr: np.ndarray, p: Path, first_line: int) -> ScoreTable:
    """The :class:`ScoreTable` of a checked header and its parsed rows ``[T, 2 + C]``.

    Raises:
        InputError: no frames, gaps between frames, non-finite or non-increasing times.
    """
    if arr.shape[0] == 0:
        raise InputError(f"{p}: score table has no frames")
    if not np.allclose(arr[1:, 0], arr[:-1, 1], rtol=0, atol=1e-6):
        bad = int(np.flatnonzero(~np.isclose(arr[1:, 0], arr[:-1, 1], rtol=0, atol=1e-6))[0])
        raise InputError(f"{p}, line {first_line + bad + 2}: frames must be gapless (onset == previous offset)")
    try:
        return ScoreTable(np.append(arr[:, 0], arr[-1, 1]), arr[:, 2:], tuple(header[2:]))
    except InputError as exc:
        raise InputError(f"{p}: {exc}") from None


class _OpView(Mapping):
    """``{threshold: {clip: [Event]}}`` over :class:`DetectionColumns`, one operating point built on access."""

    def __init__(self, cols: DetectionColumns) -> None:
        self.cols = cols
        self._index = {t: i for i, t in enumerate(cols.thresholds)}

    def __getitem__(self, threshold: float) -> dict[str, list[Event]]:
        return self.cols.events_at(self._index[float(threshold)])

    def __iter__(self):
        return iter(self.cols.thresholds)

    def __len__(self) -> int:
        return len(self.cols.thresholds)


@dataclass(frozen=True)
class SedPredictions:
    """What a SED system produced, in any of three forms (at least one is required).

    Attributes:
        events: one operating point, ``{clip: [Event, ...]}``.
        operating_points: ``{threshold: {clip: [Event, ...]}}``, or a
            :class:`~avbench.metrics.sed._detections.DetectionColumns` (as read from files; then this
            attribute is a read-only mapping view that builds Events only for the thresholds accessed).
        scores: ``{clip: ScoreTable}``.
    """

    events: Mapping[str, Sequence[Event]] | None = None
    operating_points: Mapping[float, Mapping[str, Sequence[Event]]] | DetectionColumns | None = None
    scores: Mapping[str, ScoreTable] | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.events is None and self.operating_points is None and self.scores is None:
            raise InputError("SED predictions: give events, operating_points or scores")
        if self.events is not None:
            object.__setattr__(self, "events", MappingProxyType({k: list(v) for k, v in self.events.items()}))
        if isinstance(self.operating_points, DetectionColumns):
            self._cache["columns", "operating_points"] = self.operating_points
            object.__setattr__(self, "operating_points", _OpView(self.operating_points))
        elif self.operating_points is not None:
            ops = {float(t): {k: list(v) for k, v in op.items()} for t, op in self.operating_points.items()}
            object.__setattr__(self, "operating_points", MappingProxyType(ops))
        if self.scores is not None:
            object.__setattr__(self, "scores", MappingProxyType(dict(self.scores)))

    def within(self, durations: Mapping[str, float] | None) -> tuple[SedPredictions, int]:
        """These predictions with score tables cut to their clip's duration (:data:`PAST_END_POLICY`).

        Returns:
            ``(predictions, number of score tables that lost frames)``; ``self`` when none did
            (events and operating points are unchanged: their metrics drop what starts past the end).
        """
        if self.scores is None or not durations:
            return self, 0
        key = ("within", tuple(durations.items()))
        if key in self._cache:  # the same cut object for every metric, so its caches (PSDS trees) are shared
            return self._cache[key]
        self._cache[key] = out = self._within(durations)
        return out

    def _within(self, durations: Mapping[str, float]) -> tuple[SedPredictions, int]:
        cut = {}
        for clip, table in self.scores.items():
            d = durations.get(clip)
            cut[clip] = table if d is None else table.trimmed(float(d))
        n = sum(1 for clip, t in cut.items() if t is not self.scores[clip])
        if n == 0:
            return self, 0
        return SedPredictions(events=self.events, operating_points=self._raw_ops(), scores=cut), n

    def restricted(self, labels: Sequence[str]) -> SedPredictions:
        """These predictions without the detections and score columns of classes outside ``labels``."""
        keep = set(labels)
        events = None if self.events is None else {
            c: [e for e in evs if e.label in keep] for c, evs in self.events.items()}
        ops = self._raw_ops()
        if isinstance(ops, DetectionColumns):
            lab_keep = np.array([n in keep for n in ops.labels], dtype=bool)
            m = lab_keep[ops.cls] if ops.cls.size else np.zeros(0, dtype=bool)
            occ = m[ops.uid] if ops.uid.size else np.zeros(0, dtype=bool)
            remap = np.cumsum(m) - 1
            ops = DetectionColumns(ops.thresholds, ops.clips, ops.labels, ops.clip[m], ops.cls[m], ops.onset[m],
                                   ops.offset[m], ops.op[occ], remap[ops.uid[occ]])
        elif ops is not None:
            ops = {t: {c: [e for e in evs if e.label in keep] for c, evs in op.items()} for t, op in ops.items()}
        scores = None
        if self.scores is not None:
            scores = {}
            for c, t in self.scores.items():
                idx = [i for i, n in enumerate(t.classes) if n in keep]
                scores[c] = ScoreTable(t.timestamps, t.values[:, idx], tuple(t.classes[i] for i in idx))
        return SedPredictions(events=events, operating_points=ops, scores=scores)

    def _raw_ops(self):
        if isinstance(self.operating_points, _OpView):
            return self.operating_points.cols
        return self.operating_points

    @property
    def kind(self) -> str:
        """``"events"``, ``"operating_points"`` or ``"scores"``: the form :meth:`single_op_events` uses."""
        if self.events is not None:
            return "events"
        return "operating_points" if self.operating_points is not None else "scores"

    def detection_columns(self, form: str = "operating_points") -> DetectionColumns:
        """``operating_points`` (or ``events``, as one operating point) as columns, converted once.

        Raises:
            InputError: that form was not given.
        """
        key = ("columns", form)
        if key not in self._cache:
            src = self.operating_points if form == "operating_points" else {0.0: self.events} if form == "events" else None
            if src is None or (form == "events" and self.events is None):
                raise InputError(f"SED predictions: no {form.replace('_', ' ')} given")
            self._cache[key] = DetectionColumns.from_events(src)
        return self._cache[key]

    def clip_ids(self) -> set[str]:
        """Every clip that some prediction form mentions."""
        ids: set[str] = set()
        if self.events is not None:
            ids.update(self.events)
        if isinstance(self.operating_points, _OpView):
            ids.update(self.operating_points.cols.clips)
        elif self.operating_points is not None:
            for op in self.operating_points.values():
                ids.update(op)
        if self.scores is not None:
            ids.update(self.scores)
        return ids

    def single_op_events(self, *, threshold: float = 0.5) -> dict[str, list[Event]]:
        """Events at one operating point, for F1 / error-rate metrics.

        Rule: ``events`` when given (``threshold`` is ignored); else the operating point whose
        threshold equals ``threshold`` (to 1e-9); else the score tables binarised with
        ``score > threshold`` (:meth:`ScoreTable.events`, the one threshold rule).

        Raises:
            InputError: only operating points are given and none is at ``threshold``.
        """
        if self.events is not None:
            return {k: list(v) for k, v in self.events.items()}
        key = ("op", float(threshold))
        if key in self._cache:
            return {k: list(v) for k, v in self._cache[key].items()}
        if self.scores is not None:
            res = {k: t.events(threshold) for k, t in self.scores.items()}
        else:
            ops = self.operating_points or {}
            match = [t for t in ops if abs(t - threshold) <= 1e-9]
            if not match:
                known = ", ".join(f"{t:g}" for t in sorted(ops))
                raise InputError(
                    f"no operating point at threshold {threshold:g} (have {known}); pass -o threshold=<one of them>"
                )
            res = {k: list(v) for k, v in ops[match[0]].items()}
        self._cache[key] = res
        return {k: list(v) for k, v in res.items()}
