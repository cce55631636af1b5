"""The avbench predictions format (``format_version`` 1.0) and its validation.

A predictions file is JSON with a header and per-clip content keyed by clip id; its JSON Schema
ships as ``avbench/schemas/predictions-1.0.json``::

    {"format": "avbench-predictions", "format_version": "1.0",
     "benchmark": "synth", "task": "synth-ave", "split": "test",
     "model": {"name": "..."},                                   # optional, free-form
     "clips": {"<clip id>": {...}}}

Per-clip content by task kind:

- segment-classification: ``segment_scores`` ``[T][C+1]`` (last column = background) or
  ``segment_labels`` ``[T]`` (class names, ``"background"``, or indices);
- clip-classification: ``clip_scores`` ``[C]`` (probabilities for log loss) or ``clip_label``;
- multi-label-tagging: ``clip_scores`` ``[C]``;
- event-detection / event-localization: ``events`` (list of ``{onset, offset, label[, azimuth,
  elevation, distance, track, onscreen]}``), optionally ``frame_scores``
  ``{"hop": seconds, "values": [F][C]}`` for threshold-free metrics;
- cross-modal-localization: ``start`` (the predicted start segment, int).

Example:
    >>> p = Predictions(benchmark="toy", task="toy-scene", split="test")
    >>> p.add("clip1", clip_scores=[0.2, 0.8])
    >>> sorted(p.to_dict())
    ['benchmark', 'clips', 'format', 'format_version', 'model', 'split', 'task']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError, did_you_mean
from avbench.io import read_json, write_json
from avbench.model import Event, Task, TaskKind

__all__ = ["Predictions", "FORMAT", "FORMAT_VERSION", "SCHEMA_PATH", "validate_clip", "BACKGROUND"]

FORMAT = "avbench-predictions"
FORMAT_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("schemas") / "predictions-1.0.json"
BACKGROUND = "background"
_CLIP_KEYS = {"segment_scores", "segment_labels", "clip_scores", "clip_label", "events", "frame_scores", "start"}
_EVENT_KEYS = {"onset", "offset", "label", "azimuth", "elevation", "distance", "track", "onscreen", "score"}


@dataclass
class Predictions:
    """Builder and container of a predictions file.

    Args:
        benchmark: dataset name (``avbench list datasets``).
        task: task id.
        split: the split predicted.
        model: free-form description of the model (name, version, paper...).
        clips: ``{clip id: content}``.
    """

    benchmark: str
    task: str
    split: str
    model: dict[str, Any] = field(default_factory=dict)
    clips: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<memory>"

    def add(self, clip_id: str, **content: Any) -> None:
        """Add (or replace) the predictions of one clip; numpy arrays and Events are accepted."""
        unknown = set(content) - _CLIP_KEYS
        if unknown:
            raise InputError(f"clip {clip_id!r}: unknown prediction field(s) {sorted(unknown)}; allowed: {sorted(_CLIP_KEYS)}")
        out: dict[str, Any] = {}
        for key, value in content.items():
            if key == "events":
                out[key] = [e.to_dict() if isinstance(e, Event) else dict(e) for e in value]
            elif key == "frame_scores":
                out[key] = {"hop": float(value["hop"]), "values": np.asarray(value["values"], dtype=float).tolist()}
            elif isinstance(value, np.ndarray):
                out[key] = value.tolist()
            elif isinstance(value, np.generic):
                out[key] = value.item()
            else:
                out[key] = value
        self.clips[str(clip_id)] = out

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "benchmark": self.benchmark,
            "task": self.task,
            "split": self.split,
            "model": dict(self.model),
            "clips": self.clips,
        }

    def write(self, path: str | Path) -> None:
        """Write atomically as JSON."""
        write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, obj: Any, *, source: str = "<memory>") -> Predictions:
        """Parse and check the header; clip content is checked against a task by :meth:`validate`."""
        if not isinstance(obj, dict):
            raise InputError(f"{source}: predictions must be a JSON object, got {type(obj).__name__}")
        known = ("format", "format_version", "benchmark", "task", "split", "model", "clips")
        extra = sorted(set(obj) - set(known))
        if extra:
            raise InputError(f"{source}: unknown top-level field(s) {extra}{did_you_mean(extra[0], known)}; "
                             f"the fields are {', '.join(known)}")
        if obj.get("format") != FORMAT:
            raise InputError(f"{source}: field 'format' must be {FORMAT!r}, got {obj.get('format')!r}")
        version = obj.get("format_version")
        if version != FORMAT_VERSION:
            raise InputError(
                f"{source}: field 'format_version' {version!r} is not supported (this avbench reads {FORMAT_VERSION!r})"
            )
        for key in ("benchmark", "task", "split"):
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise InputError(f"{source}: header field {key!r} must be a non-empty string, got {obj.get(key)!r}")
        clips = obj.get("clips")
        if not isinstance(clips, dict):
            raise InputError(f"{source}: field 'clips' must be an object keyed by clip id")
        model = obj.get("model", {})
        if not isinstance(model, dict):
            raise InputError(f"{source}: field 'model' must be an object")
        return cls(obj["benchmark"], obj["task"], obj["split"], model, clips, source)

    @classmethod
    def read(cls, path: str | Path) -> Predictions:
        return cls.from_dict(read_json(path), source=str(path))

    def validate(self, task: Task) -> None:
        """Check every clip's content against ``task`` (shapes, finite values, known labels)."""
        if task.id != self.task or task.dataset != self.benchmark:
            raise InputError(
                f"{self.source}: predictions are for {self.benchmark}/{self.task}, not {task.dataset}/{task.id}"
            )
        for cid, content in self.clips.items():
            validate_clip(task, cid, content, source=self.source)


