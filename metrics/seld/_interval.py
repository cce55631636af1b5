"""The DCASE 2019 interval format (TAU Spatial Sound Events 2019 metadata), rasterised to frames.

Rows are ``class,onset,offset,elevation,azimuth[,distance]`` (the TAU 2019 metadata, header
``sound_event_recording,start_time,end_time,ele,azi,dist``) or
``onset,offset,class,elevation,azimuth[,distance]``. Each event becomes frames
``floor(onset / hop) .. ceil(offset / hop)`` inclusive (the DCASE 2019 rule, with ``1 / hop`` used
as a whole number of frames per second when it is one); its track is its row index. With a known
clip length ``n_frames`` the frame one past an offset at the clip end is dropped, and an offset
after the clip end is refused.

Example:
    >>> import numpy as np
    >>> from pathlib import Path
    >>> grid = np.array([["dog", "0.0", "0.05", "10", "30"]], dtype=object)
    >>> t = read_interval(Path("m.csv"), grid, np.array([2]), n_classes=1, classes=("dog",), hop=0.02)
    >>> t.frame.tolist(), t.azimuth.tolist(), t.elevation.tolist()
    ([0, 1, 2, 3], [30.0, 30.0, 30.0, 30.0], [10.0, 10.0, 10.0, 10.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avbench.metrics.seld._cells import check_angles, class_ids, fail, is_number, numeric
from avbench.metrics.seld.frames import SeldFrames, from_rows

__all__ = ["read_interval"]


def read_interval(
    path: Path,
    grid: np.ndarray,
    lines: np.ndarray,
    *,
    n_classes: int,
    classes: Sequence[str] = (),
    angle_unit: str = "deg",
    distance_unit: str = "m",
    hop: float = 0.1,
    n_frames: int | None = None,
) -> SeldFrames:
    """Rasterise the interval rows of one file (``grid``: strings ``[rows, 5 or 6]``, header removed).

    Args:
        path: the file (named in errors); lines: the 1-based line number of each row.
        Others as :func:`avbench.metrics.seld.io.read_csv`.

    Raises:
        InputError: wrong column count, unknown class, ``onset >= offset``, angle out of range,
            offset past the clip end.
    """
    width = grid.shape[1]
    if width not in (5, 6):
        raise fail(path, int(lines[0]) if len(lines) else 1, f"interval format needs 5 or 6 columns, got {width}")
    class_first = len(grid) and not is_number(grid[0, 0])
    ci, on_i = (0, 1) if class_first else (2, 0)
    num = numeric(path, grid, lines, skip=(ci,))
    onset, offset = num[:, on_i], num[:, on_i + 1]
    el, az = num[:, 3], num[:, 4]
    if angle_unit == "rad":
        az, el = az * 180 / np.pi, el * 180 / np.pi
    dist = num[:, 5] / (100 if distance_unit == "cm" else 1) if width == 6 else np.full(len(grid), np.nan)
    cls = class_ids(grid[:, ci], classes, n_classes, path, lines)
    bad = (onset < 0) | (offset <= onset)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise fail(path, int(lines[k]), f"onset {onset[k]} s / offset {offset[k]} s: need 0 <= onset < offset")
    check_angles(path, lines, az, el)
    res = 1.0 / hop  # frames per second; whole numbers are used as such (onset * 50, as DCASE 2019)
    res = float(round(res)) if abs(res - round(res)) < 1e-9 else res
    start = np.floor(onset * res).astype(np.int64)
    end = np.ceil(offset * res).astype(np.int64)
    if n_frames is not None and len(end) and end.max() > n_frames:
        k = int(np.argmax(end))
        raise fail(path, int(lines[k]), f"offset {offset[k]} s is past the clip end ({n_frames * hop:g} s)")
    counts = end - start + 1
    rep = np.repeat(np.arange(len(start)), counts)
    frame = np.repeat(start, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    if n_frames is not None:  # an offset at the clip end rasterises one frame past it
        keep = frame < n_frames
        rep, frame = rep[keep], frame[keep]
    return from_rows((path.name,), np.zeros(len(rep)), frame, cls[rep], az[rep], el[rep], track=rep, distance=dist[rep],
                     n_frames=[-1 if n_frames is None else n_frames], classes=classes, hop=hop)
