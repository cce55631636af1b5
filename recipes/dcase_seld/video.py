"""STARSS23 360-degree video: the ``has_video`` mask and tiny equirectangular toy videos.

STARSS23 ships ``video_dev/<folder>/<clip>.mp4`` and ``video_eval/<clip>.mp4``: equirectangular
360-degree video, 1920x960 at 29.97 fps (30000/1001), for most recordings; 12 development
recordings (``fold3_room21_mix001``-``012``) have audio and no video. ``avbench download starss23
--parts video`` probes every video once (open, find a video stream, decode one frame: the AVE probe,
:func:`avbench.recipes.ave.media.probe_video`) and records its status, size and frame rate in
``avbench/video_status.json``; the loader reads that file (and takes a clip's duration from its
video when neither audio nor labels are on disk). Without it a video counts as present when
its file exists and is not empty.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> read_status(root)
    {}
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require
from avbench.io import read_json, write_json

__all__ = ["STATUS_FILE", "probe_360", "write_status", "read_status", "write_toy_360"]

STATUS_FILE = "avbench/video_status.json"
NTSC = Fraction(30000, 1001)


def probe_360(path: Path) -> dict[str, Any]:
    """``{"status": "ok" | "missing" | "undecodable: ...", "width", "height", "fps", "duration"}`` of
    one video (``duration`` in seconds, from the stream, else the container, else ``None``)."""
    from avbench.recipes.ave.media import probe_video

    status = probe_video(path)
    out: dict[str, Any] = {"status": status}
    if status != "ok":
        return out
    av = require("av", "video")
    with av.open(str(path)) as container:
        s = container.streams.video[0]
        rate = s.average_rate or s.base_rate
        seconds = float(s.duration * s.time_base) if s.duration and s.time_base else (
            container.duration / 1e6 if container.duration else None)
        out.update(width=int(s.codec_context.width), height=int(s.codec_context.height),
                   fps=round(float(rate), 3) if rate else None, duration=seconds)
    return out


def write_status(root: Path, videos: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Probe each ``{clip id: path}`` and write :data:`STATUS_FILE` atomically."""
    status = {cid: probe_360(path) for cid, path in sorted(videos.items())}
    write_json(Path(root) / STATUS_FILE, {"version": 1, "videos": status})
    return status


def read_status(root: Path) -> dict[str, dict[str, Any]]:
    """The recorded probe results (``{}`` when none were recorded)."""
    path = Path(root) / STATUS_FILE
    if not path.is_file():
        return {}
    data = read_json(path)
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, dict):
        raise InputError(f"{path}: expected {{'version': 1, 'videos': {{...}}}}; delete it and run "
                         "`avbench download starss23 --parts video` again")
    return videos


def write_toy_360(path: Path, *, seconds: float = 1.0, width: int = 64, seed: int = 0) -> None:
    """A tiny equirectangular (2:1) MPEG-4 video at 29.97 fps whose frame ``i`` is a horizontal
    gradient shifted by ``seed + i`` columns (a camera panning through 360 degrees)."""
    av = require("av", "video")
    if width % 4:
        raise InputError(f"toy 360 video: width must be a multiple of 4, got {width}")
    height = width // 2
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.mp4")
    ramp = (np.arange(width) * 256 // width).astype(np.uint8)
    with av.open(str(tmp), "w") as c:
        v = c.add_stream("mpeg4", rate=NTSC)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        for i in range(max(1, round(seconds * float(NTSC)))):
            row = np.roll(ramp, seed + i)
            img = np.repeat(np.repeat(row[None, :, None], height, axis=0), 3, axis=2)
            for p in v.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    tmp.replace(path)