def _fail(source: str, cid: str, msg: str) -> InputError:
    return InputError(f"{source}: clip {cid!r}: {msg}")


def _number_type(t: type) -> bool:
    return issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    """A JSON number: an int or float (numpy's too), never a bool or a string."""
    return _number_type(type(value))


def _is_integer(value: Any) -> bool:
    """A JSON Schema ``integer``: an int, or a float with no fractional part (``2.0``), never a bool."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (bool, np.bool_)):
        return f"{str(bool(value)).lower()}"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "a list"
    return type(value).__name__


def _number(source: str, cid: str, name: str, value: Any) -> float:
    if not _is_number(value):
        hint = ' (write 0.7, not "0.7")' if isinstance(value, str) else ""
        raise _fail(source, cid, f"{name} must be a JSON number, got {_json_kind(value)}{hint}")
    if not math.isfinite(value):
        raise _fail(source, cid, f"{name} must be finite, got {value!r}")
    return float(value)


def _matrix(source: str, cid: str, name: str, value: Any, shape: tuple[int | None, ...], hint: str = "") -> np.ndarray:
    """``value`` as a float array of ``shape`` (``None`` = any length); every entry must be a JSON
    number (strings such as ``"0.7"`` and booleans are refused, as the JSON Schema refuses them)."""
    want = "x".join("?" if s is None else str(s) for s in shape)
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise _fail(source, cid, f"{name} must be a list of numbers of shape {want}, got {_json_kind(value)}")
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        arr = value.astype(float)
    else:
        try:
            obj = np.asarray(value, dtype=object)
        except ValueError:
            raise _fail(source, cid, f"{name} is ragged (rows of different lengths), expected {want}") from None
        leaves = obj.ravel()
        if not all(_number_type(t) for t in set(map(type, leaves))):
            bad = next(v for v in leaves if not _is_number(v))
            if isinstance(bad, (list, tuple, np.ndarray)):
                raise _fail(source, cid, f"{name} is ragged or nested too deep, expected {want}")
            hint = ' (write 0.7, not "0.7")' if isinstance(bad, str) else ""
            raise _fail(source, cid, f"{name} must hold JSON numbers, got {_json_kind(bad)}{hint}")
        arr = obj.astype(float)
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise _fail(source, cid, f"{name} has shape {'x'.join(map(str, arr.shape)) or 'scalar'}, expected {want}{hint}")
    if not np.all(np.isfinite(arr)):
        raise _fail(source, cid, f"{name} contains NaN or infinite values")
    return arr


def validate_clip(task: Task, cid: str, content: Any, *, source: str = "<memory>") -> None:
    """Raise an :class:`InputError` naming the clip and field when ``content`` does not fit ``task``.

    Every rule of the JSON Schema (:data:`SCHEMA_PATH`) is checked here too (numbers are JSON
    numbers, never strings or booleans; integers, ranges, required event fields), plus what
    depends on the task: shapes, known labels, ``onset < offset``, and only the fields the task's
    kind reads (``_READS``).
    """
    if not isinstance(content, Mapping):
        raise _fail(source, cid, f"content must be an object, got {_json_kind(content)}")
    unknown = set(content) - _CLIP_KEYS
    if unknown:
        first = sorted(unknown)[0]
        raise _fail(source, cid, f"unknown field(s) {sorted(unknown)}{did_you_mean(first, _CLIP_KEYS)}; "
                                 f"allowed: {sorted(_CLIP_KEYS)}")
    kind = task.kind
    reads = _READS[kind]
    foreign = [k for k in content if k not in reads]
    if foreign:
        raise _fail(source, cid, f"field(s) {', '.join(map(repr, foreign))} are not read by {kind.value} task "
                                 f"{task.id!r}, which reads {' or '.join(map(repr, reads))}")
    if not any(k in content for k in reads):
        raise _fail(source, cid, f"needs {' or '.join(map(repr, reads))}")
    n_cls = len(task.labels)
    if "segment_scores" in content:
        _matrix(source, cid, "segment_scores", content["segment_scores"], (task.n_segments, n_cls + 1),
                " (a row per segment: one score per class, then background)")
    if "segment_labels" in content:
        labels = content["segment_labels"]
        if not isinstance(labels, (list, tuple)) or len(labels) != task.n_segments:
            got = f"{len(labels)} labels" if isinstance(labels, (list, tuple)) else _json_kind(labels)
            raise _fail(source, cid, f"segment_labels must be a list of {task.n_segments} labels, got {got}")
        for lab in labels:
            _label_index(task, lab, source, cid, background=True)
    if "clip_scores" in content:
        _matrix(source, cid, "clip_scores", content["clip_scores"], (n_cls,))
    if "clip_label" in content:
        _label_index(task, content["clip_label"], source, cid, background=False)
    if "events" in content:
        events = content["events"]
        if not isinstance(events, (list, tuple)):
            raise _fail(source, cid, f"events must be a list of event objects, got {_json_kind(events)}")
        for i, ev in enumerate(events):
            _check_event(task, source, cid, i, ev)
    if "frame_scores" in content:
        fs = content["frame_scores"]
        if not isinstance(fs, Mapping) or "hop" not in fs or "values" not in fs:
            raise _fail(source, cid, "frame_scores must be {'hop': seconds, 'values': [[...]]}")
        extra = sorted(set(fs) - {"hop", "values"})
        if extra:
            raise _fail(source, cid, f"frame_scores has unknown field(s) {extra}; it holds 'hop' and 'values'")
        hop = fs["hop"]
        if not _is_number(hop) or not math.isfinite(hop) or hop <= 0:
            got = hop if _is_number(hop) else _json_kind(hop)
            raise _fail(source, cid, f"frame_scores.hop must be a positive number of seconds, got {got}")
        _matrix(source, cid, "frame_scores.values", fs["values"], (None, n_cls))
    if "start" in content:
        start = content["start"]
        if not _is_integer(start):
            got = start if _is_number(start) else _json_kind(start)
            raise _fail(source, cid, f"'start' must be an integer segment index, got {got}")
        top = task.n_segments - 1 if task.n_segments is not None else None
        if start < 0 or (top is not None and start > top):
            raise _fail(source, cid, f"'start' {start} is outside 0..{top if top is not None else 'n-1'}")


_READS: dict[TaskKind, tuple[str, ...]] = {
    TaskKind.SEGMENT_CLASSIFICATION: ("segment_scores", "segment_labels"),
    TaskKind.CLIP_CLASSIFICATION: ("clip_scores", "clip_label"),
    TaskKind.TAGGING: ("clip_scores",),
    TaskKind.EVENT_DETECTION: ("events", "frame_scores"),
    TaskKind.EVENT_LOCALIZATION: ("events", "frame_scores"),
    TaskKind.CROSS_MODAL_LOCALIZATION: ("start",),
}


def _check_event(task: Task, source: str, cid: str, i: int, ev: Any) -> None:
    where = f"events[{i}]"
    if not isinstance(ev, Mapping):
        raise _fail(source, cid, f"{where} must be an object, got {_json_kind(ev)}")
    bad = set(ev) - _EVENT_KEYS
    if bad:
        hint = did_you_mean(sorted(bad)[0], _EVENT_KEYS)
        raise _fail(source, cid, f"{where} has unknown field(s) {sorted(bad)}{hint}; allowed: {sorted(_EVENT_KEYS)}")
    for key in ("onset", "offset", "label"):
        if key not in ev:
            raise _fail(source, cid, f"{where} needs '{key}'")
    for key in ("onset", "offset", "azimuth", "elevation", "distance", "score"):
        if key in ev:
            _number(source, cid, f"{where}.{key}", ev[key])
    if "track" in ev and not _is_integer(ev["track"]):
        raise _fail(source, cid, f"{where}.track must be an integer, got {_json_kind(ev['track'])}")
    if "onscreen" in ev and not isinstance(ev["onscreen"], bool):
        raise _fail(source, cid, f"{where}.onscreen must be true or false, got {_json_kind(ev['onscreen'])}")
    if task.kind is TaskKind.EVENT_LOCALIZATION and "azimuth" not in ev:
        raise _fail(source, cid, f"{where} needs 'azimuth' (degrees) for a localization task")
    try:
        Event(
            ev["onset"], ev["offset"], ev["label"], labels=task.labels,
            azimuth=ev.get("azimuth"), elevation=ev.get("elevation"), distance=ev.get("distance"),
        )
    except InputError as exc:
        raise _fail(source, cid, f"{where}: {exc}") from None


def _label_index(task: Task, label: Any, source: str, cid: str, *, background: bool) -> int:
    n = len(task.labels)
    if not isinstance(label, str) and not _is_integer(label):
        raise _fail(source, cid, f"label {_json_kind(label)} is not a class name or index")
    if not isinstance(label, str):
        label = int(label)
        top = n if background else n - 1
        if not 0 <= label <= top:
            raise _fail(source, cid, f"label index {label} is outside 0..{top}")
        return label
    if background and label == BACKGROUND:
        return n
    try:
        return task.labels.index(label)
    except ValueError:
        raise _fail(source, cid, f"unknown label {label!r} (not in the task's {n} classes)") from None


def label_index(task: Task, label: Any, *, background: bool, source: str = "<memory>", clip: str = "?") -> int:
    """Index of a class name/index (``"background"`` = ``len(labels)`` when allowed)."""
    return _label_index(task, label, source, clip, background=background)
