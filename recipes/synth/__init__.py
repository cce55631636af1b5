"""``synth``: a small audio-visual event benchmark generated locally, deterministic, offline.

Each 10-s clip holds 1-4 sound events of six classes with distinct spectro-temporal shapes
(:mod:`avbench.recipes.synth.sounds`), at most two at once, played by static sources in a shoebox
room simulated with pyroomacoustics and recorded by a 7-microphone UMA-8-style array
(:mod:`avbench.recipes.synth.render`); the scene (office, street, hall) sets the class priors,
the room and the background noise. A 64x64, 5 fps video (:mod:`avbench.recipes.synth.video`)
shows each active source in the camera's field of view; 20 % of the clips have no video and 15 %
of the others lose the camera for 2-3 whole seconds.

Video availability is always checked, never unknown (:class:`~avbench.model.VideoState`): a clip the
generator gave no video has ``has_video=False``, and so has one whose ``video/ID.npz`` is no longer on
disk; every other clip has ``has_video=True``.

On-disk layout under the dataset root (``avbench.paths.dataset_dir("synth")``)::

    current.json                       {"build": KEY, ...}: the build that load() reads
    builds/KEY/complete.json           written last; KEY = v<generator>-seed<seed>-n<clips>
    builds/KEY/meta.json, splits.json, labels.json
    builds/KEY/audio/array/ID.wav      7 channels, 16 kHz, 16-bit PCM (channel 0 = centre mic)
    builds/KEY/audio/mono/ID.wav       the centre microphone alone
    builds/KEY/video/ID.npz            frames uint8 [50, 64, 64, 3], visible bool [50, n_events],
                                       in_view, positions [n_events, 2], fps (numpy.load reads it)

A build is generated in a temporary sibling directory and renamed into place when complete, so a
half-written build is never read; builds are reused for the same seed, size and generator version.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "synth"
    >>> _ = RECIPE.prepare(root, size="tiny", quiet=True)
    >>> clips = RECIPE.load(root, split="test")
    >>> c = next(iter(clips.values()))
    >>> c.duration, len(c.segment_labels), c.clip_labels[0] in SCENES
    (10.0, 10, True)
    >>> RECIPE.prepare(root, size="tiny", colour="red")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: synth: unknown option(s) colour; the options are size, seed, quiet, progress, dry_run
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from avbench.dataset import Recipe
from avbench.errors import DataNotFoundError, InputError
from avbench.io import read_json, write_json
from avbench.model import Clip, Event, MetricRef, SplitManifest, Task, TaskKind, segment_labels_from_events
from avbench.recipes.synth.build import (
    DROPOUT_FRACTION,
    GENERATOR_VERSION,
    NO_VIDEO_FRACTION,
    SIZES,
    build_key,
    generate_clip,
    is_complete,
    split_of,
    video_plan,
    write_build,
)
from avbench.recipes.synth.render import N_MICS
from avbench.recipes.synth.sounds import CLASSES, CLIP_SECONDS, FS, SCENES

__all__ = [
    "RECIPE", "SynthRecipe", "SIZES", "GENERATOR_VERSION", "NO_VIDEO_FRACTION", "DROPOUT_FRACTION", "build_key",
    "split_of", "generate_clip", "video_plan",
]

_OPTIONS = ("size", "seed", "quiet", "progress", "dry_run")


def _n_clips(size: Any) -> int:
    if isinstance(size, str) and size in SIZES:
        return SIZES[size]
    try:
        n = int(size)
    except (TypeError, ValueError):
        n = -1
    if isinstance(size, bool) or n < SIZES["tiny"] or str(n) != str(size).strip():
        raise InputError(
            f"synth: size must be one of {', '.join(SIZES)} or a number of clips >= {SIZES['tiny']}, got {size!r}"
        )
    return n


class SynthRecipe(Recipe):
    """The ``synth`` recipe: :meth:`prepare` generates the data (no download), :meth:`load` reads it.

    See the module docstring for the content and layout; tasks ``synth-ave``, ``synth-sed``,
    ``synth-seld`` and ``synth-scene`` score the test split.
    """

    name = "synth"
    version = "1.0"
    title = "Synthetic audio-visual events in simulated rooms (generated locally)"
    homepage = ""
    license = "CC0-1.0 (generated data)"
    citation = "avbench synthetic benchmark, generator version " + GENERATOR_VERSION
    parts = ("meta", "audio", "video")
    default_parts = parts

    # -- generation ----------------------------------------------------------------------------
    def prepare(self, root: Path, *, parts: Collection[str] = parts, split: str | None = None, **options: Any) -> Path:
        """Generate the data (all parts, every split) under ``root``; returns the build directory.

        Options: ``size`` ("tiny" 12 clips, "small" 60, "default" 150, "large" 600, or a number
        >= 12), ``seed`` (int, default 0), ``quiet`` (no progress bar), ``progress`` (a callable
        ``progress(done, total)`` called after each clip, instead of the bar). ``parts`` and
        ``split`` are checked but everything is generated together (labels and media come from
        the same simulation). A complete build with the same key is reused, not regenerated.
        ``dry_run`` says what would be generated (or reused) and writes nothing.

        Raises:
            InputError: an unknown option, part or split, or a bad size or seed.
        """
        self.check_parts(parts)
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise InputError(f"synth: unknown option(s) {', '.join(unknown)}; the options are {', '.join(_OPTIONS)}")
        if split is not None and split not in ("train", "val", "test"):
            raise InputError(f"synth: no split {split!r}; the splits are train, val, test")
        n = _n_clips(options.get("size", "default"))
        seed = options.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"synth: seed must be a non-negative integer, got {seed!r}")
        root = Path(root)
        key = build_key(int(seed), n)
        final = root / "builds" / key
        if options.get("dry_run"):
            state = "reuse the complete build" if is_complete(final, key) else "generate"
            print(f"synth: would {state} {final} ({n} clips, seed {int(seed)}; no network needed)")
            from avbench.download.dry_run import note

            note("generate", {"build": str(final), "state": state.split()[0], "clips": n, "seed": int(seed),
                              "network": False})
            return final
        if not is_complete(final, key):
            write_build(root, key, int(seed), n, quiet=bool(options.get("quiet", False)),
                        progress=options.get("progress"))
        write_json(root / "current.json", {"build": key, "seed": int(seed), "n_clips": n,
                                           "generator_version": GENERATOR_VERSION})
        return final

    # -- what is on disk -----------------------------------------------------------------------
    def build_dir(self, root: Path) -> Path:
        """The complete build that ``current.json`` names; :class:`DataNotFoundError` otherwise."""
        root = Path(root)
        cur = root / "current.json"
        key = read_json(cur).get("build") if cur.is_file() else None
        if not key or not is_complete(root / "builds" / str(key), str(key)):
            raise DataNotFoundError(
                f"no generated synth data in {root}: run `avbench download synth` or `avbench demo` "
                f"(or pass --data-dir where it lives)"
            )
        return root / "builds" / str(key)

    def is_prepared(self, root: Path) -> bool:
        try:
            self.build_dir(root)
        except (DataNotFoundError, InputError):
            return False
        return True

    def require(self, root: Path) -> None:
        self.build_dir(root)

    def splits(self, root: Path | None = None) -> SplitManifest:
        if root is None:
            raise InputError("synth: split membership depends on the generated size: pass the data directory")
        build = self.build_dir(root)
        return SplitManifest(self.name, f"{self.version}+{build.name}", read_json(build / "splits.json"))

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Clips per split of the build under ``root`` when there is one, else of the default size."""
        if root is not None and self.is_prepared(Path(root)):
            return {k: len(v) for k, v in self.splits(root).splits.items()}
        return {k: len(v) for k, v in split_of(SIZES["default"]).items()}

    def tasks(self) -> list[Task]:
        segment = dict(n_segments=CLIP_SECONDS, segment_length=1.0)
        return [
            Task("synth-ave", self.name, TaskKind.SEGMENT_CLASSIFICATION, CLASSES,
                 ("ave_segment_accuracy", "f1_macro"), **segment,
                 description="AVE-style: the event class (or background) of each 1-s segment."),
            Task("synth-sed", self.name, TaskKind.EVENT_DETECTION, CLASSES,
                 ("event_f1", "segment_f1", "intersection_f1"),
                 description="Sound event detection: onset, offset and class of every event."),
            Task("synth-seld", self.name, TaskKind.EVENT_LOCALIZATION, CLASSES,
                 (MetricRef("seld-dcase2022", {"n_classes": len(CLASSES)}),
                  MetricRef("seld-umons", {"n_classes": len(CLASSES)})),
                 description="Sound event localization and detection: events with azimuth and elevation."),
            Task("synth-scene", self.name, TaskKind.CLIP_CLASSIFICATION, SCENES,
                 ("accuracy", "f1_macro", "log_loss"),
                 description="Scene classification: one of office, street, hall per clip."),
        ]

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        build = self.build_dir(root)
        rel = build.relative_to(Path(root)).as_posix()
        labels = read_json(build / "labels.json")
        ids = self.splits(root)[split] if split is not None else list(labels)
        return {cid: _clip(cid, labels[cid], rel, root=Path(root)) for cid in ids}

    def make_toy(self, root: Path) -> None:
        self.prepare(Path(root), size="tiny", quiet=True)


