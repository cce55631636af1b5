"""Zero-length events (``onset == offset``): carried to the metrics that can count them, dropped elsewhere.

:class:`avbench.model.Event` refuses ``onset >= offset``, and avbench's own rule is that a zero-length
event cannot be scored: it is dropped, and the drop is flagged with its count. sed_eval 0.2.1 keeps
such rows: an event-based zero-length event is matched like any other (collar tests on its onset and
offset, offset tolerance ``max(collar, rate * 0) = collar``), and a segment-based one marks the segment
``floor(t / res)`` up to ``ceil(t / res)`` (one segment, none when ``t`` falls on a segment boundary).
To reproduce that, readers that are asked to (``keep_zero_length=True``) return such rows as
:class:`ZeroLengthEvent`, an :class:`~avbench.model.Event` whose one relaxed check is ``onset == offset``,
in file order; the event- and segment-based metrics take ``zero_length="drop"`` (avbench's rule,
flagged) or ``"keep"`` (sed_eval's; the ``sed_eval`` profile sets it).

Example:
    >>> from avbench.model import Event
    >>> evs = {"a": [Event(0.0, 1.0, "x"), ZeroLengthEvent(2.0, 2.0, "x")], "b": []}
    >>> kept, n, example = split_zero_length(evs)
    >>> [len(v) for v in kept.values()], n, example
    ([1, 0], 1, "clip 'a' at 2 s ('x')")
"""

from __future__ import annotations

import itertools

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from avbench.errors import InputError
from avbench.model import Event

__all__ = ["ZeroLengthEvent", "split_zero_length", "strip_zero_length", "ZERO_LENGTH"]

ZERO_LENGTH = ("drop", "keep")
"""Accepted values of the ``zero_length`` parameter of the event- and segment-based metrics."""


@dataclass(frozen=True)
class ZeroLengthEvent(Event):
    """An event with ``onset == offset`` (a file row avbench drops and sed_eval counts).

    Validated as :class:`~avbench.model.Event` is (label, finite onset >= 0), except that the offset
    must equal the onset. Only readers asked for ``keep_zero_length`` build them.
    """

    def __post_init__(self, labels: Any) -> None:
        if not isinstance(self.label, str) or not self.label:
            raise InputError(f"event label must be a non-empty string, got {self.label!r}")
        on, off = float(self.onset), float(self.offset)
        if not math.isfinite(on) or on < 0 or on != off:
            raise InputError(f"zero-length event {self.label!r}: onset {on} s must be >= 0 and equal the offset {off} s")
        if labels is not None and self.label not in labels:
            raise InputError(f"event label {self.label!r} is not in the label set {tuple(labels)!r}")
        object.__setattr__(self, "onset", on)
        object.__setattr__(self, "offset", off)


def _has_zero_length(events: Mapping[str, Sequence[Event]]) -> bool:
    """Whether any event is a :class:`ZeroLengthEvent` (the types of all events collected in one C-level pass)."""
    kinds = set(map(type, itertools.chain.from_iterable(events.values())))
    return any(issubclass(k, ZeroLengthEvent) for k in kinds)


def split_zero_length(events: Mapping[str, Sequence[Event]]) -> tuple[dict[str, list[Event]], int, str]:
    """``(events without zero-length ones, how many were removed, an example)`` (every clip kept as a key)."""
    if not _has_zero_length(events):
        return {clip: list(evs) for clip, evs in events.items()}, 0, ""
    out: dict[str, list[Event]] = {}
    n, example = 0, ""
    for clip, evs in events.items():
        kept = [e for e in evs if not isinstance(e, ZeroLengthEvent)]
        if len(kept) != len(evs):
            if not example:
                z = next(e for e in evs if isinstance(e, ZeroLengthEvent))
                example = f"clip {clip!r} at {z.onset:g} s ({z.label!r})"
            n += len(evs) - len(kept)
        out[clip] = kept
    return out, n, example


def strip_zero_length(events: Mapping[str, Sequence[Event]]) -> Mapping[str, Sequence[Event]]:
    """``events`` without zero-length events; the same object when it has none."""
    if not _has_zero_length(events):
        return events
    return split_zero_length(events)[0]
