"""SECL-UMONS / AVECL-UMONS on disk: metadata CSVs, per-microphone WAVs and webcam videos -> sequences.

What the dataset's README states (no archive listing was ever published, so the reader discovers
files by name anywhere under the dataset root):

- audio: one mono WAV per microphone of the 7-capsule UMA-8-SP array per sequence,
  ``room<r>_array_micro<m>_<class>_<subclass>_<n>.wav`` (unilabel) and
  ``room<r>_array_micro<m>_<class1>_<class2>_<n>.wav`` (multilabel), 44.1 kHz;
- labels: ``room<r>_metadata_<...>.csv``, one row per sequence: ``File name`` (the WAV name without
  ``_micro<m>``), class, class number, subclass, ``x``, ``y``, ``z`` and the room number, once per
  event (a multilabel CSV names every field twice: by ``first``/``second``, a 1/2 marker, or in
  column order); for AVECL-UMONS, per webcam whether the event is in its field of view (any
  column naming a camera and a digit 1-4, e.g. ``webcam 3``);
- the population (unilabel or multilabel) is the number of events in the CSV; a WAV or video
  belongs to the population named by a directory above it (``Unilabel/``, ``Multilabel/``);
- AVECL-UMONS webcam videos: ``room<r>_webcam<c>_<...>.<mp4|avi|mkv|mov>`` with the same ``<...>``
  as the WAVs (an assumption: the release's video names are not documented anywhere we could
  read; the pattern is data in ``index/layout.json``).

Column names are matched case- and punctuation-insensitively against the aliases in the index.

Directions (thesis Eq. 6.7 takes ``alpha = arctan(y / x)`` straight from the metadata): the room
coordinates are taken to have their origin at the array, which stands at the room centre, with
``x`` the array's front and ``z`` up; ``index/layout.json`` holds the array position per room
(``[0, 0, 0]`` unless corrected). Relative to it, ``azimuth = atan2(y - y0, x - x0)`` (degrees,
counter-clockwise from +x), ``elevation = atan2(z - z0, hypot(x - x0, y - y0))`` and
``distance = |p - p0|`` (metres; the thesis evaluates azimuth only).

Example:
    >>> direction(1.0, 1.0, 0.0)
    (45.0, 0.0, 1.4142135623730951)
    >>> normalise_class("Furniture's drawer")
    'furniture_drawer'
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from avbench.errors import InputError

__all__ = ["layout", "classes", "direction", "normalise_class", "EventRow", "SequenceRow", "read_metadata",
           "scan_media", "population_of"]


@cache
def layout() -> dict[str, Any]:
    """The packaged ``index/layout.json`` (classes, records, patterns, column aliases, split rules)."""
    text = resources.files("avbench.recipes.secl_umons").joinpath("index/layout.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def classes() -> tuple[str, ...]:
    """The 11 classes in the thesis' Table 4.1 order."""
    return tuple(layout()["classes"])


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def normalise_class(name: str) -> str:
    """A class name of the metadata (``"Furniture's drawer"``, ``"hand clap"``) as a label."""
    n = _norm(name)
    aliases = layout()["class_aliases"]
    if n in aliases:
        return str(aliases[n])
    return n.replace(" ", "_")


def direction(x: float, y: float, z: float, origin: Sequence[float] = (0.0, 0.0, 0.0)) -> tuple[float, float, float | None]:
    """``(azimuth, elevation, distance)`` of room point ``(x, y, z)`` seen from ``origin`` (module docstring)."""
    dx, dy, dz = x - origin[0], y - origin[1], z - origin[2]
    horizontal = math.hypot(dx, dy)
    dist = math.sqrt(horizontal * horizontal + dz * dz)
    return math.degrees(math.atan2(dy, dx)), math.degrees(math.atan2(dz, horizontal)), dist if dist > 0 else None


