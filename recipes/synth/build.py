"""Generation of ``synth`` builds: clip scenarios to files, written atomically (see :mod:`avbench.recipes.synth`).

Example:
    >>> build_key(0, 12)
    'v3-seed0-n12'
    >>> {k: len(v) for k, v in split_of(12).items()}
    {'train': 6, 'val': 3, 'test': 3}
    >>> video_plan(0, 0) == video_plan(0, 0)
    True
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require
from avbench.io import read_json, write_json
from avbench.recipes.synth.render import ARRAY_RADIUS, N_MICS, render_audio, write_npz
from avbench.recipes.synth.sounds import CLASSES, CLIP_SECONDS, FS, SCENES, background_noise, sample_scenario, synth_signal
from avbench.recipes.synth.video import FOV, FPS, SIZE, render_video

__all__ = ["GENERATOR_VERSION", "SIZES", "NO_VIDEO_FRACTION", "DROPOUT_FRACTION", "build_key", "split_of", "clip_id",
           "video_plan", "generate_clip", "write_build", "is_complete"]

GENERATOR_VERSION = "3"
SIZES = {"tiny": 12, "small": 60, "default": 150, "large": 600}
NO_VIDEO_FRACTION = 0.2
DROPOUT_FRACTION = 0.15


def build_key(seed: int, n_clips: int) -> str:
    """The cache key of a build: generator version, seed and number of clips."""
    return f"v{GENERATOR_VERSION}-seed{seed}-n{n_clips}"


def split_of(n_clips: int) -> dict[str, list[str]]:
    """Split membership: per scene (clip ``i`` has scene ``i % 3``), 20 % val, 20 % test, at least 1 each."""
    out: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for s in range(len(SCENES)):
        idx = list(range(s, n_clips, len(SCENES)))
        n_hold = max(1, round(0.2 * len(idx)))
        parts = {"train": idx[: len(idx) - 2 * n_hold], "val": idx[len(idx) - 2 * n_hold : len(idx) - n_hold],
                 "test": idx[len(idx) - n_hold :]}
        for name, ids in parts.items():
            out[name].extend(ids)
    return {k: [clip_id(i) for i in sorted(v)] for k, v in out.items()}


def clip_id(index: int) -> str:
    """``synth-00042`` for clip 42."""
    return f"synth-{index:05d}"


def video_plan(seed: int, index: int) -> tuple[bool, list[bool]]:
    """Whether clip ``index`` has video, and per second whether its camera is off.

    Drawn from its own random stream ``(seed, index, 1)``: :data:`NO_VIDEO_FRACTION` of the clips
    have no video; :data:`DROPOUT_FRACTION` of the others lose the camera for 2 or 3 whole seconds.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index), 1]))
    has_video = bool(rng.random() >= NO_VIDEO_FRACTION)
    drop = has_video and bool(rng.random() < DROPOUT_FRACTION)
    start, length = int(rng.integers(0, CLIP_SECONDS - 2)), int(rng.integers(2, 4))
    return has_video, [drop and start <= k < start + length for k in range(CLIP_SECONDS)]


def generate_clip(seed: int, index: int) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray] | None]:
    """Labels, audio ``[7, 160000]`` float32 and video arrays (or ``None``) of clip ``index``.

    A pure function of ``(seed, index)`` (and :data:`GENERATOR_VERSION`).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    scene = index % len(SCENES)
    scenario = sample_scenario(rng, scene=scene)
    signals = [synth_signal(ev["label"], ev["offset"] - ev["onset"], rng) for ev in scenario["events"]]
    noise = background_noise(scene, N_MICS, rng)
    audio = render_audio(scenario, signals, noise, fs=FS, n_samples=CLIP_SECONDS * FS)
    has_video, dropout = video_plan(seed, index)
    video = render_video(scenario, duration=CLIP_SECONDS, dropout=dropout) if has_video else None
    labels = dict(scenario, has_video=has_video,
                  video_segments=[not d for d in dropout] if has_video else None)
    if video is not None:
        for ev, seen in zip(labels["events"], video["in_view"]):
            ev["in_view"] = bool(seen)
    return labels, audio, video


def write_build(root: Path, key: str, seed: int, n: int, *, quiet: bool,
                progress: Callable[[int, int], Any] | None) -> None:
    """Generate ``n`` clips into ``root/builds/.tmp-KEY-*`` and rename it to ``root/builds/KEY``.

    ``complete.json`` is written last; on any exception the temporary directory is removed.
    """
    sf = require("soundfile", "core")
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=builds))
    try:
        for sub in ("audio/array", "audio/mono", "video"):
            (tmp / sub).mkdir(parents=True)
        labels: dict[str, Any] = {}
        with _progress_bar(n, quiet=quiet or progress is not None) as advance:
            for i in range(n):
                cid = clip_id(i)
                lab, audio, video = generate_clip(seed, i)
                sf.write(tmp / "audio" / "array" / f"{cid}.wav", audio.T, FS, subtype="PCM_16")
                sf.write(tmp / "audio" / "mono" / f"{cid}.wav", audio[0], FS, subtype="PCM_16")
                if video is not None:
                    with open(tmp / "video" / f"{cid}.npz", "wb") as fh:
                        write_npz(fh, video)
                labels[cid] = lab
                advance()
                if progress is not None:
                    progress(i + 1, n)
        write_json(tmp / "labels.json", labels)
        write_json(tmp / "splits.json", split_of(n))
        write_json(tmp / "meta.json", {
            "dataset": "synth", "generator_version": GENERATOR_VERSION, "seed": seed, "n_clips": n,
            "fs": FS, "clip_seconds": CLIP_SECONDS, "classes": list(CLASSES), "scenes": list(SCENES),
            "array": {"channels": N_MICS, "centre_channel": 0, "ring_azimuths_deg": [0, 60, 120, 180, 240, 300],
                      "ring_radius_m": ARRAY_RADIUS, "planar": True},
            "camera": {"size": SIZE, "fps": FPS, "fov_deg": FOV, "looks_at_azimuth": 0.0},
        })
        write_json(tmp / "complete.json", {"build": key})
        try:
            os.replace(tmp, builds / key)
        except OSError:
            if not is_complete(builds / key, key):  # another process finished it meanwhile
                shutil.rmtree(builds / key, ignore_errors=True)
                os.replace(tmp, builds / key)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def is_complete(build: Path, key: str) -> bool:
    """Whether ``build`` holds the completion marker of build ``key`` (written last)."""
    marker = build / "complete.json"
    if not marker.is_file():
        return False
    try:
        return read_json(marker).get("build") == key
    except InputError:
        return False


@contextlib.contextmanager
def _progress_bar(total: int, *, quiet: bool) -> Any:
    if quiet:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("generating synth clips", total=total)
        yield lambda: bar.advance(task)
