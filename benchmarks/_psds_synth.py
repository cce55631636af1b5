"""Seeded synthetic SED data for the PSDS benchmarks (not a test; no peer code)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

try:
    from avbench.model import Event
except ImportError:  # in a peer's venv, where avbench is not installed: the same three fields
    Event = namedtuple("Event", "onset offset label")


def synth_reference(n_clips: int, labels: list[str], *, seed: int = 0, duration: float = 10.0,
                    max_classes: int = 3, cover_all: bool = False) -> tuple[dict, dict]:
    """``({clip.wav: [Event]}, {clip.wav: seconds})``: up to ``max_classes`` classes per clip, 1-2 events each.

    ``cover_all``: every clip has exactly ``max_classes`` classes, cycling through the labels, so
    that each class has reference events once ``n_clips * max_classes >= len(labels)``.
    """
    rng = np.random.default_rng(seed)
    ref, dur = {}, {}
    for i in range(n_clips):
        clip = f"clip{i:06d}.wav"
        dur[clip] = duration
        evs = []
        if cover_all:
            picked = [(i * max_classes + j) % len(labels) for j in range(max_classes)]
        else:
            picked = rng.choice(len(labels), size=int(rng.integers(0, max_classes + 1)), replace=False)
        for c in picked:
            t = float(rng.uniform(0, duration / 2))
            for _ in range(int(rng.integers(1, 3))):
                on = round(t, 3)
                off = round(min(duration, on + rng.uniform(0.3, duration / 3)), 3)
                if off - on > 0.05:
                    evs.append(Event(on, off, labels[c]))
                t = off + rng.uniform(0.2, 2.0)
                if t >= duration - 0.3:
                    break
        ref[clip] = evs
    return ref, dur


def synth_scores(reference: dict, durations: dict, labels: list[str], *, n_frames: int = 156, seed: int = 0,
                 dtype=np.float64) -> dict:
    """``{clip: (timestamps [T+1], values [T, C])}``: smoothed noise plus a noisy bump on each reference event."""
    rng = np.random.default_rng(seed)
    return {clip: clip_scores(rng, reference.get(clip, ()), labels, n_frames=n_frames, dtype=dtype) for clip in durations}


def clip_scores(rng: np.random.Generator, events, labels, *, n_frames: int = 156, dtype=np.float64,
                duration: float = 10.0):
    """One clip's ``(timestamps, scores)`` (see :func:`synth_scores`)."""
    lab = {name: i for i, name in enumerate(labels)}
    ts = np.linspace(0.0, duration, n_frames + 1)
    x = rng.normal(-2.0, 1.6, (n_frames + 4, len(labels)))
    for ev in events:
        sl = np.flatnonzero((ts[:-1] < ev.offset) & (ts[1:] > ev.onset)) + 2
        x[sl, lab[ev.label]] += rng.uniform(0.5, 3.5)
    sm = (x[:-4] + x[1:-3] + x[2:-2] + x[3:-1] + x[4:]) / 5
    return ts, np.round(1.0 / (1.0 + np.exp(-sm)), 4).astype(dtype)
