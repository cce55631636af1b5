"""Tiny videos of ``synth`` clips: a pinhole camera at the array, looking at azimuth 0.

The camera sits at the array centre, looks along +x (azimuth 0, elevation 0) and has a square
image of :data:`SIZE` pixels with a horizontal and vertical field of view of :data:`FOV` degrees.
A source in direction ``d = (cos e cos a, cos e sin a, sin e)`` projects to column
``u = c - f d_y / d_x`` and row ``v = c - f d_z / d_x`` with ``c = SIZE / 2`` and
``f = c / tan(FOV / 2)``; it is in view when ``d_x > 0`` and ``(u, v)`` lies in the image (so a
source to the left, positive azimuth, appears left of centre). An active source in view is drawn
as a disc of its class colour, radius ``ceil(8 / distance)`` pixels.

Example:
    >>> project(0.0, 0.0)
    (32.0, 32.0)
    >>> u, v = project(30.0, 0.0)
    >>> u < 32.0
    True
    >>> project(120.0, 0.0) is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["SIZE", "FPS", "FOV", "project", "render_video"]

SIZE = 64
FPS = 5
FOV = 120.0  # degrees, horizontal and vertical
_FOCAL = (SIZE / 2) / math.tan(math.radians(FOV / 2))

CLASS_COLOURS = {
    "beep": (230, 40, 40),
    "chirp": (40, 200, 60),
    "clicks": (50, 80, 240),
    "hum": (240, 220, 40),
    "hiss": (220, 60, 220),
    "trill": (40, 220, 230),
}
_SCENE_BACKGROUND = {"office": (90, 100, 120), "street": (60, 60, 60), "hall": (150, 130, 100)}


def project(azimuth: float, elevation: float) -> tuple[float, float] | None:
    """Image coordinates ``(u, v)`` (column, row; pixels) of a direction, ``None`` out of view."""
    az, el = math.radians(azimuth), math.radians(elevation)
    dx, dy, dz = math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)
    if dx <= 1e-9:
        return None
    u = SIZE / 2 - _FOCAL * dy / dx
    v = SIZE / 2 - _FOCAL * dz / dx
    if not (0.0 <= u < SIZE and 0.0 <= v < SIZE):
        return None
    return (round(u, 6), round(v, 6))


def _background(scene: str) -> np.ndarray:
    base = np.array(_SCENE_BACKGROUND[scene], dtype=float)
    shade = np.linspace(1.15, 0.7, SIZE)[:, None, None]  # brighter at the top
    img = np.broadcast_to(base * shade, (SIZE, SIZE, 3)).copy()
    if scene == "street":
        img[int(SIZE * 0.7) :, :, :] = (35, 35, 40)  # the road
    return np.clip(img, 0, 255).astype(np.uint8)


def render_video(
    scenario: Mapping[str, Any], *, duration: float, dropout: Sequence[bool] | None = None
) -> dict[str, np.ndarray]:
    """Frames and visibility of one clip.

    Args:
        scenario: from :func:`recipes._synth_sounds.sample_scenario`.
        duration: clip length in seconds (frames at ``k / FPS``).
        dropout: per second, ``True`` where the camera is off (black frames).

    Returns:
        ``{"frames": uint8 [T, SIZE, SIZE, 3], "visible": bool [T, n_events] (active, in view and
        camera on), "in_view": bool [n_events], "positions": float32 [n_events, 2] (u, v; -1 out of
        view), "fps": int}``.
    """
    n_frames = int(round(duration * FPS))
    events = scenario["events"]
    times = np.arange(n_frames) / FPS
    bg = _background(scenario["scene"])
    frames = np.repeat(bg[None], n_frames, axis=0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    positions = np.full((len(events), 2), -1.0, dtype=np.float32)
    visible = np.zeros((n_frames, len(events)), dtype=bool)
    camera_on = np.ones(n_frames, dtype=bool)
    if dropout is not None:
        camera_on = ~np.asarray(dropout, dtype=bool)[np.minimum(times.astype(int), len(dropout) - 1)]
    for i, ev in enumerate(events):
        uv = project(ev["azimuth"], ev["elevation"])
        if uv is None:
            continue
        positions[i] = uv
        active = (times >= ev["onset"]) & (times < ev["offset"]) & camera_on
        visible[:, i] = active
        radius = math.ceil(8.0 / ev["distance"])
        disc = (xx + 0.5 - uv[0]) ** 2 + (yy + 0.5 - uv[1]) ** 2 <= radius**2
        sel = frames[active]
        sel[:, disc] = CLASS_COLOURS[ev["label"]]
        frames[active] = sel
    frames[~camera_on] = 0
    return {
        "frames": frames,
        "visible": visible,
        "in_view": positions[:, 0] >= 0,
        "positions": positions,
        "fps": np.array(FPS),
    }
