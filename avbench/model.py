"""The core data model: events, clips, split manifests and tasks, validated when built.

Times are in seconds, angles in degrees (azimuth counter-clockwise from the front, in
[-180, 180]; elevation in [-90, 90]), distances in metres. A record that would be invalid is
refused at construction with an :class:`~avbench.errors.InputError` that names the field.

Example:
    >>> ev = Event(1.0, 2.5, "dog", labels=("dog", "cat"), azimuth=30.0)
    >>> ev.duration
    1.5
    >>> Event(2.0, 1.0, "dog")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: event 'dog': onset 2.0 s must be before offset 1.0 s
    >>> Event(0.0, 1.0, "cow", labels=("dog", "cat"))
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: event label 'cow' is not in the label set ('dog', 'cat')
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from types import MappingProxyType
from typing import Any

from avbench.errors import InputError

__all__ = [
    "Event",
    "Clip",
    "VideoState",
    "video_state",
    "SplitManifest",
    "Task",
    "TaskKind",
    "MetricRef",
    "segment_labels_from_events",
]


def _finite(name: str, value: float, owner: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{owner}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{owner}: {name} must be finite, got {value!r}")
    return v


@dataclass(frozen=True, slots=True)
class Event:
    """A sound event: ``[onset, offset)`` in seconds with a class label and an optional direction.

    Args:
        onset: start time in seconds, >= 0.
        offset: end time in seconds, > onset.
        label: class label, a member of ``labels`` when that is given.
        labels: (keyword, not stored) the label set the label must belong to.
        azimuth: degrees in [-180, 180], counter-clockwise, 0 = front (optional).
        elevation: degrees in [-90, 90] (optional).
        distance: metres, > 0 (optional).
        track: source/track index for SELD formats (optional).
        onscreen: whether the source is visible in the video (optional, DCASE 2025).
    """

    onset: float
    offset: float
    label: str
    labels: InitVar[Collection[str] | None] = None
    azimuth: float | None = None
    elevation: float | None = None
    distance: float | None = None
    track: int | None = None
    onscreen: bool | None = None

    def __post_init__(self, labels: Collection[str] | None) -> None:
        if not isinstance(self.label, str) or not self.label:
            raise InputError(f"event label must be a non-empty string, got {self.label!r}")
        owner = f"event {self.label!r}"
        on = _finite("onset", self.onset, owner)
        off = _finite("offset", self.offset, owner)
        if on < 0:
            raise InputError(f"{owner}: onset must be >= 0 s, got {on}")
        if not on < off:
            raise InputError(f"{owner}: onset {on} s must be before offset {off} s")
        object.__setattr__(self, "onset", on)
        object.__setattr__(self, "offset", off)
        if labels is not None and self.label not in labels:
            raise InputError(f"event label {self.label!r} is not in the label set {tuple(labels)!r}")
        if self.azimuth is not None:
            az = _finite("azimuth", self.azimuth, owner)
            if not -180.0 <= az <= 180.0:
                raise InputError(f"{owner}: azimuth must be in [-180, 180] degrees, got {az}")
            object.__setattr__(self, "azimuth", az)
        if self.elevation is not None:
            el = _finite("elevation", self.elevation, owner)
            if not -90.0 <= el <= 90.0:
                raise InputError(f"{owner}: elevation must be in [-90, 90] degrees, got {el}")
            object.__setattr__(self, "elevation", el)
        if self.distance is not None:
            d = _finite("distance", self.distance, owner)
            if d <= 0:
                raise InputError(f"{owner}: distance must be > 0 m, got {d}")
            object.__setattr__(self, "distance", d)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.offset - self.onset

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the optional fields that are set."""
        out: dict[str, Any] = {"onset": self.onset, "offset": self.offset, "label": self.label}
        for key in ("azimuth", "elevation", "distance", "track", "onscreen"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def segment_labels_from_events(
    events: Iterable[Event],
    labels: Sequence[str],
    *,
    n_segments: int,
    segment_length: float = 1.0,
    background: bool = True,
) -> list[int]:
    """Per-segment class indices: segment ``k`` covers ``[k*L, (k+1)*L)``.

    A segment carries the class of an event that covers its start time (``onset <= k*L < offset``,
    the AVE rule); otherwise background, index ``len(labels)``. Where several events cover the same
    start the earliest-starting one wins.

    Example:
        >>> segment_labels_from_events([Event(2, 5, "b")], ["a", "b"], n_segments=6)
        [2, 2, 1, 1, 1, 2]
    """
    idx = {name: i for i, name in enumerate(labels)}
    bg = len(labels)
    out = [bg] * n_segments
    for ev in sorted(events, key=lambda e: e.onset, reverse=True):
        for k in range(n_segments):
            t = k * segment_length
            if ev.onset <= t < ev.offset:
                out[k] = idx[ev.label]
    if not background and bg in out:
        raise InputError("segment labels: a segment has no event and background is disabled")
    return out


class VideoState(str, enum.Enum):
    """Whether a clip's video (or audio) is usable: three states, never two.

    - ``available``: checked and usable (a decodable file with the stream);
    - ``missing``: checked and not usable (removed, private, undecodable, absent in the archive
      or mirror, or the dataset never had it, e.g. synthetic soundscapes);
    - ``unknown``: never checked (e.g. only the metadata was downloaded).

    Example:
        >>> [video_state(v).value for v in (True, False, None)]
        ['available', 'missing', 'unknown']
    """

    AVAILABLE = "available"
    MISSING = "missing"
    UNKNOWN = "unknown"


def video_state(flag: bool | None) -> VideoState:
    """The :class:`VideoState` of a ``has_video`` / ``has_audio`` value (``None`` = unknown)."""
    if flag is None:
        return VideoState.UNKNOWN
    return VideoState.AVAILABLE if flag else VideoState.MISSING


def _tristate(value: Any, name: str, owner: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if getattr(getattr(value, "dtype", None), "kind", "") == "b" and getattr(value, "shape", None) == ():
        return bool(value)  # a numpy bool
    raise InputError(f"{owner}: {name} must be True, False or None (unknown), got {value!r}")


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Clip:
    """One clip of a dataset with its labels and which modalities are usable.

    Missing-video masks are first-class, with three states (:class:`VideoState`):

    - ``has_video``: ``True`` the clip has usable video (checked), ``False`` it has none (checked:
      removed, private, undecodable, absent, or never recorded), ``None`` nobody checked (only
      the metadata is on disk). ``has_audio`` likewise;
    - ``video_segments``: per time segment, whether video is usable there (``None`` = all, when
      ``has_video``);
    - ``cameras``: per camera of a multi-camera set, whether it is usable.

    A model is never handed video it does not have: :meth:`video_mask` of an unknown clip is all
    ``False``. Evaluation strata (with / without video) are built from checked clips only; unknown
    clips are counted, never put in a stratum (:mod:`avbench.evaluation`).

    Args:
        id: stable clip id (unique within the dataset, e.g. an annotation row, not a YouTube id).
        duration: seconds, > 0.
        audio, video: paths relative to the dataset root, or ``None``.
        features: named feature locations (e.g. ``{"vggish": "audio_feature.h5#17"}``).
        events: strong labels.
        segment_labels: per-segment class indices (background = number of classes).
        clip_labels: weak or scene labels.
        has_audio, has_video, video_segments, cameras: availability masks.
        meta: anything else the recipe keeps (YouTube id, city, room...).
    """

    id: str
    duration: float
    audio: str | None = None
    video: str | None = None
    features: Mapping[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    segment_labels: tuple[int, ...] | None = None
    clip_labels: tuple[str, ...] = ()
    has_audio: bool | None = True
    has_video: bool | None = True
    video_segments: tuple[bool, ...] | None = None
    cameras: Mapping[str, bool] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"clip id must be a non-empty string, got {self.id!r}")
        dur = _finite("duration", self.duration, f"clip {self.id!r}")
        if dur <= 0:
            raise InputError(f"clip {self.id!r}: duration must be > 0 s, got {dur}")
        object.__setattr__(self, "duration", dur)
        object.__setattr__(self, "events", tuple(self.events))
        for ev in self.events:
            if ev.offset > dur + 1e-6:
                raise InputError(
                    f"clip {self.id!r}: event {ev.label!r} ends at {ev.offset} s, after the clip end {dur} s"
                )
        if self.segment_labels is not None:
            object.__setattr__(self, "segment_labels", tuple(int(x) for x in self.segment_labels))
        object.__setattr__(self, "clip_labels", tuple(self.clip_labels))
        owner = f"clip {self.id!r}"
        object.__setattr__(self, "has_audio", _tristate(self.has_audio, "has_audio", owner))
        object.__setattr__(self, "has_video", _tristate(self.has_video, "has_video", owner))
        if self.video_segments is not None:
            vs = tuple(bool(x) for x in self.video_segments)
            if self.has_video is None:
                raise InputError(f"{owner}: has_video is unknown (None) but video_segments is given")
            if not self.has_video and any(vs):
                raise InputError(f"{owner}: has_video is False but video_segments marks usable video")
            object.__setattr__(self, "video_segments", vs)
        object.__setattr__(self, "features", _frozen(self.features))
        object.__setattr__(self, "cameras", _frozen({k: bool(v) for k, v in dict(self.cameras).items()}))
        object.__setattr__(self, "meta", _frozen(self.meta))

    @property
    def video_state(self) -> VideoState:
        """``available``, ``missing`` or ``unknown`` (see :class:`VideoState`).

        Example:
            >>> Clip("a", 3.0, has_video=None).video_state.value
            'unknown'
        """
        return video_state(self.has_video)

    @property
    def audio_state(self) -> VideoState:
        """The same three states for the audio."""
        return video_state(self.has_audio)

    def video_mask(self, n_segments: int) -> list[bool]:
        """Per-segment video usability as a list of ``n_segments`` booleans (unknown = not usable).

        Example:
            >>> Clip("a", 3.0, has_video=False).video_mask(3)
            [False, False, False]
            >>> Clip("u", 2.0, has_video=None).video_mask(2)
            [False, False]
            >>> Clip("b", 3.0, video_segments=(True, False, True)).video_mask(3)
            [True, False, True]
        """
        if not self.has_video:  # missing, or unknown: never hand a model video it does not have
            return [False] * n_segments
        if self.video_segments is None:
            return [True] * n_segments
        if len(self.video_segments) != n_segments:
            raise InputError(
                f"clip {self.id!r}: video mask has {len(self.video_segments)} segments, expected {n_segments}"
            )
        return list(self.video_segments)


@dataclass(frozen=True)
class SplitManifest:
    """Versioned split membership of a dataset: ``{split name: (clip ids, ...)}``.

    Splits must be disjoint (a clip in two splits is refused) unless ``allow_overlap`` names the
    pairs that may share clips. :meth:`digest` fingerprints the membership, so a results file can
    say exactly which split it was computed on.

    Example:
        >>> m = SplitManifest("toy", "1.0", {"train": ("a", "b"), "test": ("c",)})
        >>> m.digest()[:12]
        'f6e84f1746cf'
        >>> SplitManifest("toy", "1.0", {"train": ("a",), "test": ("a",)})
        Traceback (most recent call last):
        ...
        avbench.errors.InputError: split manifest toy 1.0: clip 'a' is in both 'train' and 'test'
    """

    dataset: str
    version: str
    splits: Mapping[str, tuple[str, ...]]
    allow_overlap: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        splits = {str(k): tuple(str(x) for x in v) for k, v in dict(self.splits).items()}
        owner = f"split manifest {self.dataset} {self.version}"
        seen: dict[str, str] = {}
        allowed = {frozenset(p) for p in self.allow_overlap}
        for name, ids in splits.items():
            if len(set(ids)) != len(ids):
                dup = next(i for i in ids if ids.count(i) > 1)
                raise InputError(f"{owner}: clip {dup!r} is listed twice in split {name!r}")
            for cid in ids:
                other = seen.get(cid)
                if other is not None and frozenset((other, name)) not in allowed:
                    raise InputError(f"{owner}: clip {cid!r} is in both {other!r} and {name!r}")
                seen.setdefault(cid, name)
        object.__setattr__(self, "splits", MappingProxyType(splits))

    def __getitem__(self, split: str) -> tuple[str, ...]:
        try:
            return self.splits[split]
        except KeyError:
            raise InputError(
                f"{self.dataset} has no split {split!r}; known splits: {', '.join(self.splits)}"
            ) from None

    def digest(self) -> str:
        """sha256 over the canonical JSON of the membership (names sorted, ids in order)."""
        blob = json.dumps({k: list(self.splits[k]) for k in sorted(self.splits)}, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "sha256": self.digest(),
            "splits": {k: list(v) for k, v in self.splits.items()},
        }


class TaskKind(str, enum.Enum):
    """What a submission predicts for each clip."""

    SEGMENT_CLASSIFICATION = "segment-classification"  # AVE: a class (or background) per segment
    CLIP_CLASSIFICATION = "clip-classification"  # scenes: one class per clip
    TAGGING = "multi-label-tagging"  # AudioSet: scores for every class
    EVENT_DETECTION = "event-detection"  # SED: events with onset/offset/label
    EVENT_LOCALIZATION = "event-localization"  # SELD: events with direction
    CROSS_MODAL_LOCALIZATION = "cross-modal-localization"  # AVE A2V / V2A: the matched start


@dataclass(frozen=True)
class MetricRef:
    """A metric id from the registry with the parameters a task fixes for it.

    ``profile``: the reference profile (``-o profile=``) of the tool that the task's published numbers came
    from (e.g. ``"official"`` for a DCASE SELD edition, ``"dcase2023"`` for DESED); the task is scored with it
    by default, and avbench's own value is shown beside it where the two differ. ``None``: avbench's rules.
    """

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _frozen(self.params))


@dataclass(frozen=True)
class Task:
    """A benchmark task: which clips, what is predicted, and how it is scored.

    Args:
        id: unique task id, e.g. ``"ave-supervised"``.
        dataset: the dataset (recipe) name.
        kind: what is predicted per clip (:class:`TaskKind`).
        labels: the class names; for segment classification the background class is implicit at
            index ``len(labels)``.
        metrics: the metric ids (and task-fixed parameters) scored by ``avbench evaluate``.
        split: the split scored by default.
        segment_length: seconds per segment for segment-level tasks.
        n_segments: segments per clip for segment-level tasks.
        description: one paragraph for ``avbench info``.
    """

    id: str
    dataset: str
    kind: TaskKind
    labels: tuple[str, ...]
    metrics: tuple[MetricRef, ...]
    split: str = "test"
    segment_length: float = 1.0
    n_segments: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TaskKind(self.kind))
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(set(self.labels)) != len(self.labels):
            raise InputError(f"task {self.id!r}: duplicate class names in its label set")
        refs = tuple(m if isinstance(m, MetricRef) else MetricRef(str(m)) for m in self.metrics)
        if not refs:
            raise InputError(f"task {self.id!r}: a task needs at least one metric")
        object.__setattr__(self, "metrics", refs)
        if self.kind is TaskKind.SEGMENT_CLASSIFICATION and not self.n_segments:
            raise InputError(f"task {self.id!r}: segment classification needs n_segments")