@dataclass(frozen=True)
class EventRow:
    """One event of a sequence as the metadata gives it."""

    label: str
    subclass: str
    x: float
    y: float
    z: float
    cameras: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class SequenceRow:
    """One sequence: ``key`` is ``File name`` without ``.wav`` (``room1_array_0_1_3``)."""

    population: str
    key: str
    room: int
    events: tuple[EventRow, ...]
    source: str
    speaker_text: str | None = None

    @property
    def clip_id(self) -> str:
        return f"{self.population}-{self.key}"


def population_of(path: Path) -> str | None:
    """``unilabel`` / ``multilabel`` when a directory above ``path`` is named for one."""
    for part in reversed(path.parts[:-1]):
        low = part.lower()
        if "multilabel" in low:
            return "multilabel"
        if "unilabel" in low:
            return "unilabel"
    return None


_FIRST = {"first": 0, "1st": 0, "second": 1, "2nd": 1}
_CAMERA = re.compile(r"(?:web ?cam(?:era)?|cam(?:era)?|fov|field of view|view) ?([1-4])\b")


def _classify(header: str) -> tuple[str | None, int | None, int | None]:
    """``(field, event, camera)`` for one column header (``None`` field: not ours)."""
    n = _norm(header)
    event = None
    toks = n.split()
    for i, t in enumerate(toks):
        if t in _FIRST:
            event = _FIRST[t]
            toks = toks[:i] + toks[i + 1:]
            break
    n = " ".join(toks)
    cam = _CAMERA.search(n)
    if cam:
        rest = (n[:cam.start()] + " " + n[cam.end():]).split()
        digits = [int(t) for t in rest if t in ("1", "2")]
        return "camera", event if event is not None else (digits[0] - 1 if digits else None), int(cam.group(1))
    candidates: list[tuple[str, int | None]] = [(n, None)]
    m = re.fullmatch(r"(.*?)\s*([12])", n)
    if m:
        candidates.append((m.group(1).strip(), int(m.group(2)) - 1))
    m = re.fullmatch(r"([12])\s+(.*)", n)
    if m:
        candidates.append((m.group(2), int(m.group(1)) - 1))
    for candidate, marker in candidates:
        for fld, names in layout()["columns"].items():
            if candidate in names:
                return fld, event if event is not None else marker, None
    return None, event, None


_TRUE = {"1", "true", "yes", "y", "x", "visible", "in"}
_FALSE = {"0", "false", "no", "n", "", "-", "not visible", "out"}


