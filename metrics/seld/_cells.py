"""Cell-level parsing shared by the SELD CSV readers: numbers, class ids, angle ranges, one-line errors.

Every error names the file and the 1-based line, what was expected and what was found.

Example:
    >>> import numpy as np
    >>> from pathlib import Path
    >>> grid = np.array([["0", "dog", "30"], ["1", "2", "-10"]], dtype=object)
    >>> class_ids(grid[:, 1], ("cat", "bird", "dog"), 3, Path("m.csv"), np.array([1, 2])).tolist()
    [2, 2]
    >>> numeric(Path("m.csv"), grid, np.array([1, 2]), skip=(1,))[:, 2].tolist()
    [30.0, -10.0]
    >>> is_number("1e3"), is_number("frame")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avbench.errors import InputError

__all__ = ["fail", "is_number", "class_ids", "numeric", "check_angles", "looks_like_header"]

_HEADER_WORDS = ("frame", "start_time", "onset", "sound_event_recording", "class", "metadata_frame_index")


def is_number(tok: str) -> bool:
    """Whether ``float(tok)`` succeeds."""
    try:
        float(tok)
    except ValueError:
        return False
    return True


def fail(path: Path, line: int, what: str) -> InputError:
    """The one-line error ``"<path> line <n>: <what>"``."""
    return InputError(f"{path} line {line}: {what}")


def looks_like_header(row: list[str]) -> bool:
    """A first row that names columns (DCASE headers) rather than holding numbers."""
    return not is_number(row[0]) and any(t.strip().lower() in _HEADER_WORDS for t in row)


def class_ids(tokens: np.ndarray, classes: Sequence[str], n_classes: int, path: Path, lines: np.ndarray) -> np.ndarray:
    """Class names or indices -> int64 class ids (names looked up in ``classes``)."""
    names = {c: i for i, c in enumerate(classes)}
    out = np.empty(len(tokens), dtype=np.int64)
    for k, tok in enumerate(tokens):
        if tok in names:
            out[k] = names[tok]
            continue
        try:
            v = int(tok)
        except ValueError:
            raise fail(path, int(lines[k]), f"class {tok!r} is not a known class name; known: {', '.join(classes) or '(indices only)'}") from None
        if not 0 <= v < n_classes:
            raise fail(path, int(lines[k]), f"class {v} is not a known class index (0..{n_classes - 1}); check the class list / n_classes")
        out[k] = v
    return out


def numeric(path: Path, grid: np.ndarray, lines: np.ndarray, skip: tuple[int, ...] = ()) -> np.ndarray:
    """The string grid as float64 (columns in ``skip`` left 0); non-numbers and NaN/inf refused."""
    out = np.zeros(grid.shape)
    for j in range(grid.shape[1]):
        if j in skip:
            continue
        try:
            out[:, j] = np.array(grid[:, j], dtype=float)
        except ValueError:
            k = next(i for i, t in enumerate(grid[:, j]) if not is_number(t))
            raise fail(path, int(lines[k]), f"column {j + 1} value {grid[k, j]!r} is not a number") from None
    bad = np.isnan(out) | np.isinf(out)
    if bad.any():
        k, j = (int(v[0]) for v in np.nonzero(bad))
        raise fail(path, int(lines[k]), f"column {j + 1} is {grid[k, j]!r}; angles, distances and times must be finite numbers")
    return out


def check_angles(path: Path, lines: np.ndarray, az: np.ndarray, el: np.ndarray) -> None:
    """Refuse azimuths outside [-180, 360] or elevations outside [-90, 90] degrees."""
    bad = (az < -180 - 1e-6) | (az > 360 + 1e-6) | (el < -90 - 1e-6) | (el > 90 + 1e-6)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise fail(path, int(lines[k]), f"azimuth {az[k]} / elevation {el[k]} degrees out of range "
                   "(azimuth [-180, 360], elevation [-90, 90]); radians need angle_unit='rad'")
