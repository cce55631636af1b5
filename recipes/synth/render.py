"""Room simulation of ``synth`` clips: a shoebox room and a 7-microphone UMA-8-style array.

Array geometry (metres, relative to the array centre, all in the horizontal plane): channel 0 is
the centre microphone, channels 1-6 lie on a circle of radius :data:`ARRAY_RADIUS` at azimuths
0, 60, ..., 300 degrees (counter-clockwise from +x, the "front"). This follows the miniDSP UMA-8-SP
used by SECL-UMONS (one centre capsule plus a ring of six); the thesis does not give the radius,
about 4.5 cm is the commonly quoted figure and the exact value does not matter for a synthetic set.
The array is planar, so it cannot tell elevation +e from -e; the generator keeps sources at or
above the array plane.

Example:
    >>> mic_positions([0.0, 0.0, 0.0]).shape
    (3, 7)
    >>> bool(np.allclose(np.linalg.norm(mic_positions([0.0, 0.0, 0.0])[:2, 1:], axis=0), ARRAY_RADIUS))
    True
    >>> [round(float(v), 3) for v in source_position([1.0, 1.0, 1.0], azimuth=90.0, elevation=0.0, distance=2.0)]
    [1.0, 3.0, 1.0]
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping, Sequence
from typing import IO, Any

import numpy as np

from avbench.extras import require

__all__ = ["ARRAY_RADIUS", "N_MICS", "MAX_ORDER", "mic_positions", "source_position", "render_audio", "write_npz"]

ARRAY_RADIUS = 0.045  # m
N_MICS = 7
MAX_ORDER = 3  # image-source reflection order: enough reverberation, fast
SOUND_SPEED = 343.0  # m/s
PEAK = 0.7  # clips are scaled so that their peak is at most this (16-bit PCM headroom)


def mic_positions(centre: Sequence[float]) -> np.ndarray:
    """Microphone coordinates ``[3, 7]`` in metres: centre microphone first, then the ring."""
    ang = np.deg2rad(np.arange(6) * 60.0)
    ring = np.stack([ARRAY_RADIUS * np.cos(ang), ARRAY_RADIUS * np.sin(ang), np.zeros(6)])
    rel = np.concatenate([np.zeros((3, 1)), ring], axis=1)
    return rel + np.asarray(centre, dtype=float)[:, None]


def source_position(centre: Sequence[float], *, azimuth: float, elevation: float, distance: float) -> np.ndarray:
    """Cartesian position (m) of a source at ``azimuth``/``elevation`` (deg), ``distance`` (m)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    d = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    return np.asarray(centre, dtype=float) + distance * d


def render_audio(
    scenario: Mapping[str, Any], signals: Sequence[np.ndarray], noise: np.ndarray, *, fs: int, n_samples: int
) -> np.ndarray:
    """Simulate the room: ``[N_MICS, n_samples]`` float32 signals, peak at most :data:`PEAK`.

    Each event ``i`` of ``scenario["events"]`` is a static source playing ``signals[i]`` (times its
    gain) from its onset; ``noise`` ``[N_MICS, n_samples]`` is added at the microphones.
    """
    pra = require("pyroomacoustics", "core")
    room_spec = scenario["room"]
    room = pra.ShoeBox(
        room_spec["size"], fs=fs, materials=pra.Material(room_spec["absorption"]), max_order=MAX_ORDER
    )
    centre = scenario["array_centre"]
    room.add_microphone_array(mic_positions(centre))
    for ev, sig in zip(scenario["events"], signals):
        pos = source_position(centre, azimuth=ev["azimuth"], elevation=ev["elevation"], distance=ev["distance"])
        room.add_source(pos, signal=sig * ev["gain"], delay=ev["onset"])
    room.simulate()
    out = np.zeros((N_MICS, n_samples))
    sim = room.mic_array.signals[:, :n_samples]
    out[:, : sim.shape[1]] = sim
    out *= 4.0  # 1/(4 pi r) spreading leaves events at about -20 dBFS otherwise
    out += noise
    peak = float(np.max(np.abs(out))) or 1.0
    if peak > PEAK:
        out *= PEAK / peak
    return out.astype(np.float32)


def write_npz(fh: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` with fixed zip timestamps (byte-reproducible).

    ``numpy.savez_compressed`` stamps the current time into the archive; this writer does not, so
    the same arrays always give the same bytes. ``numpy.load`` reads the result.
    """
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(arr), allow_pickle=False)