def _flag(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise InputError(f"{where}: field-of-view flag {value!r} is not 0/1 (or yes/no, true/false)")


def _number(value: str, where: str, name: str) -> float:
    v = value.strip()
    if "," in v and "." not in v:
        v = v.replace(",", ".")
    try:
        out = float(v)
    except ValueError:
        raise InputError(f"{where}: {name} {value!r} is not a number") from None
    if not math.isfinite(out):
        raise InputError(f"{where}: {name} {value!r} is not finite")
    return out


def read_metadata(path: Path, root: Path) -> list[SequenceRow]:
    """The sequences of one metadata CSV (module docstring); the population is its event count.

    Raises:
        InputError: a required column is missing or a value does not parse (file and line named).
    """
    rel = path.relative_to(root).as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    if not rows:
        raise InputError(f"{rel}: empty metadata file")
    header = rows[0]
    cols: dict[str, list[tuple[int | None, int, str]]] = {}
    cams: list[tuple[int | None, int, int]] = []
    for i, h in enumerate(header):
        fld, event, cam = _classify(h)
        if fld == "camera" and cam is not None:
            cams.append((event, cam, i))
        elif fld is not None:
            cols.setdefault(fld, []).append((event, i, _norm(h)))
    for need in ("file", "x", "y", "z"):
        if need not in cols:
            raise InputError(f"{rel}: no {need!r} column (header {header!r}); expected the SECL-UMONS metadata layout")
    if "class" not in cols and "class_number" not in cols:
        raise InputError(f"{rel}: no class column (header {header!r})")

    xs = cols["x"]
    n_events = len({e for e, _, _ in xs}) if all(e is not None for e, _, _ in xs) else len(xs)

    def by_event(name: str) -> list[int]:
        """One column per event: by marker, else the first header text that occurs once per event."""
        found = cols.get(name, [])
        if found and all(e is not None for e, _, _ in found):
            firsts: dict[int, int] = {}
            for e, i, _ in found:
                firsts.setdefault(int(e), i)  # type: ignore[arg-type]
            return [firsts[e] for e in sorted(firsts)]
        texts = list(dict.fromkeys(h for _, _, h in found))
        for text in texts:
            idx = [i for _, i, h in found if h == text]
            if len(idx) == n_events:
                return idx
        return [i for _, i, _ in found][:n_events]

    if n_events not in (1, 2) or len(by_event("y")) != n_events or len(by_event("z")) != n_events:
        raise InputError(f"{rel}: expected x, y, z once (unilabel) or twice (multilabel), got header {header!r}")
    population = "unilabel" if n_events == 1 else "multilabel"
    class_cols = by_event("class") or by_event("class_number")
    sub_cols = by_event("subclass")
    file_col = by_event("file")[0]
    room_col = by_event("room")[0] if "room" in cols else None
    text_col = by_event("speaker_text")[0] if "speaker_text" in cols else None
    labels = classes()
    out = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{rel}:{line_no}"
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        name = row[file_col].strip()
        key = re.sub(r"_micro\d+", "", Path(name).name)
        key = key[:-4] if key.lower().endswith(".wav") else key
        m = re.match(r"room(\d+)_", key)
        room = int(_number(row[room_col], where, "room number")) if room_col is not None and row[room_col].strip() \
            else int(m.group(1)) if m else None
        if not key or room is None:
            raise InputError(f"{where}: file name {name!r} does not start with room<r>_ and no room number is given")
        events = []
        for k in range(n_events):
            raw = row[class_cols[k]].strip() if k < len(class_cols) else ""
            label = normalise_class(raw)
            if label not in labels:
                raise InputError(f"{where}: class {raw!r} is not one of the {len(labels)} SECL-UMONS classes")
            xyz = [_number(row[by_event(a)[k]], where, a) for a in ("x", "y", "z")]
            cam_flags = {f"webcam{c}": _flag(row[i], where) for e, c, i in cams if e in (None, k)}
            sub = row[sub_cols[k]].strip() if k < len(sub_cols) else ""
            events.append(EventRow(label, sub, *xyz, cameras=cam_flags))
        text_value = row[text_col].strip() if text_col is not None else None
        out.append(SequenceRow(population, key, room, tuple(events), rel, text_value or None))
    return out


def scan_media(root: Path) -> dict[str, dict[tuple[str | None, str], dict[str, str]]]:
    """``{"audio"|"video": {(population, key): {mic or webcam: relative path}}}`` for the files
    under ``root`` whose names match the index patterns (the ``avbench/`` directory is skipped)."""
    pats = layout()["patterns"]
    audio_re, video_re = re.compile(pats["audio"], re.I), re.compile(pats["video"], re.I)
    out: dict[str, dict[tuple[str | None, str], dict[str, str]]] = {"audio": {}, "video": {}}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("avbench", ".avbench") or not path.is_file():
            continue
        pop = population_of(rel)
        m = audio_re.match(path.name)
        if m:
            key = f"room{int(m.group(1))}_array_{m.group(3)}"
            out["audio"].setdefault((pop, key), {})[f"micro{int(m.group(2))}"] = rel.as_posix()
            continue
        m = video_re.match(path.name)
        if m:
            key = f"room{int(m.group(1))}_array_{m.group(3)}"
            out["video"].setdefault((pop, key), {})[f"webcam{int(m.group(2))}"] = rel.as_posix()
    return out


def metadata_files(root: Path) -> list[Path]:
    """The metadata CSVs under ``root`` in name order."""
    pat = re.compile(layout()["patterns"]["metadata"], re.I)
    return sorted((p for p in Path(root).rglob("*.csv") if pat.match(p.name)
                   and p.relative_to(root).parts[0] not in ("avbench", ".avbench")), key=lambda p: p.as_posix())
