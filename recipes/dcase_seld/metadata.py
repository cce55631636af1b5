"""DCASE SELD metadata files -> :class:`~avbench.model.Event` tuples, for every Task 3 edition.

Two layouts, chosen by the edition's index (``metadata_format``):

- ``intervals`` (TAU Spatial Sound Events 2019): a header
  ``sound_event_recording,start_time,end_time,ele,azi,dist``, one row per event with times in
  seconds, elevation/azimuth in degrees and distance in metres; each row is one event.
- ``frames`` (TAU-NIGENS 2020/2021, STARSS22/23): no header, ``frame,class,track,azimuth,elevation``
  with frames of ``hop`` = 0.1 s, STARSS23 (2024 release) adding a sixth column, the distance in
  **centimetres**. Rows are read by the SELD metrics' reader (:func:`avbench.metrics.seld.io.read_csv`,
  so a file the recipe loads is a file the metrics score, with the same one-line errors naming the file
  and line), then grouped by ``(class, track)`` into runs of consecutive frames with the same
  direction and distance. Each run is one event ``[first * hop, (last + 1) * hop)``: an event ends
  at the *end* of its last active frame, so rasterising the events again (frame ``k`` active when
  ``onset <= k * hop < offset``, the rule of :func:`avbench.metrics.seld.files.from_json`) gives back
  exactly the rows of the file. A moving source becomes one event per constant-direction run. A row
  repeated verbatim (same frame, class, track and direction; 21 such rows in STARSS22
  ``fold4_room2_mix001``) is one source and kept once; two rows of one class and source in one frame
  with different directions (two events of one actor) stay two events.

Angles follow :mod:`avbench.model`: azimuth counter-clockwise from the front in [-180, 180] (90 =
left), elevation in [-90, 90], distance in metres.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "fold4_room2_mix001.csv"
    >>> _ = p.write_text("10,3,0,30,5\\n11,3,0,30,5\\n12,3,0,32,5\\n")
    >>> [(e.onset, e.offset, e.label, e.azimuth) for e in read_events(p, "frames", ("a", "b", "c", "phone"))]
    [(1.0, 1.2, 'phone', 30.0), (1.2, 1.3, 'phone', 32.0)]
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avbench.errors import InputError
from avbench.model import Event

__all__ = ["read_events", "frames_to_events", "INTERVAL_HEADER"]

INTERVAL_HEADER = ("sound_event_recording", "start_time", "end_time", "ele", "azi", "dist")


def frames_to_events(table, classes: Sequence[str], *, hop: float = 0.1) -> tuple[Event, ...]:  # noqa: ANN001
    """Events of a one-file :class:`~avbench.metrics.seld.frames.SeldFrames` table (module docstring).

    Events are ordered by onset, then class index, then track.
    """
    n = len(table.frame)
    if n == 0:
        return ()
    dist = np.where(np.isnan(table.distance), -1.0, table.distance)
    order = np.lexsort((dist, table.elevation, table.azimuth, table.frame, table.track, table.cls))
    f, c, t = table.frame[order], table.cls[order], table.track[order]
    az, el, d = table.azimuth[order], table.elevation[order], dist[order]
    new = np.ones(n, dtype=bool)
    new[1:] = ((c[1:] != c[:-1]) | (t[1:] != t[:-1]) | (f[1:] != f[:-1] + 1) | (az[1:] != az[:-1])
               | (el[1:] != el[:-1]) | (d[1:] != d[:-1]))
    exact = (c[1:] == c[:-1]) & (t[1:] == t[:-1]) & (f[1:] == f[:-1]) & (az[1:] == az[:-1]) \
        & (el[1:] == el[:-1]) & (d[1:] == d[:-1])
    if exact.any():  # a row repeated verbatim (STARSS22 fold4_room2_mix001 has 21): one source, kept once
        keep = np.ones(n, dtype=bool)
        keep[1:] = ~exact
        f, c, t, az, el, d, new = f[keep], c[keep], t[keep], az[keep], el[keep], d[keep], new[keep]
        n = len(f)
        new[1:] = ((c[1:] != c[:-1]) | (t[1:] != t[:-1]) | (f[1:] != f[:-1] + 1) | (az[1:] != az[:-1])
                   | (el[1:] != el[:-1]) | (d[1:] != d[:-1]))
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n) - 1
    events = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        try:
            events.append(Event(round(int(f[s]) * hop, 9), round((int(f[e]) + 1) * hop, 9), classes[int(c[s])],
                                azimuth=float(az[s]), elevation=float(el[s]),
                                distance=None if d[s] < 0 else float(d[s]), track=int(t[s])))
        except InputError as exc:
            raise InputError(f"{table.files[0]}: frame {int(f[s])}: {exc}") from None
    events.sort(key=lambda ev: (ev.onset, classes.index(ev.label), ev.track or 0))
    return tuple(events)


def _read_intervals(path: Path, classes: Sequence[str]) -> tuple[Event, ...]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputError(f"{path}: no such metadata file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    if not rows or tuple(x.strip() for x in rows[0]) != INTERVAL_HEADER:
        raise InputError(f"{path} line 1: expected the header {','.join(INTERVAL_HEADER)} (TAU Spatial Sound "
                         "Events 2019 metadata)")
    out = []
    for i, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 6:
            raise InputError(f"{path} line {i}: {len(row)} columns, expected 6 ({','.join(INTERVAL_HEADER)})")
        label = row[0].strip()
        if label not in classes:
            raise InputError(f"{path} line {i}: class {label!r} is not one of the 11 classes ({', '.join(classes)})")
        try:
            on, off, ele, azi, dist = (float(x) for x in row[1:])
        except ValueError:
            raise InputError(f"{path} line {i}: start_time, end_time, ele, azi and dist must be numbers") from None
        if not all(math.isfinite(v) for v in (on, off, ele, azi, dist)):
            raise InputError(f"{path} line {i}: a value is not finite")
        try:
            out.append(Event(on, off, label, azimuth=azi, elevation=ele, distance=dist))
        except InputError as exc:
            raise InputError(f"{path} line {i}: {exc}") from None
    out.sort(key=lambda ev: (ev.onset, classes.index(ev.label)))
    return tuple(out)


def read_events(path: str | Path, metadata_format: str, classes: Sequence[str], *, hop: float = 0.1,
                n_frames: int | None = None) -> tuple[Event, ...]:
    """The events of one metadata file.

    Args:
        path: the CSV file.
        metadata_format: ``"intervals"`` (2019) or ``"frames"`` (2020 onwards).
        classes: class names; the frame format's class column indexes this.
        hop: frame length in seconds of the frame format.
        n_frames: clip length in frames; a row at or past it is refused.

    Raises:
        InputError: a malformed file (the message names the file and line).
    """
    path = Path(path)
    if metadata_format == "intervals":
        return _read_intervals(path, classes)
    if metadata_format != "frames":
        raise InputError(f"unknown SELD metadata format {metadata_format!r}; expected 'intervals' or 'frames'")
    from avbench.metrics.seld.io import read_csv

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such metadata file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    width = first.count(",") + 1
    if first and width not in (5, 6):
        raise InputError(f"{path} line 1: {width} columns; SELD metadata has frame,class,track,azimuth,elevation "
                         "and, in STARSS23 (2024), a sixth column with the distance in cm")
    table = read_csv(path, n_classes=len(classes), classes=tuple(classes), layout="polar",
                     distance_unit="cm", hop=hop, n_frames=n_frames)
    if np.any(table.distance == 0):
        k = int(np.flatnonzero(table.distance == 0)[0])
        raise InputError(f"{path}: row {k + 1} has distance 0 cm; a source distance must be > 0")
    return frames_to_events(table, classes, hop=hop)
