"""SELD CSV readers: every DCASE Task 3 format -> one columnar frame table (:class:`SeldFrames`).

Formats (comma-separated, a header line is detected and skipped):

- frame formats ``frame,class[,track],azimuth,elevation[,distance]`` (2019 output: 4 columns;
  2020-2023: 5; STARSS23/2024: 6 with distance), Cartesian ``frame,class,track,x,y,z[,distance]``
  (6 or 7 columns; a 6-column file is Cartesian when every x, y, z is in [-1, 1]), and the 2025
  stereo layout ``frame,class,source,azimuth,distance,onscreen`` (``layout="stereo"``);
- the 2019 interval format ``class,onset,offset,elevation,azimuth[,distance]`` (TAU 2019
  metadata), rasterised to frames of ``hop`` seconds by :mod:`avbench.metrics.seld._interval`.

The table itself (:class:`SeldFrames`, :func:`from_rows`, :func:`concat`) lives in
:mod:`avbench.metrics.seld.frames` and is re-exported here.

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

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld._cells import check_angles, class_ids, fail, is_number, looks_like_header, numeric
from avbench.metrics.seld.frames import SeldFrames, concat, from_rows
from avbench.metrics.seld._interval import read_interval

__all__ = ["SeldFrames", "read_csv", "read_path", "concat", "from_rows"]


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
    _refuse_sed_tsv(path, text)
    fast = None if layout == "interval" else _fast_numeric(text, n_classes)
    if fast is not None:
        num, lines = fast
        width = num.shape[1]
        cls = num[:, 1].astype(np.int64)
    else:
        raw = text.splitlines()
        lines = np.array([i + 1 for i, ln in enumerate(raw) if ln.strip()], dtype=np.int64)
        rows = [raw[i - 1].strip().split(",") for i in lines]
        if rows and looks_like_header(rows[0]):
            rows, lines = rows[1:], lines[1:]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            bad = next(k for k, r in enumerate(rows) if len(r) != len(rows[0]))
            raise fail(path, int(lines[bad]), f"{len(rows[bad])} columns where earlier lines have {len(rows[0])}; every line needs the same columns")
        width = widths.pop() if widths else 5
        grid = np.array(rows, dtype=object).reshape(len(rows), width) if rows else np.zeros((0, width), dtype=object)
        if layout == "interval" or (layout == "auto" and len(rows) and not is_number(rows[0][0])) or (
            layout == "auto" and len(rows) and not is_number(rows[0][2]) and width in (5, 6)
        ):
            return read_interval(path, grid, lines, n_classes=n_classes, classes=classes, angle_unit=angle_unit,
                                 distance_unit=distance_unit, hop=hop, n_frames=n_frames)
        num = numeric(path, grid, lines, skip=(1,))
        cls = class_ids(grid[:, 1], classes, n_classes, path, lines)
    frame = num[:, 0]
    if np.any(frame != np.round(frame)) or np.any(frame < 0):
        k = int(np.flatnonzero((frame != np.round(frame)) | (frame < 0))[0])
        raise fail(path, int(lines[k]), f"frame {float(frame[k]):g} must be a non-negative integer")
    n = len(num)
    if n == 0:  # an empty or header-only file: no detections (what the official baselines write then)
        return from_rows((path.name,), [], [], [], [], [], n_frames=[-1 if n_frames is None else n_frames],
                         classes=classes, hop=hop)
    track = np.zeros(n, dtype=np.int64)
    dist = np.full(n, np.nan)
    onscreen = np.full(n, -1, dtype=np.int8)
    el = np.zeros(n)
    if layout == "stereo":
        if width != 6:
            raise fail(path, int(lines[0]) if n else 1, f"stereo (2025) layout needs 6 columns frame,class,source,azimuth,distance,onscreen, got {width}")
        track, az, dist, onscreen = num[:, 2].astype(np.int64), num[:, 3], num[:, 4], num[:, 5].astype(np.int8)
        if angle_unit == "rad":
            az = az * 180 / np.pi
        if np.any(np.abs(az) > 180 + 1e-6):
            k = int(np.flatnonzero(np.abs(az) > 180 + 1e-6)[0])
            raise fail(path, int(lines[k]), f"azimuth {float(az[k]):g} degrees is outside [-180, 180] (stereo 2025 layout)")
        if np.any((onscreen != 0) & (onscreen != 1)):
            k = int(np.flatnonzero((onscreen != 0) & (onscreen != 1))[0])
            raise fail(path, int(lines[k]), f"onscreen {float(num[k, 5]):g} must be 0 or 1 (stereo 2025 layout)")
    elif width == 4:
        az, el = num[:, 2], num[:, 3]
    elif width in (5, 6, 7):
        track = num[:, 2].astype(np.int64)
        xyz = num[:, 3:6] if width >= 6 else None
        cart = width == 7 or (width == 6 and layout == "cartesian") or (
            width == 6 and layout == "auto" and n > 0 and bool(np.all(np.abs(xyz) <= 1.0 + 1e-9)) and bool(np.any(xyz != 0))
        )
        if cart and width == 6 and layout == "cartesian" and np.any(np.abs(xyz) > 1.0 + 1e-6):
            k = int(np.flatnonzero(np.any(np.abs(xyz) > 1.0 + 1e-6, axis=1))[0])
            raise fail(path, int(lines[k]), f"x,y,z = {', '.join(f'{float(v):g}' for v in xyz[k])} is not a unit vector: "
                       "6 columns are read as the Cartesian layout frame,class,track,x,y,z (DCASE 2020-2022); a "
                       "polar+distance file (2023-2024) is another edition's layout: pass -o layout=polar to read it so")
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
        raise fail(path, int(lines[0]), f"{width} columns; expected 4 to 7 (frame,class[,track],azimuth,elevation[,distance]) or the interval format")
    if distance_unit == "cm":
        dist = dist / 100
    check_angles(path, lines, az, el)
    if np.any(dist[~np.isnan(dist)] < 0):
        k = int(np.flatnonzero(dist < 0)[0])
        raise fail(path, int(lines[k]), f"distance {dist[k]} must be >= 0")
    frame = frame.astype(np.int64)
    if n_frames is not None and n and frame.max() >= n_frames:
        k = int(np.argmax(frame))
        raise fail(path, int(lines[k]), f"frame {frame[k]} is past the clip end ({n_frames} frames of {hop} s)")
    return from_rows((path.name,), np.zeros(n), frame, cls, az, el, track=track, distance=dist, onscreen=onscreen,
                     n_frames=[-1 if n_frames is None else n_frames], classes=classes, hop=hop)


def _refuse_sed_tsv(path: Path, text: str) -> None:
    """Refuse a TAB-separated file (a DCASE SED detections / reference TSV) with the formats involved."""
    lines = text[:4096].splitlines()  # the first line with text is near the top: do not split the whole file
    n = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if n is None or n == len(lines) - 1:  # not found, or possibly cut by the prefix: look at every line
        lines = text.splitlines()
        n = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if n is None:
        return
    first = lines[n]
    if "\t" in first or "event_label" in first.lower():
        raise fail(path, n + 1, f"{first.strip()[:60]!r} looks like a DCASE sound event detection TSV (TAB separated, "
                   "filename onset offset event_label); SELD metrics read comma-separated rows frame,class,track,"
                   "azimuth,elevation[,distance] (or the 2019 intervals class,onset,offset,elevation,azimuth)")


def _fast_numeric(text: str, n_classes: int):
    """All-numeric files without blank lines in one numpy call; ``None`` -> use the checked path."""
    body = text.strip()
    if not body:
        return None
    first, _, rest = body.partition("\n")
    hdr = 0
    if not is_number(first.split(",")[0]):
        if not looks_like_header(first.split(",")):
            return None
        body, hdr = rest.strip(), 1
        if not body:
            return None
    n = body.count("\n") + 1
    num = _integers(body, n)
    if num is None:
        try:  # numpy's C reader (about twice np.fromstring's speed); values are correctly rounded as strtod's
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                num = np.loadtxt(io.StringIO(body), dtype=float, delimiter=",", comments=None, ndmin=2)
        except (ValueError, UserWarning, DeprecationWarning):
            return None
        # blank lines (skipped by loadtxt) would shift the line numbers: only a row per line is accepted
        if num.shape[0] != n or num.size != body.count(",") + n or not np.isfinite(num).all():
            return None
    if num.shape[1] < 4:
        return None
    c = num[:, 1]
    if np.any(c != np.round(c)) or np.any(c < 0) or np.any(c >= n_classes):
        return None
    return num, np.arange(1 + hdr, n + 1 + hdr, dtype=np.int64)


_INT_TEXT = b"0123456789,-\n"


def _integers(body: str, n: int) -> np.ndarray | None:
    """A body of ``n`` rows of comma-separated integers as float64 ``[n, width]``, else ``None``.

    Reference files are integers; numpy's C integer reader takes about half the time of ``loadtxt``
    on them. Only digits, ``-``, ``,`` and newlines qualify, every row with the same number of fields,
    each field at most 15 characters (exact in float64), every ``-`` followed by a digit 1-9 (no ``-0``,
    whose sign ``loadtxt`` keeps), so the values equal ``loadtxt``'s; anything else returns ``None`` (the caller's general path).

    Example:
        >>> _integers("0,1,0,30,-10\\n1,1,0,31,-10", 2)[:, 4].tolist(), _integers("0,1\\n2", 2)
        ([-10.0, -10.0], None)
    """
    if not body.isascii():
        return None
    raw = body.encode("ascii")
    if raw.translate(None, _INT_TEXT):
        return None
    b = np.frombuffer(raw, dtype=np.uint8)
    after = b[np.flatnonzero(b == 45) + 1] if b[-1] != 45 else np.zeros(1, dtype=np.uint8)
    if ((after < 49) | (after > 57)).any():  # a '-' not followed by 1-9 ('-0', '-,'): loadtxt reads it otherwise
        return None
    sep = np.flatnonzero((b == 44) | (b == 10))
    width = (len(sep) + 1) // n
    if len(sep) + 1 != n * width or len(sep) and max(int(sep[0]), len(b) - 1 - int(sep[-1]),
                                                     int((sep[1:] - sep[:-1]).max(initial=1)) - 1) > 15:
        return None
    if not np.array_equal(np.flatnonzero(b[sep] == 10), np.arange(width - 1, n * width - 1, width)):
        return None  # a row with another number of fields
    try:
        v = np.fromstring(raw.replace(b"\n", b","), dtype=np.int64, sep=",")
    except ValueError:  # an empty field, a '-' inside a number
        return None
    return v.reshape(n, width).astype(float) if len(v) == n * width else None


def read_path(path: str | Path, **kwargs) -> SeldFrames:
    """Read a CSV file, or every ``*.csv`` under a directory (recursively, matched by file name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.csv"), key=lambda p: p.name)
        if not files:
            raise InputError(f"{path}: no *.csv files found (expected SELD metadata / prediction CSVs)")
        return concat(read_csv(f, **kwargs) for f in files)
    return read_csv(path, **kwargs)