def _track(events: list[dict[str, Any]], i: int) -> int:
    """DCASE-style track index: how many earlier events of the same class overlap event ``i``
    (always 0 with generator >= 2, where same-class events never overlap)."""
    e = events[i]
    return sum(1 for o in events[:i] if o["label"] == e["label"] and o["onset"] < e["offset"] and e["onset"] < o["offset"])


def _clip(cid: str, lab: dict[str, Any], rel: str, *, root: Path | None = None) -> Clip:
    events = tuple(
        Event(e["onset"], e["offset"], e["label"], labels=CLASSES, azimuth=e["azimuth"], elevation=e["elevation"],
              distance=e["distance"], track=_track(lab["events"], i), onscreen=e.get("in_view"))
        for i, e in enumerate(lab["events"])
    )
    has_video = bool(lab["has_video"])
    if has_video and root is not None and not (root / rel / "video" / f"{cid}.npz").is_file():
        has_video = False  # checked: the generated video is gone
    return Clip(
        id=cid,
        duration=float(CLIP_SECONDS),
        audio=f"{rel}/audio/array/{cid}.wav",
        video=f"{rel}/video/{cid}.npz" if has_video else None,
        events=events,
        segment_labels=tuple(segment_labels_from_events(events, CLASSES, n_segments=CLIP_SECONDS)),
        clip_labels=(lab["scene"],),
        has_video=has_video,
        video_segments=tuple(lab["video_segments"]) if has_video else None,
        meta={"scene": lab["scene"], "room": lab["room"], "array_centre": lab["array_centre"],
              "mono": f"{rel}/audio/mono/{cid}.wav", "fs": FS, "n_channels": N_MICS},
    )


RECIPE = SynthRecipe()
