"""``synth-reference``: the reference predictor of the ``synth`` benchmark (audio only, no deep learning).

Three linear classifiers on log-mel features of the mono signal (the centre microphone), fitted
by L-BFGS (:class:`~avbench.baselines.synth_reference.features.LinearModel`), plus SRP-PHAT for direction:

- **frames** (``synth-sed``, ``synth-seld``): 40 log-mel bands every 20 ms minus the clip's
  per-band 10th percentile (the noise floor), stacked over frames ``t-4, t-2, ..., t+4``
  (200 features); one sigmoid per class, trained on frames labelled active where an event of the
  class covers the frame time. Events: threshold 0.5, 9-frame (180 ms) median filter, events
  shorter than 0.2 s dropped (:func:`~avbench.baselines.synth_reference.features.decode_events`). The frame
  probabilities are also written as ``frame_scores``.
- **segments** (``synth-ave``): per 1-s segment the mean class probabilities of the frame model
  around the segment start (+-40 ms), over its first 0.3 s and over the whole segment (18
  features); a softmax over the K classes + background, trained on the AVE segment labels.
- **scenes** (``synth-scene``): per-band 10th percentile, mean and standard deviation of the
  log-mel (120 features); a softmax over the scenes (probabilities in ``clip_scores``).
- **direction** (``synth-seld``): per detected event, SRP-PHAT (pyroomacoustics) on the 7-channel
  STFT (512-sample windows) over the event's frames where no other detected event is active (all
  its frames when fewer than 10 are), at most 64 snapshots, on the 40 strongest bins in 200-7000 Hz
  (:func:`avbench.baselines._doa.localize_events`, the UMA-8 geometry of the synth render).

The video is not used. Everything is deterministic (no random initialisation).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('synth-reference', ('synth-ave', 'synth-sed', 'synth-seld', 'synth-scene'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.baseline import Baseline
from avbench.audio import read_array
from avbench.baselines._doa import GEOMETRIES, localize_events
from avbench.baselines.synth_reference.features import HOP_SECONDS, LinearModel, decode_events, frame_features, logmel
from avbench.errors import InputError
from avbench.extras import require
from avbench.model import Clip, Task
from avbench.predictions import Predictions

__all__ = ["BASELINE", "SynthReference"]

_DOA_NFFT = 512
_FRAMES_PER_SEGMENT = int(round(1.0 / HOP_SECONDS))


class SynthReference(Baseline):
    """Log-mel linear classifiers and SRP-PHAT for the four ``synth`` tasks (module docstring).

    ``fit`` mutates and returns the instance; ``predict`` needs a fitted instance. Log-mel
    features are cached in memory per clip file, so predicting several tasks reads each clip once.
    """

    name = "synth-reference"
    description = "log-mel linear classifiers (frames, segments, scenes) + SRP-PHAT direction of arrival"
    dataset = "synth"
    tasks = ("synth-ave", "synth-sed", "synth-seld", "synth-scene")
    extras = ()

    def __init__(self) -> None:
        self._frame: LinearModel | None = None
        self._segment: LinearModel | None = None
        self._scene: LinearModel | None = None
        self._labels: tuple[str, ...] = ()
        self._scenes: tuple[str, ...] = ()
        self._logmel: dict[tuple[str, str], np.ndarray] = {}

    # -- features ------------------------------------------------------------------------------
    def _clip_logmel(self, root: Path, clip: Clip) -> np.ndarray:
        key = (str(root), clip.audio or clip.id)
        if key not in self._logmel:
            sf = require("soundfile", "core")
            x, fs = sf.read(root / clip.meta["mono"], dtype="float32")
            self._logmel[key] = logmel(x.astype(np.float64), fs=fs).astype(np.float32)
        return self._logmel[key]

    @staticmethod
    def _scene_features(lm: np.ndarray) -> np.ndarray:
        return np.concatenate([np.percentile(lm, 10, axis=0), lm.mean(axis=0), lm.std(axis=0)])

    @staticmethod
    def _segment_features(probs: np.ndarray, n_segments: int) -> np.ndarray:
        rows = []
        f = _FRAMES_PER_SEGMENT
        for k in range(n_segments):
            s = k * f
            rows.append(np.concatenate([
                probs[max(0, s - 2) : s + 3].mean(axis=0),
                probs[s : s + int(0.3 * f)].mean(axis=0),
                probs[s : s + f].mean(axis=0),
            ]))
        return np.asarray(rows)

    def _frame_targets(self, clip: Clip, n_frames: int) -> np.ndarray:
        t = np.arange(n_frames) * HOP_SECONDS
        y = np.zeros((n_frames, len(self._labels)))
        for ev in clip.events:
            y[(t >= ev.onset) & (t < ev.offset), self._labels.index(ev.label)] = 1.0
        return y

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, recipe: Any, root: Path, *, split: str = "train", seed: int = 0) -> SynthReference:
        """Fit the frame, segment and scene classifiers on ``split`` (deterministic: ``seed`` unused)."""
        root = Path(root)
        tasks = {t.id: t for t in recipe.tasks()}
        self._labels = tasks["synth-sed"].labels
        self._scenes = tasks["synth-scene"].labels
        n_seg = int(tasks["synth-ave"].n_segments or 0)
        clips = list(recipe.load(root, split=split).values())
        if not clips:
            raise InputError(f"synth-reference: split {split!r} under {root} has no clips to fit on")
        lms = [self._clip_logmel(root, c) for c in clips]
        # every other frame: neighbours are nearly identical and this halves the fitting time
        x = np.concatenate([frame_features(lm)[::2] for lm in lms])
        y = np.concatenate([self._frame_targets(c, len(lm))[::2] for c, lm in zip(clips, lms)])
        self._frame = LinearModel(n_classes=len(self._labels), multilabel=True, l2=1e-3).fit(x, y)
        seg_x = np.concatenate([self._segment_features(self._frame.predict_proba(frame_features(lm)), n_seg)
                                for lm in lms])
        seg_y = np.concatenate([np.asarray(c.segment_labels) for c in clips])
        self._segment = LinearModel(n_classes=len(self._labels) + 1, multilabel=False, l2=1e-2).fit(seg_x, seg_y)
        scene_x = np.stack([self._scene_features(lm) for lm in lms])
        scene_y = np.array([self._scenes.index(c.clip_labels[0]) for c in clips])
        self._scene = LinearModel(n_classes=len(self._scenes), multilabel=False, l2=3e-2).fit(scene_x, scene_y)
        return self

    # -- predict -------------------------------------------------------------------------------
    def predict(self, recipe: Any, root: Path, task: Task, *, split: str) -> Predictions:
        """Predictions of ``task`` for every clip of ``split`` (fit first)."""
        if task.id not in self.tasks:
            raise InputError(f"synth-reference predicts {', '.join(self.tasks)}, not {task.id!r}")
        if self._frame is None or self._segment is None or self._scene is None:
            raise InputError("synth-reference: call fit(recipe, root) before predict")
        root = Path(root)
        preds = Predictions(benchmark=self.dataset, task=task.id, split=split,
                            model={"name": self.name, "description": self.description})
        for cid, clip in recipe.load(root, split=split).items():
            lm = self._clip_logmel(root, clip)
            if task.id == "synth-scene":
                preds.add(cid, clip_scores=self._scene.predict_proba(self._scene_features(lm)[None])[0])
                continue
            probs = self._frame.predict_proba(frame_features(lm))
            if task.id == "synth-ave":
                seg = self._segment.predict_proba(self._segment_features(probs, int(task.n_segments or 0)))
                preds.add(cid, segment_scores=seg)
                continue
            events = decode_events(probs, hop=HOP_SECONDS, labels=self._labels)
            if task.id == "synth-seld":
                events = self._localize(root, clip, events)
                preds.add(cid, events=events)
            else:
                preds.add(cid, events=events, frame_scores={"hop": HOP_SECONDS, "values": np.round(probs, 4)})
        return preds

    def _localize(self, root: Path, clip: Clip, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if not events:
            return []
        x, fs = read_array(root, clip)
        return localize_events(x, fs, events, GEOMETRIES["uma8"], nfft=_DOA_NFFT)


BASELINE = SynthReference()
