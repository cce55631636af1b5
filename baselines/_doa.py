"""Classical direction of arrival on a microphone array (pyroomacoustics' ``doa`` module), shared by
``synth-reference`` and ``seld-srp``: array geometries, the grid search of one source's direction
and the localization of detected events (a clip's array channels: :func:`avbench.audio.read_array`).

Geometries (:data:`GEOMETRIES`, coordinates in metres relative to the array centre, ``x`` front,
``z`` up, azimuth counter-clockwise from ``+x``):

- ``uma8``: the 7-capsule miniDSP UMA-8-SP of ``synth`` and SECL-UMONS, centre capsule first, six
  on a 4.5 cm ring at azimuths 0, 60, ..., 300 deg, all in the horizontal plane
  (:func:`avbench.recipes.synth.render.mic_positions`; SECL-UMONS' ``micro0`` .. ``micro6`` are taken
  in that order: the release does not document the capsule order, so this is an assumption). A planar
  array only resolves ``|elevation|``: the grid covers elevations 0..40 deg.
- ``tetra-em32``: the four-capsule tetrahedral MIC format of the DCASE SELD sets (TAU-SSE 2019 to
  STARSS23): capsules 6, 10, 26, 22 of an Eigenmike em32 at (azimuth, elevation) (45, 35),
  (-45, -35), (135, -35), (-135, 35) deg on a sphere of radius 4.2 cm, channels in that order
  (the releases' READMEs; ``../shared/reference/README.md`` section 4). The grid covers the sphere
  (elevation -90..90 deg).

The search is SRP-PHAT (``"SRP"``) or MUSIC (``"MUSIC"``) from ``pyroomacoustics.doa.algorithms``
over the STFT snapshots of the event's frames, on the ``n_bins`` bins of ``[fmin, fmax]`` Hz with the
most energy.

Example:
    >>> GEOMETRIES["uma8"].mics.shape, GEOMETRIES["tetra-em32"].mics.shape
    ((3, 7), (3, 4))
    >>> round(float(np.linalg.norm(GEOMETRIES["tetra-em32"].mics[:, 0])), 3)
    0.042
    >>> geometry("cube")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: geometry 'cube' is not known; known: tetra-em32, uma8
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import signal as sps

from avbench.errors import InputError
from avbench.extras import require

__all__ = ["ArrayGeometry", "GEOMETRIES", "geometry", "doa_search", "localize_events", "ALGORITHMS"]

ALGORITHMS = ("SRP", "MUSIC")
SOUND_SPEED = 343.0  # m/s
_SEARCH_CACHE: dict[Any, Any] = {}  # pyroomacoustics DOA objects: building the grid costs more than a search


@dataclass(frozen=True)
class ArrayGeometry:
    """A microphone array: ``mics`` ``[3, M]`` (m, relative to the centre) and the elevation range
    its search grid covers (degrees)."""

    name: str
    mics: np.ndarray
    elevations: tuple[float, float]
    description: str


def _tetra() -> np.ndarray:
    ang = np.deg2rad(np.array([[45.0, 35.0], [-45.0, -35.0], [135.0, -35.0], [-135.0, 35.0]]))
    az, el = ang[:, 0], ang[:, 1]
    return 0.042 * np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def _uma8() -> np.ndarray:
    from avbench.recipes.synth.render import mic_positions

    return mic_positions([0.0, 0.0, 0.0])


GEOMETRIES: dict[str, ArrayGeometry] = {
    "uma8": ArrayGeometry("uma8", _uma8(), (0.0, 40.0),
                          "UMA-8-SP: centre + 6 on a 4.5 cm ring, planar (synth render; SECL-UMONS micro0..6)"),
    "tetra-em32": ArrayGeometry("tetra-em32", _tetra(), (-90.0, 90.0),
                                "DCASE MIC format: em32 capsules 6/10/26/22 at (+-45/+-135, +-35) deg, r 4.2 cm"),
}


def geometry(name: str) -> ArrayGeometry:
    """The geometry called ``name`` (:data:`GEOMETRIES`); an :class:`InputError` otherwise."""
    if name not in GEOMETRIES:
        raise InputError(f"geometry {name!r} is not known; known: {', '.join(sorted(GEOMETRIES))}")
    return GEOMETRIES[name]


def doa_search(stft: np.ndarray, geom: ArrayGeometry, *, fs: int, nfft: int, algorithm: str = "SRP",
               n_bins: int = 40, fmin: float = 200.0, fmax: float = 7000.0, az_step: float = 2.0,
               el_step: float = 10.0) -> tuple[float, float]:
    """Azimuth and elevation (degrees) of the dominant source.

    Args:
        stft: ``[M, nfft // 2 + 1, S]`` STFT snapshots of the ``M`` microphones.
        geom: the array (:data:`GEOMETRIES`).
        algorithm: ``"SRP"`` (SRP-PHAT) or ``"MUSIC"``.
        n_bins: the ``n_bins`` bins in ``[fmin, fmax]`` with the most energy are used.
        az_step, el_step: grid steps (degrees); azimuths -180..180, elevations over ``geom.elevations``.
    """
    if algorithm not in ALGORITHMS:
        raise InputError(f"doa algorithm {algorithm!r} is not known; known: {', '.join(ALGORITHMS)}")
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    band = np.flatnonzero((freqs >= fmin) & (freqs <= min(fmax, fs / 2)))
    if len(band) == 0:
        raise InputError(f"doa band {fmin}-{fmax} Hz holds no STFT bin at {fs} Hz with nfft {nfft}")
    power = np.mean(np.abs(stft[:, band, :]) ** 2, axis=(0, 2))
    bins = np.sort(band[np.argsort(power)[::-1][:n_bins]])
    key = (geom.name, geom.mics.tobytes(), fs, nfft, algorithm, az_step, el_step)
    doa = _SEARCH_CACHE.get(key)
    if doa is None:
        pra = require("pyroomacoustics", "core")
        lo, hi = geom.elevations
        colat = np.deg2rad(90.0 - np.arange(hi, lo - 1e-9, -el_step))
        doa = _SEARCH_CACHE[key] = pra.doa.algorithms[algorithm](
            geom.mics, fs, nfft, c=SOUND_SPEED, num_src=1, dim=3,
            azimuth=np.deg2rad(np.arange(-180.0, 180.0, az_step)), colatitude=colat,
        )
    doa.locate_sources(stft, freq_bins=bins)
    az = float(np.rad2deg(doa.azimuth_recon[0]))
    az = (az + 180.0) % 360.0 - 180.0
    el = 90.0 - float(np.rad2deg(doa.colatitude_recon[0]))
    return round(az, 2), round(max(-90.0, min(90.0, el)), 2)


def localize_events(x: np.ndarray, fs: int, events: Sequence[Mapping[str, Any]], geom: ArrayGeometry, *,
                    nfft: int = 512, block: float | None = None, max_snapshots: int = 64,
                    **search: Any) -> list[dict[str, Any]]:
    """Give each detected event a direction from the array signals ``x`` ``[M, N]``.

    An event is first cut into pieces of at most ``block`` seconds (``None``: whole; moving sources
    need short blocks). Each piece is localized by :func:`doa_search` on the STFT frames
    (``nfft`` samples, half overlap) inside it where no other detected event is active (all its
    frames when fewer than 10 are), at most ``max_snapshots`` of them evenly spaced; a piece without
    any frame is dropped. ``search`` goes to :func:`doa_search`.
    """
    if not events:
        return []
    if x.shape[0] != geom.mics.shape[1]:
        raise InputError(f"the audio has {x.shape[0]} channels but geometry {geom.name!r} has "
                         f"{geom.mics.shape[1]} microphones; pick the dataset's array format")
    hop = nfft // 2
    _, _, z = sps.stft(x, fs=fs, nperseg=nfft, noverlap=hop)
    t = np.arange(z.shape[-1]) * hop / fs
    spans = [(float(ev["onset"]), float(ev["offset"])) for ev in events]
    out = []
    for i, ev in enumerate(events):
        others = np.zeros(len(t), bool)
        for j, (on, off) in enumerate(spans):
            if j != i:
                others |= (t >= on) & (t < off)
        on, off = spans[i]
        cuts = [on] if block is None else list(np.arange(on, off, float(block)))
        bounds = list(zip(cuts, [*cuts[1:], off]))
        for lo, hi in bounds:
            inside = (t >= lo) & (t < hi)
            alone = inside & ~others
            frames = np.flatnonzero(alone if alone.sum() >= 10 else inside)
            if len(frames) == 0:
                continue
            frames = frames[:: max(1, len(frames) // max_snapshots)]
            az, el = doa_search(z[:, :, frames], geom, fs=fs, nfft=nfft, **search)
            piece = {**ev, "azimuth": az, "elevation": el}
            if len(bounds) > 1:
                piece["onset"], piece["offset"] = round(float(lo), 4), round(float(hi), 4)
            out.append(piece)
    return out
