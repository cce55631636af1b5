"""``seld-srp``: the classical SELD baseline: a frame-wise linear classifier on log-mel features for
the classes, and SRP-PHAT or MUSIC (pyroomacoustics' ``doa`` module) on the microphone array for
each detected event's direction. No deep learning, no torch; deterministic.

- **classes**: 40 log-mel bands every 20 ms of one capsule (the recipe's mono signal when it has one,
  else the array's first channel) minus the clip's per-band 10th percentile, stacked over frames
  ``t-4, t-2, ..., t+4`` (:func:`~avbench.baselines.synth_reference.features.frame_features`); one
  sigmoid per class (:class:`~avbench.baselines.synth_reference.features.LinearModel`, L2 ``l2``),
  trained on every second frame of the training split; events by
  :class:`~avbench.postprocess.PostProcessing` (``postprocess:``).
- **direction**: per event, cut into pieces of at most ``block`` seconds, a grid search
  (``algorithm``: ``SRP`` or ``MUSIC``) on the STFT of the array channels (``nfft`` samples) over the
  frames where no other detected event is active (:func:`avbench.baselines._doa.localize_events`),
  on the ``n_bins`` strongest bins in ``[fmin, fmax]`` Hz.

Array geometries (:data:`avbench.baselines._doa.GEOMETRIES`): ``synth-seld`` and SECL-UMONS use the
7-capsule UMA-8-SP (centre + 4.5 cm ring; the synth render's layout, SECL-UMONS ``micro0..6`` in that
order, an assumption since the release does not document its capsule order); STARSS23 uses the
tetrahedral MIC format (em32 capsules at (+-45 / +-135, +-35) deg, r = 4.2 cm, as the DCASE READMEs
state; ``../shared/reference/README.md`` section 4), read from ``meta["formats"]["mic"]``.

Settings: ``configs/seld-srp.yaml`` (one block per task id: ``geometry``, ``format``, ``algorithm``,
``nfft``, ``n_bins``, ``fmin``, ``fmax``, ``block``, ``l2``, ``train_split``, ``postprocess``).
Targets: no published number (the thesis of SECL-UMONS and the DCASE baselines report learned models
only); the numbers to compare with are SELDnet's on SECL-UMONS split 1, 96.04 % F-score and 38.83 deg
DOA error (paper 001, Table 6.1), and the STARSS23 MIC baseline, LE 27.0 deg (notes/hosting-2026.md).
On ``synth`` small (36 training clips) it reaches the figures in ``tests/baselines/test_seld_srp.py``.

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('seld-srp', ('synth-seld',))
    >>> BASELINE.settings("starss23-seld").geometry, BASELINE.settings("secl-umons-unilabel-split1").train_split
    ('tetra-em32', 'unilabel-split1-train')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avbench.baseline import Baseline
from avbench.audio import read_array, require_format
from avbench.baselines._doa import ALGORITHMS, geometry, localize_events
from avbench.baselines.synth_reference.features import HOP_SECONDS, LinearModel, frame_features, logmel
from avbench.errors import InputError, dataclass_options
from avbench.extras import require
from avbench.model import Clip, Task, TaskKind
from avbench.postprocess import PostProcessing
from avbench.predictions import Predictions

__all__ = ["BASELINE", "SeldSrp", "SrpConfig"]


@dataclass
class SrpConfig:
    """One task's settings of ``seld-srp`` (module docstring; ``configs/seld-srp.yaml``)."""

    geometry: str = "uma8"
    format: str | None = None
    algorithm: str = "SRP"
    nfft: int = 512
    n_bins: int = 40
    fmin: float = 200.0
    fmax: float = 7000.0
    block: float | None = None
    l2: float = 1e-3
    train_split: str = "train"
    postprocess: dict[str, Any] = field(default_factory=lambda: {"threshold": 0.5, "median": 9, "min_duration": 0.2})

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any] | None, *, source: str = "config") -> SrpConfig:
        cfg = dataclass_options(cls, obj, source)
        geometry(cfg.geometry)
        if cfg.format not in (None, "mic"):
            raise InputError(f"{source}: format {cfg.format!r}: SRP-PHAT and MUSIC search the microphone signals; "
                             "use format: mic (or leave it out for an array with one format)")
        if cfg.algorithm not in ALGORITHMS:
            raise InputError(f"{source}: algorithm must be one of {', '.join(ALGORITHMS)}, got {cfg.algorithm!r}")
        if isinstance(cfg.nfft, bool) or not isinstance(cfg.nfft, int) or cfg.nfft < 16:
            raise InputError(f"{source}: nfft must be an integer of at least 16, got {cfg.nfft!r}")
        if not 0 <= cfg.fmin < cfg.fmax:
            raise InputError(f"{source}: need 0 <= fmin < fmax, got {cfg.fmin!r} and {cfg.fmax!r}")
        if cfg.block is not None and not cfg.block > 0:
            raise InputError(f"{source}: block must be a positive number of seconds or null, got {cfg.block!r}")
        PostProcessing.from_dict(cfg.postprocess)
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SeldSrp(Baseline):
    """Log-mel linear classifier + SRP-PHAT / MUSIC directions (module docstring).

    ``fit(recipe, root)`` fits one classifier per task of ``recipe`` that has a configuration
    (``task=`` picks one; ``config=`` overrides keys); ``predict`` needs it fitted.
    """

    name = "seld-srp"
    description = "log-mel linear frame classifier + SRP-PHAT / MUSIC direction of arrival (pyroomacoustics)"
    dataset = "synth"
    tasks = ("synth-seld",)
    extras = ()

    def __init__(self) -> None:
        self._models: dict[str, tuple[SrpConfig, LinearModel]] = {}

    def settings(self, task_id: str, config: Mapping[str, Any] | None = None) -> SrpConfig:
        """The validated settings of ``task_id`` (its YAML block, then ``config``'s keys)."""
        return SrpConfig.from_dict({**self.config_for(task_id), **dict(config or {})},
                                   source=f"{self.name}.yaml[{task_id}]")

    def _mono(self, root: Path, clip: Clip, cfg: SrpConfig) -> np.ndarray:
        sf = require("soundfile", "core")
        meta = clip.meta or {}
        rel = meta.get("mono") or (sorted(meta["mics"].items())[0][1] if meta.get("mics") else None)
        if rel is not None:
            x, fs = sf.read(Path(root) / str(rel), dtype="float64", always_2d=True)
            return logmel(x[:, 0], fs=int(fs)).astype(np.float32)
        x, fs = read_array(root, clip, fmt=cfg.format)
        return logmel(x[0], fs=fs).astype(np.float32)

    def fit(self, recipe: Any, root: Path, *, split: str | None = None, seed: int = 0, task: str | None = None,
            config: Mapping[str, Any] | None = None) -> SeldSrp:
        """Fit the frame classifier of each configured SELD task of ``recipe`` (``seed`` unused: deterministic).

        ``split`` overrides the configuration's ``train_split``.
        """
        from avbench.training import frame_targets

        root = Path(root)
        wanted = [t for t in recipe.tasks() if t.kind is TaskKind.EVENT_LOCALIZATION
                  and (t.id == task if task is not None else t.id in self.configs())]
        if not wanted:
            raise InputError(f"{self.name}: no configured SELD task {'named ' + repr(task) + ' ' if task else ''}"
                             f"in {recipe.name}; configured: {', '.join(sorted(self.configs()))}")
        for t in wanted:
            cfg = self.settings(t.id, config)
            train = split or cfg.train_split
            clips = list(recipe.load(root, split=train).values())
            if not clips:
                raise InputError(f"{self.name}: split {train!r} of {recipe.name} under {root} has no clips to fit on")
            if cfg.format is not None:
                require_format(recipe, root, clips, cfg.format, split=train)
            xs, ys = [], []
            for c in clips:
                lm = self._mono(root, c, cfg)
                act, _ = frame_targets(c, t.labels, len(lm), c.duration)
                xs.append(frame_features(lm)[::2])
                ys.append(act[::2])
            model = LinearModel(n_classes=len(t.labels), multilabel=True, l2=cfg.l2).fit(np.concatenate(xs),
                                                                                        np.concatenate(ys))
            self._models[t.id] = (cfg, model)
        return self

    def fit_task(self, recipe: Any, root: Path, task: Task, *, seed: int = 0,
                 config: Mapping[str, Any] | None = None) -> SeldSrp:
        """Fit ``task``'s frame classifier with its configured settings (``config`` overrides keys)."""
        return self.fit(recipe, root, seed=seed, task=task.id, config=config)

    def predict(self, recipe: Any, root: Path, task: Task, *, split: str) -> Predictions:
        """Events with directions for every clip of ``split`` (fit first)."""
        if task.id not in self._models:
            raise InputError(f"{self.name}: call fit(recipe, root) before predicting {task.id!r}")
        cfg, model = self._models[task.id]
        geom = geometry(cfg.geometry)
        post = PostProcessing.from_dict(cfg.postprocess)
        root = Path(root)
        preds = Predictions(benchmark=recipe.name, task=task.id, split=split,
                            model={"name": self.name, "description": self.description,
                                   "settings": cfg.to_dict()})
        clips = recipe.load(root, split=split)
        if cfg.format is not None:
            require_format(recipe, root, clips, cfg.format, split=split)
        for cid, clip in clips.items():
            probs = model.predict_proba(frame_features(self._mono(root, clip, cfg)))
            events = post.events(probs, hop=HOP_SECONDS, labels=task.labels)
            if events:
                x, fs = read_array(root, clip, fmt=cfg.format)
                events = localize_events(x, fs, events, geom, nfft=cfg.nfft, block=cfg.block,
                                         algorithm=cfg.algorithm, n_bins=cfg.n_bins, fmin=cfg.fmin, fmax=cfg.fmax)
            preds.add(cid, events=events)
        return preds


BASELINE = SeldSrp()
