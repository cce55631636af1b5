"""Sound classes, scenes and clip scenarios of the synthetic benchmark ``synth``.

Everything here is a pure function of a :class:`numpy.random.Generator`, so a clip is a pure
function of ``(seed, clip index)``.

Six event classes with distinct spectro-temporal shapes (16 kHz):

========  =========================================================================
class     shape
========  =========================================================================
beep      steady tone, f0 in 850-1150 Hz, two harmonics
chirp     rising sweeps 400 -> 2400 Hz, 0.4-0.6 s each
clicks    broadband decaying clicks at 7-12 per second
hum       120-160 Hz harmonic buzz (up to 1.2 kHz), 2-4 Hz amplitude modulation
hiss      band-pass noise 3-6 kHz
trill     tone at 2.2-2.8 kHz frequency-modulated by +-300 Hz at 10-14 Hz
========  =========================================================================

Three scenes change the class priors, the room (size, absorption) and the background noise
colour, so scene classification is learnable from audio alone.

Example:
    >>> rng = np.random.default_rng(0)
    >>> sc = sample_scenario(rng, scene=1)
    >>> sc["scene"], 1 <= len(sc["events"]) <= MAX_EVENTS
    ('street', True)
    >>> synth_signal("beep", 0.5, np.random.default_rng(1)).shape
    (8000,)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "FS",
    "CLIP_SECONDS",
    "CLASSES",
    "SCENES",
    "SCENE_PRIORS",
    "ROOMS",
    "MAX_EVENTS",
    "synth_signal",
    "background_noise",
    "sample_scenario",
]

FS = 16000
CLIP_SECONDS = 10
CLASSES = ("beep", "chirp", "clicks", "hum", "hiss", "trill")
SCENES = ("office", "street", "hall")
MAX_EVENTS = 4
MAX_POLYPHONY = 2
SAME_CLASS_GAP = 0.5  # s: events of one class never overlap or touch (SED metrics require it)

# Class priors per scene (rows sum to 1): each scene favours two classes.
SCENE_PRIORS = np.array(
    [
        [0.30, 0.05, 0.30, 0.05, 0.20, 0.10],  # office: beep, clicks, hiss
        [0.05, 0.30, 0.05, 0.40, 0.15, 0.05],  # street: hum, chirp
        [0.15, 0.25, 0.05, 0.05, 0.05, 0.45],  # hall: trill, chirp
    ]
)
# Room per scene: size (m) range and wall energy absorption.
ROOMS = (
    {"size": ((5.0, 6.0), (4.0, 5.0), (2.8, 3.2)), "absorption": 0.45},
    {"size": ((9.0, 11.0), (7.0, 9.0), (3.8, 4.5)), "absorption": 0.75},
    {"size": ((8.0, 9.0), (6.0, 7.0), (4.0, 5.0)), "absorption": 0.20},
)
# Background noise: spectral slope (power ~ f**slope) and level (RMS) per scene.
_NOISE = ((-1.0, 0.004), (-2.0, 0.012), (0.0, 0.003))
ARRAY_HEIGHT = 1.0  # m, the array lies on a table at the room centre


def _envelope(n: int, fade: int) -> np.ndarray:
    env = np.ones(n)
    f = max(1, min(fade, n // 2))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, f))
    env[:f] = ramp
    env[n - f :] = ramp[::-1]
    return env


def synth_signal(label: str, duration: float, rng: np.random.Generator) -> np.ndarray:
    """One event of class ``label``: float64 ``[round(duration * FS)]``, peak about 1.

    Raises:
        KeyError: for a label outside :data:`CLASSES`.
    """
    n = int(round(duration * FS))
    t = np.arange(n) / FS
    if label == "beep":
        f0 = rng.uniform(850, 1150)
        x = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t) + 0.25 * np.sin(6 * np.pi * f0 * t)
    elif label == "chirp":
        period = rng.uniform(0.4, 0.6)
        phase_t = np.mod(t, period)
        f_lo, f_hi = 400.0, 2400.0
        inst = f_lo + (f_hi - f_lo) * phase_t / period
        x = np.sin(2 * np.pi * np.cumsum(inst) / FS) * _sweep_gate(phase_t, period)
    elif label == "clicks":
        rate = rng.uniform(7, 12)
        x = np.zeros(n)
        starts = (np.arange(0.0, duration, 1.0 / rate) * FS).astype(int)
        click = rng.standard_normal(int(0.012 * FS)) * np.exp(-np.arange(int(0.012 * FS)) / (0.002 * FS))
        for s in starts:
            seg = click[: n - s]
            x[s : s + len(seg)] += seg
    elif label == "hum":
        f0 = rng.uniform(120, 160)
        x = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, int(1200 // f0) + 1))
        x = x * (0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(2, 4) * t))
    elif label == "hiss":
        from scipy import signal as sps  # here, not at module level: discovering recipes must stay light

        sos = sps.butter(4, [3000, 6000], btype="bandpass", fs=FS, output="sos")
        x = sps.sosfilt(sos, rng.standard_normal(n))
    elif label == "trill":
        fc, rate = rng.uniform(2200, 2800), rng.uniform(10, 14)
        inst = fc + 300.0 * np.sin(2 * np.pi * rate * t)
        x = np.sin(2 * np.pi * np.cumsum(inst) / FS)
    else:
        raise KeyError(label)
    x = np.asarray(x, dtype=np.float64) * _envelope(n, int(0.01 * FS))
    peak = np.max(np.abs(x)) or 1.0
    return x / peak


def _sweep_gate(phase_t: np.ndarray, period: float) -> np.ndarray:
    """A short fade at both ends of every sweep (no clicks at the wrap-around)."""
    edge = 0.02
    return np.clip(np.minimum(phase_t, period - phase_t) / edge, 0.0, 1.0)


def background_noise(scene: int, n_channels: int, rng: np.random.Generator) -> np.ndarray:
    """Scene noise ``[n_channels, CLIP_SECONDS * FS]``: coloured noise, independent per channel."""
    slope, level = _NOISE[scene]
    n = CLIP_SECONDS * FS
    spec = np.fft.rfft(rng.standard_normal((n_channels, n)), axis=1)
    f = np.fft.rfftfreq(n, 1.0 / FS)
    f[0] = f[1]
    spec *= (f / 1000.0) ** (slope / 2.0)
    x = np.fft.irfft(spec, n=n, axis=1)
    return x * (level / (np.sqrt(np.mean(x**2)) or 1.0))


def sample_scenario(rng: np.random.Generator, *, scene: int) -> dict[str, Any]:
    """Room, events and source positions of one clip of ``scene`` (an index into :data:`SCENES`).

    Events: 1 to :data:`MAX_EVENTS`, 1-4 s long, at most :data:`MAX_POLYPHONY` at once, class
    drawn from the scene prior, two events of one class at least :data:`SAME_CLASS_GAP` apart; each from a static source at azimuth U(-180, 180) deg, elevation
    U(0, 40) deg (at or above the planar array, whose elevation estimate has a sign ambiguity),
    distance U(1.0, 1.8) m from the array centre, so always inside the room.

    Returns:
        ``{"scene", "room": {"size", "absorption"}, "array_centre", "events": [{"onset",
        "offset", "label", "azimuth", "elevation", "distance", "gain"}], "noise_seed"}``
        with times rounded to 10 ms and angles to 0.1 degree.
    """
    room_spec = ROOMS[scene]
    size = [round(float(rng.uniform(lo, hi)), 2) for lo, hi in room_spec["size"]]
    n_events = int(rng.integers(1, MAX_EVENTS + 1))
    events: list[dict[str, Any]] = []
    for _ in range(n_events * 4):  # rejection sampling of the polyphony limit
        if len(events) == n_events:
            break
        dur = round(float(rng.uniform(1.0, 4.0)), 2)
        onset = round(float(rng.uniform(0.0, CLIP_SECONDS - dur)), 2)
        offset = round(onset + dur, 2)
        label = CLASSES[int(rng.choice(len(CLASSES), p=SCENE_PRIORS[scene]))]
        az = round(float(rng.uniform(-180.0, 180.0)), 1)
        el = round(float(rng.uniform(0.0, 40.0)), 1)
        dist = round(float(rng.uniform(1.0, 1.8)), 2)
        gain = round(float(10 ** (rng.uniform(-6, 0) / 20)), 3)
        if _polyphony([*events, {"onset": onset, "offset": offset}]) > MAX_POLYPHONY or any(
            e["label"] == label and onset < e["offset"] + SAME_CLASS_GAP and e["onset"] < offset + SAME_CLASS_GAP
            for e in events
        ):
            continue
        events.append(
            {"onset": onset, "offset": offset, "label": label, "azimuth": az, "elevation": el,
             "distance": dist, "gain": gain}
        )
    events.sort(key=lambda e: (e["onset"], e["offset"]))
    return {
        "scene": SCENES[scene],
        "room": {"size": size, "absorption": room_spec["absorption"]},
        "array_centre": [size[0] / 2, size[1] / 2, ARRAY_HEIGHT],
        "events": events,
        "noise_seed": int(rng.integers(2**31)),
    }


def _polyphony(events: list[dict[str, Any]]) -> int:
    """The largest number of events active at once."""
    marks = sorted([(e["onset"], 1) for e in events] + [(e["offset"], -1) for e in events], key=lambda m: (m[0], m[1]))
    best = cur = 0
    for _, step in marks:
        cur += step
        best = max(best, cur)
    return best
