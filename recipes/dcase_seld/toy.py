"""Tiny DCASE SELD sets in the released layouts, for the contract tests and examples.

Per edition, one or two clips per official fold, named and foldered as in the release, with
metadata in that edition's format (:data:`TOY_CLIPS`). Every clip's events follow one pattern: for
clip ``k`` of the list, class ``k % n_classes`` is active in frames 0-4 (a static source at azimuth
``30 + 10 k``, elevation 5), and class ``(k + 1) % n_classes`` in frames 8-11, moving 2 degrees per
frame from azimuth ``-60`` (track 1), with STARSS23's distance column 150 cm and 220 cm. 2019 files
hold the same two events as intervals in seconds (with a 1 m / 2 m distance).

Audio (4 channels, the edition's sample rate) is 1 s of low noise for the 60-s editions (the index
fixes their duration; the loader never reads their samples) and the clip's full 2 s for STARSS,
whose durations come from the WAV header. STARSS23 videos (extra ``video``) are 64x32
equirectangular at 29.97 fps, written for every clip except ``fold3_room21_mix001`` (audio-only in the
release too); ``fold4_room23_mix001``'s video is undecodable (random bytes). The evaluation clip
``mix001`` of STARSS23 has audio and video but no metadata, as in the release.

Example:
    >>> TOY_CLIPS["starss22"][0]
    'metadata_dev/dev-train-sony/fold3_room21_mix001'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from avbench.io import atomic_write_text

__all__ = ["TOY_CLIPS", "toy_rows", "write_toy"]

_STARSS = ["metadata_dev/dev-train-sony/fold3_room21_mix001", "metadata_dev/dev-train-tau/fold3_room4_mix001",
           "metadata_dev/dev-test-sony/fold4_room23_mix001", "metadata_dev/dev-test-tau/fold4_room2_mix001"]
TOY_CLIPS: dict[str, list[str]] = {
    "tau-sse-2019": ["metadata_dev/split1_ir0_ov1_1", "metadata_dev/split2_ir1_ov2_11", "metadata_dev/split3_ir2_ov1_21",
                     "metadata_dev/split4_ir4_ov2_31", "metadata_eval/split0_1", "metadata_eval/split0_2"],
    "tau-nigens-sse-2020": [f"metadata_dev/fold{k}_room{k % 3 + 1}_mix{k:03d}_ov{k % 2 + 1}" for k in range(1, 7)]
    + ["metadata_eval/mix001", "metadata_eval/mix002"],
    "tau-nigens-sse-2021": [f"metadata_dev/{'dev-train' if k <= 4 else 'dev-val' if k == 5 else 'dev-test'}/"
                            f"fold{k}_room{k % 3 + 1}_mix{k:03d}" for k in range(1, 7)]
    + ["metadata_eval/mix001", "metadata_eval/mix002"],
    "starss22": _STARSS,
    "starss23": [*_STARSS, "metadata_eval/mix001"],
}
_TOY_SECONDS = 2.0
_UNDECODABLE = "fold4_room23_mix001"


def toy_rows(k: int, n_classes: int, *, distance: bool) -> list[tuple[int, ...]]:
    """The frame rows ``(frame, class, track, azimuth, elevation[, distance_cm])`` of toy clip ``k``."""
    rows: list[tuple[int, ...]] = []
    for f in range(5):
        rows.append((f, k % n_classes, 0, 30 + 10 * k, 5) + ((150,) if distance else ()))
    for f in range(8, 12):
        rows.append((f, (k + 1) % n_classes, 1, -60 + 2 * (f - 8), -10) + ((220,) if distance else ()))
    return sorted(rows)


def _interval_text(k: int, classes: list[str]) -> str:
    a, b = classes[k % len(classes)], classes[(k + 1) % len(classes)]
    return ("sound_event_recording,start_time,end_time,ele,azi,dist\n"
            f"{a},0.0,0.5,10,{30 + 10 * k - 40},1\n{b},0.81234,1.2,-20,-60,2\n")


def _wav(path: Path, seconds: float, rate: int, seed: int) -> None:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    data = (np.random.default_rng(seed).standard_normal((int(seconds * rate), 4)) * 0.01).astype(np.float32)
    tmp = path.with_name(f".{path.name}.tmp.wav")
    soundfile.write(str(tmp), data, rate, subtype="PCM_16")
    tmp.replace(path)


def _have_av() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def write_toy(recipe: Any, root: Path) -> None:
    """Write ``recipe``'s toy set under ``root`` (see the module docstring)."""
    idx = recipe.idx
    classes = list(idx["classes"])
    with_distance = recipe.name == "starss23"
    seconds = float(idx["duration"] and 1.0 or _TOY_SECONDS)
    for k, rel in enumerate(TOY_CLIPS[recipe.name]):
        folder, _, name = rel.partition("/")
        subset = folder.split("_")[1]
        sub = name.rpartition("/")[0]
        stem = name.rpartition("/")[2]
        unlabelled = subset in idx.get("unlabelled_subsets", ())
        if not unlabelled:
            if idx["metadata_format"] == "intervals":
                text = _interval_text(k, classes)
            else:
                text = "".join(",".join(map(str, r)) + "\n" for r in toy_rows(k, len(classes), distance=with_distance))
            atomic_write_text(root / f"{rel}.csv", text)
        for fmt in ("foa", "mic"):
            _wav(root / f"{fmt}_{subset}" / sub / f"{stem}.wav", seconds, int(idx["sample_rate"]), seed=k)
        if "video" in recipe.parts and _have_av() and stem not in idx.get("audio_only", ()):
            target = root / f"video_{subset}" / sub / f"{stem}.mp4"
            if stem == _UNDECODABLE:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(np.random.default_rng(k).integers(0, 256, 2048, dtype=np.uint8).tobytes())
            else:
                from avbench.recipes.dcase_seld.video import write_toy_360

                write_toy_360(target, seconds=_TOY_SECONDS, seed=k)
    if "video" in recipe.parts and _have_av():
        from avbench.recipes.dcase_seld.video import write_status

        write_status(root, recipe._videos(root))
