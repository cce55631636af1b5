"""SELD CSV readers: every DCASE Task 3 format -> one columnar frame table (:class:`SeldFrames`).

Formats (comma-separated, a header line is detected and skipped):

- frame formats ``frame,class[,track],azimuth,elevation[,distance]`` (2019 output: 4 columns;
  2020-2023: 5; STARSS23/2024: 6 with distance), Cartesian ``frame,class,track,x,y,z[,distance]``
  (6 or 7 columns; a 6-column file is Cartesian when every x, y, z is in [-1, 1]), and the 2025
  stereo layout ``frame,class,source,azimuth,distance,onscreen`` (``layout="stereo"``);
- the 2019 interval format ``class,onset,offset,elevation,azimuth[,distance]`` (TAU 2019
  metadata, header ``sound_event_recording,start_time,end_time,ele,azi,dist``) or
  ``onset,offset,class,elevation,azimuth[,distance]``, rasterised to frames of ``hop`` seconds with
  ``floor(onset/hop) .. ceil(offset/hop)`` inclusive (the DCASE 2019 rule).

Azimuth/elevation are stored in degrees (``angle_unit="rad"`` converts), Cartesian vectors become
``azimuth = atan2(y, x)``, ``elevation = atan2(z, hypot(x, y))``; distances in metres
(``distance_unit="cm"`` divides by 100). Bad input raises a one-line :class:`InputError` naming the
file and line.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mix001.csv"
    >>> _ = p.write_text("0,1,0,30,10\\n1,1,0,32,10\\n")
    >>> t = read_csv(p, n_classes=13)
    >>> t.files, t.frame.tolist(), t.azimuth.tolist()
    (('mix001.csv',), [0, 1], [30.0, 32.0])
    >>> _ = p.write_text("0,20,0,30,10\\n")
    >>> read_csv(p, n_classes=13)
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: ...mix001.csv line 1: class 20 is not a known class index (0..12); ...
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avbench.errors import InputError

__all__ = ["SeldFrames", "read_csv", "read_path", "concat", "from_rows"]

_COLS = ("frame", "cls", "track", "azimuth", "elevation", "distance", "onscreen")


@dataclass(frozen=True)
class SeldFrames:
    """Frame-wise SELD labels of several files as parallel arrays (one row per active source).

    Attributes:
        files: file names (the row ``file`` indexes this), including files with no rows.
        file, frame, cls, track: int64 ``[N]``.
        azimuth, elevation: float64 ``[N]`` degrees.
        distance: float64 ``[N]`` metres, NaN where absent.
        onscreen: int8 ``[N]``: 1 on screen, 0 off screen, -1 unknown.
        n_frames: int64 ``[len(files)]`` clip length in frames, -1 when unknown.
        classes: class names, index = class id.
        hop: frame hop in seconds.
    """

    files: tuple[str, ...]
    file: np.ndarray
    frame: np.ndarray
    cls: np.ndarray
    track: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    distance: np.ndarray
    onscreen: np.ndarray
    n_frames: np.ndarray
    classes: tuple[str, ...]
    hop: float = 0.1

    def __len__(self) -> int:
        return len(self.frame)

    def select(self, names: Sequence[str]) -> SeldFrames:
        """The rows of the named files, re-indexed to ``names`` (absent names get no rows)."""
        pos = {n: i for i, n in enumerate(self.files)}
        remap = np.full(len(self.files) + 1, -1, dtype=np.int64)
        nf = np.full(len(names), -1, dtype=np.int64)
        for j, n in enumerate(names):
            if n in pos:
                remap[pos[n]] = j
                nf[j] = self.n_frames[pos[n]]
        new = remap[self.file]
        keep = new >= 0
        cols = {c: getattr(self, c)[keep] for c in _COLS}
        return SeldFrames(tuple(names), new[keep], n_frames=nf, classes=self.classes, hop=self.hop, **cols)


def from_rows(files, file, frame, cls, azimuth, elevation=None, *, track=None, distance=None, onscreen=None,
              n_frames=None, classes=(), hop=0.1) -> SeldFrames:
    """Build a table from arrays (missing optional columns: track 0, elevation 0, NaN, -1)."""
    n = len(frame)
    z = np.zeros(n)
    return SeldFrames(
        tuple(files), np.asarray(file, dtype=np.int64), np.asarray(frame, dtype=np.int64),
        np.asarray(cls, dtype=np.int64),
        np.zeros(n, dtype=np.int64) if track is None else np.asarray(track, dtype=np.int64),
        np.asarray(azimuth, dtype=float), z if elevation is None else np.asarray(elevation, dtype=float),
        np.full(n, np.nan) if distance is None else np.asarray(distance, dtype=float),
        np.full(n, -1, dtype=np.int8) if onscreen is None else np.asarray(onscreen, dtype=np.int8),
        np.full(len(files), -1, dtype=np.int64) if n_frames is None else np.asarray(n_frames, dtype=np.int64),
        tuple(classes), float(hop),
    )


def concat(tables: Iterable[SeldFrames]) -> SeldFrames:
    """Stack tables of different files (file names must not repeat)."""
    tables = list(tables)
    files: list[str] = []
    parts = {c: [] for c in ("file",) + _COLS}
    nfs = []
    for t in tables:
        for c in _COLS:
            parts[c].append(getattr(t, c))
        parts["file"].append(t.file + len(files))
        files.extend(t.files)
        nfs.append(t.n_frames)
    if len(set(files)) != len(files):
        dup = next(f for f in files if files.count(f) > 1)
        raise InputError(f"SELD input: file name {dup!r} appears twice; file names must be unique across folders")
    first = tables[0] if tables else None
    return SeldFrames(
        tuple(files), *(np.concatenate(parts[c]) if parts[c] else np.zeros(0) for c in ("file",) + _COLS),
        n_frames=np.concatenate(nfs) if nfs else np.zeros(0, dtype=np.int64),
        classes=first.classes if first else (), hop=first.hop if first else 0.1,
    )


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _fail(path: Path, line: int, what: str) -> InputError:
    return InputError(f"{path} line {line}: {what}")


def _class_ids(tokens: np.ndarray, classes: Sequence[str], n_classes: int, path: Path, lines: np.ndarray) -> np.ndarray:
    names = {c: i for i, c in enumerate(classes)}
    out = np.empty(len(tokens), dtype=np.int64)
    for k, tok in enumerate(tokens):
        if tok in names:
            out[k] = names[tok]
            continue
        try:
            v = int(tok)
        except ValueError:
            raise _fail(path, int(lines[k]), f"class {tok!r} is not a known class name; known: {', '.join(classes) or '(indices only)'}") from None
        if not 0 <= v < n_classes:
            raise _fail(path, int(lines[k]), f"class {v} is not a known class index (0..{n_classes - 1}); check the class list / n_classes")
        out[k] = v
    return out


def read_csv(
    path: str | Path,
    *,
    n_classes: int | None = None,
    classes: Sequence[str] = (),
    layout: str = "auto",
    angle_unit: str = "deg",
    distance_unit: str = "m",
    hop: float = 0.1,
    n_frames: int | None = None,
) -> SeldFrames:
    """Read one SELD CSV (any DCASE format, see the module docstring) into a :class:`SeldFrames`.

    Args:
        n_classes: number of classes (defaults to ``len(classes)``).
        classes: class names (needed for the 2019 interval format with class names).
        layout: ``"auto"``, ``"polar"``, ``"cartesian"``, ``"stereo"`` (2025) or ``"interval"``.
        angle_unit: ``"deg"`` or ``"rad"``.
        distance_unit: ``"m"`` or ``"cm"``.
        hop: frame hop in seconds (used to rasterise intervals).
        n_frames: clip length in frames; rows at or past it are refused.

    Raises:
        InputError: unknown class, NaN or out-of-range angle, frame past the clip end, bad column
            count, unknown unit.
    """
    path = Path(path)
    if angle_unit not in ("deg", "rad"):
        raise InputError(f"{path}: angle_unit must be 'deg' or 'rad', got {angle_unit!r}")
    if distance_unit not in ("m", "cm"):
        raise InputError(f"{path}: distance_unit must be 'm' or 'cm', got {distance_unit!r}")
    n_classes = int(n_classes if n_classes is not None else len(classes))
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such SELD CSV file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    fast = None if layout == "interval" else _fast_numeric(text, n_classes)
    if fast is not None:
        num, lines = fast
        width = num.shape[1]
        cls = num[:, 1].astype(np.int64)
    else:
        raw = text.splitlines()
        lines = np.array([i + 1 for i, ln in enumerate(raw) if ln.strip()], dtype=np.int64)
        rows = [raw[i - 1].strip().split(",") for i in lines]
        if rows and _looks_like_header(rows[0]):
            rows, lines = rows[1:], lines[1:]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            bad = next(k for k, r in enumerate(rows) if len(r) != len(rows[0]))
            raise _fail(path, int(lines[bad]), f"{len(rows[bad])} columns where earlier lines have {len(rows[0])}; every line needs the same columns")
        width = widths.pop() if widths else 5
        grid = np.array(rows, dtype=object).reshape(len(rows), width) if rows else np.zeros((0, width), dtype=object)
        if layout == "interval" or (layout == "auto" and len(rows) and not _is_number(rows[0][0])) or (
            layout == "auto" and len(rows) and not _is_number(rows[0][2]) and width in (5, 6)
        ):
            return _read_interval(path, grid, lines, n_classes, classes, angle_unit, distance_unit, hop, n_frames)
        num = _numeric(path, grid, lines, skip=(1,))
        cls = _class_ids(grid[:, 1], classes, n_classes, path, lines)
    frame = num[:, 0]
    if np.any(frame != np.round(frame)) or np.any(frame < 0):
        k = int(np.flatnonzero((frame != np.round(frame)) | (frame < 0))[0])
        raise _fail(path, int(lines[k]), f"frame {frame[k]!r} must be a non-negative integer")
    n = len(num)
    track = np.zeros(n, dtype=np.int64)
    dist = np.full(n, np.nan)
    onscreen = np.full(n, -1, dtype=np.int8)
    el = np.zeros(n)
    if layout == "stereo":
        if width != 6:
            raise _fail(path, int(lines[0]) if n else 1, f"stereo (2025) layout needs 6 columns frame,class,source,azimuth,distance,onscreen, got {width}")
        track, az, dist, onscreen = num[:, 2].astype(np.int64), num[:, 3], num[:, 4], num[:, 5].astype(np.int8)
    elif width == 4:
        az, el = num[:, 2], num[:, 3]
    elif width in (5, 6, 7):
        track = num[:, 2].astype(np.int64)
        xyz = num[:, 3:6] if width >= 6 else None
        cart = layout == "cartesian" or width == 7 or (
            width == 6 and layout == "auto" and n > 0 and bool(np.all(np.abs(xyz) <= 1.0 + 1e-9)) and bool(np.any(xyz != 0))
        )
        if cart:
            x, y, z = num[:, 3], num[:, 4], num[:, 5]
            az = np.arctan2(y, x) * 180 / np.pi
            el = np.arctan2(z, np.sqrt(x**2 + y**2)) * 180 / np.pi
            if width == 7:
                dist = num[:, 6]
        else:
            az, el = num[:, 3], num[:, 4]
            if width == 6:
                dist = num[:, 5]
            if angle_unit == "rad":
                az, el = az * 180 / np.pi, el * 180 / np.pi
    else:
        raise _fail(path, int(lines[0]), f"{width} columns; expected 4 to 7 (frame,class[,track],azimuth,elevation[,distance]) or the interval format")
    if distance_unit == "cm":
        dist = dist / 100
    _check_angles(path, lines, az, el)
    if np.any(dist[~np.isnan(dist)] < 0):
        k = int(np.flatnonzero(dist < 0)[0])
        raise _fail(path, int(lines[k]), f"distance {dist[k]} must be >= 0")
    frame = frame.astype(np.int64)
    if n_frames is not None and n and frame.max() >= n_frames:
        k = int(np.argmax(frame))
        raise _fail(path, int(lines[k]), f"frame {frame[k]} is past the clip end ({n_frames} frames of {hop} s)")
    return from_rows((path.name,), np.zeros(n), frame, cls, az, el, track=track, distance=dist, onscreen=onscreen,
                     n_frames=[-1 if n_frames is None else n_frames], classes=classes, hop=hop)


def _fast_numeric(text: str, n_classes: int):
    """All-numeric files without blank lines in one numpy call; ``None`` -> use the checked path."""
    body = text.strip()
    if not body:
        return None
    first, _, rest = body.partition("\n")
    hdr = 0
    if not _is_number(first.split(",")[0]):
        if not _looks_like_header(first.split(",")):
            return None
        body, hdr = rest.strip(), 1
        if not body:
            return None
    n = body.count("\n") + 1
    flat = body.replace("\r", "").replace("\n", ",")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            arr = np.fromstring(flat, dtype=float, sep=",")  # text mode
    except (ValueError, DeprecationWarning):
        return None
    if arr.size != flat.count(",") + 1 or arr.size % n or not np.isfinite(arr).all():
        return None
    num = arr.reshape(n, arr.size // n)
    if num.shape[1] < 4 or num.shape[1] * n != body.count(",") + n:
        return None
    c = num[:, 1]
    if np.any(c != np.round(c)) or np.any(c < 0) or np.any(c >= n_classes):
        return None
    return num, np.arange(1 + hdr, n + 1 + hdr, dtype=np.int64)


def _looks_like_header(row: list[str]) -> bool:
    return not _is_number(row[0]) and any(t.strip().lower() in ("frame", "start_time", "onset", "sound_event_recording", "class", "metadata_frame_index") for t in row)


def _numeric(path: Path, grid: np.ndarray, lines: np.ndarray, skip: tuple[int, ...] = ()) -> np.ndarray:
    out = np.zeros(grid.shape)
    for j in range(grid.shape[1]):
        if j in skip:
            continue
        try:
            out[:, j] = np.array(grid[:, j], dtype=float)
        except ValueError:
            k = next(i for i, t in enumerate(grid[:, j]) if not _is_number(t))
            raise _fail(path, int(lines[k]), f"column {j + 1} value {grid[k, j]!r} is not a number") from None
    bad = np.isnan(out) | np.isinf(out)
    if bad.any():
        k, j = (int(v[0]) for v in np.nonzero(bad))
        raise _fail(path, int(lines[k]), f"column {j + 1} is {grid[k, j]!r}; angles, distances and times must be finite numbers")
    return out


def _check_angles(path: Path, lines: np.ndarray, az: np.ndarray, el: np.ndarray) -> None:
    bad = (az < -180 - 1e-6) | (az > 360 + 1e-6) | (el < -90 - 1e-6) | (el > 90 + 1e-6)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _fail(path, int(lines[k]), f"azimuth {az[k]} / elevation {el[k]} degrees out of range "
                    "(azimuth [-180, 360], elevation [-90, 90]); radians need angle_unit='rad'")


def _read_interval(path, grid, lines, n_classes, classes, angle_unit, distance_unit, hop, n_frames) -> SeldFrames:
    width = grid.shape[1]
    if width not in (5, 6):
        raise _fail(path, int(lines[0]) if len(lines) else 1, f"interval format needs 5 or 6 columns, got {width}")
    class_first = len(grid) and not _is_number(grid[0, 0])
    ci, on_i = (0, 1) if class_first else (2, 0)
    num = _numeric(path, grid, lines, skip=(ci,))
    onset, offset = num[:, on_i], num[:, on_i + 1]
    el, az = num[:, 3], num[:, 4]
    if angle_unit == "rad":
        az, el = az * 180 / np.pi, el * 180 / np.pi
    dist = num[:, 5] / (100 if distance_unit == "cm" else 1) if width == 6 else np.full(len(grid), np.nan)
    cls = _class_ids(grid[:, ci], classes, n_classes, path, lines)
    bad = (onset < 0) | (offset <= onset)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _fail(path, int(lines[k]), f"onset {onset[k]} s / offset {offset[k]} s: need 0 <= onset < offset")
    _check_angles(path, lines, az, el)
    res = 1.0 / hop  # frames per second; whole numbers are used as such (onset * 50, as DCASE 2019)
    res = float(round(res)) if abs(res - round(res)) < 1e-9 else res
    start = np.floor(onset * res).astype(np.int64)
    end = np.ceil(offset * res).astype(np.int64)
    if n_frames is not None and len(end) and end.max() > n_frames:
        k = int(np.argmax(end))
        raise _fail(path, int(lines[k]), f"offset {offset[k]} s is past the clip end ({n_frames * hop:g} s)")
    counts = end - start + 1
    rep = np.repeat(np.arange(len(start)), counts)
    frame = np.repeat(start, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    if n_frames is not None:  # an offset at the clip end rasterises one frame past it
        keep = frame < n_frames
        rep, frame = rep[keep], frame[keep]
    return from_rows((path.name,), np.zeros(len(rep)), frame, cls[rep], az[rep], el[rep], track=rep, distance=dist[rep],
                     n_frames=[-1 if n_frames is None else n_frames], classes=classes, hop=hop)


def read_path(path: str | Path, **kwargs) -> SeldFrames:
    """Read a CSV file, or every ``*.csv`` under a directory (recursively, matched by file name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.csv"), key=lambda p: p.name)
        if not files:
            raise InputError(f"{path}: no *.csv files found (expected SELD metadata / prediction CSVs)")
        return concat(read_csv(f, **kwargs) for f in files)
    return read_csv(path, **kwargs)
