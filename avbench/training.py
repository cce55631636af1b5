"""The training loop behind ``avbench train`` / ``avbench predict`` (extra ``baselines``: torch).

:func:`fit` trains a plug-in model (:mod:`avbench.models`) on the training split, scores it on the
validation split after every epoch with the task's selection metric (``select``, default the
task's first metric and its primary value) and keeps the best epoch; the test split is never read
while training. :func:`predict` writes an avbench predictions file for any split with the model
kept. :func:`avbench.runs.run` does this for several seeds in a run directory and predicts the test split once
per seed at the end (:func:`avbench.runs.run`)::

    RUN/config.yaml                       task, model reference, the full configuration
    RUN/seed-S/metrics.jsonl              one line per epoch: train loss, validation value, seconds
    RUN/seed-S/last.pt, best.pt           checkpoints (model, optimiser, epoch, best value, RNG state)
    RUN/seed-S/test.preds.json            test predictions of the best epoch
    RUN/seed-S/test.report.json           their scores
    RUN/summary.json                      per seed, and mean +/- std over seeds

A run that stops is resumed by the same command: finished seeds are kept, an unfinished one
continues from ``last.pt``. Losses: cross-entropy (segments, clips; weakly supervised segments:
binary cross-entropy of the mean segment probabilities against the clip's classes), binary
cross-entropy (tagging, frames), and for localization BCE + ``doa_weight`` x MSE of the direction
on active frames (SELDnet) or MSE of ACCDOA vectors. The frame targets follow the output's frame
count: frame ``t`` of ``F`` is active where an event covers ``(t + 0.5) * duration / F``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError, dataclass_options
from avbench.extras import require
from avbench.io import atomic_open, atomic_write_text
from avbench.model import Clip, Task, TaskKind
from avbench.postprocess import PostProcessing, unit_vector

__all__ = ["TrainConfig", "Trained", "fit", "predict", "frame_targets", "hear_head", "LOWER_IS_BETTER",
           "MeanTeacherConfig", "MeanTeacher", "linear_softmax_pool"]

LOWER_IS_BETTER = {"seld_score", "error_rate", "er", "log_loss", "loss"}


@dataclass
class TrainConfig:
    """Options of ``avbench train`` (the ``--config`` YAML: these keys, plus ``model:`` for the
    factory's keyword arguments and ``postprocess:`` for :class:`~avbench.postprocess.PostProcessing`).

    Args:
        epochs, batch_size, lr, weight_decay: the optimiser (Adam) and schedule.
        patience: stop after this many epochs without a better validation value (``None``: never).
        audio, video, channels, stride: input representations (:func:`avbench.torch.dataset`).
        format: the audio format of a multi-format release (``foa`` or ``mic`` on the DCASE SELD
            sets; ``None``: the recipe's default, FOA where both are on disk); a format that is
            not on disk for a split used is a one-line error naming the download.
        supervision: ``strong`` or ``weak`` (segment tasks: train on the clip's classes only).
        doa_weight: weight of the direction loss of dict-output localization models.
        select: ``metric_id`` or ``metric_id.key`` for model selection on the validation split.
        train_split, val_split: the splits trained and selected on.
        max_steps: at most this many batches per epoch (``None``: all).
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        threads: CPU threads of torch (``torch.set_num_threads``; ``None`` leaves torch's default).
            One thread is the default: these small models gain little from more, and on a busy
            machine several threads wait for each other (an LSTM step took 0.55 s instead of
            milliseconds with 2 threads at load 12 on 2 cores, measured while writing this).
        cache: keep the computed inputs in memory between epochs.
        mean_teacher: semi-supervised training of frame-wise SED models (:class:`MeanTeacher`; empty:
            off): ``ema`` (0.999), ``consistency`` (the maximum weight, 2), ``warmup`` (epochs of the
            exponential ramp-up, 50), ``unlabeled_split`` and ``weak_split`` (split names or ``None``).
    """

    epochs: int = 20
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = None
    audio: str | None = "logmel"
    video: str | None = None
    channels: str = "mono"
    stride: list[int] = field(default_factory=lambda: [1, 1])
    format: str | None = None
    supervision: str = "strong"
    doa_weight: float = 50.0
    select: str | None = None
    train_split: str = "train"
    val_split: str = "val"
    max_steps: int | None = None
    device: str = "auto"
    threads: int | None = 1
    cache: bool = True
    model: dict[str, Any] = field(default_factory=dict)
    postprocess: dict[str, Any] = field(default_factory=dict)
    mean_teacher: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any] | None, *, source: str = "config") -> TrainConfig:
        cfg = dataclass_options(cls, obj, source)
        cfg.check(source)
        return cfg

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        import yaml

        p = Path(path)
        if not p.is_file():
            raise InputError(f"--config {p}: no such file")
        try:
            obj = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"--config {p}: not valid YAML ({' '.join(str(exc).split())})") from None
        if not isinstance(obj, dict):
            raise InputError(f"--config {p}: must be a mapping of options")
        return cls.from_dict(obj, source=str(p))

    def check(self, source: str) -> None:
        """Refuse values of the wrong type or range (one line naming the key), before any data is read."""
        from avbench.torch import AUDIO_KINDS, VIDEO_KINDS

        def positive_int(v: Any) -> bool:
            return not isinstance(v, bool) and isinstance(v, int) and v >= 1

        for name in ("epochs", "batch_size"):
            if not positive_int(getattr(self, name)):
                raise InputError(f"{source}: {name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("patience", "max_steps", "threads"):
            v = getattr(self, name)
            if v is not None and not positive_int(v):
                raise InputError(f"{source}: {name} must be a positive integer or null, got {v!r}")
        for name in ("lr", "weight_decay", "doa_weight"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 \
                    or (name == "lr" and v == 0):
                raise InputError(f"{source}: {name} must be a {'positive' if name == 'lr' else 'non-negative'} "
                                 f"number, got {v!r}")
        if self.audio is not None and self.audio not in AUDIO_KINDS:
            raise InputError(f"{source}: audio must be one of {', '.join(AUDIO_KINDS)} or null, got {self.audio!r}")
        if self.video is not None and self.video not in VIDEO_KINDS:
            raise InputError(f"{source}: video must be one of {', '.join(VIDEO_KINDS)} or null, got {self.video!r}")
        if self.channels not in ("all", "mono"):
            raise InputError(f"{source}: channels must be 'all' or 'mono', got {self.channels!r}")
        if not isinstance(self.stride, (list, tuple)) or len(self.stride) != 2 or not all(map(positive_int, self.stride)):
            raise InputError(f"{source}: stride must be two positive integers [frames, bins], got {self.stride!r}")
        if self.format is not None and not isinstance(self.format, str):
            raise InputError(f"{source}: format must be a format name (foa, mic) or null, got {self.format!r}")
        for name in ("train_split", "val_split"):
            if not isinstance(getattr(self, name), str):
                raise InputError(f"{source}: {name} must be a split name, got {getattr(self, name)!r}")
        if not isinstance(self.cache, bool):
            raise InputError(f"{source}: cache must be true or false, got {self.cache!r}")
        if not isinstance(self.model, dict):
            raise InputError(f"{source}: model must be a mapping of the factory's arguments, got {self.model!r}")
        if self.supervision not in ("strong", "weak"):
            raise InputError(f"{source}: supervision must be 'strong' or 'weak', got {self.supervision!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"{source}: device must be auto, cpu or cuda, got {self.device!r}")
        PostProcessing.from_dict(self.postprocess)
        MeanTeacherConfig.from_dict(self.mean_teacher, source=f"{source}: mean_teacher")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MeanTeacherConfig:
    """The ``mean_teacher:`` options of :class:`TrainConfig` (:class:`MeanTeacher`).

    Defaults are the DCASE 2021-2023 Task 4 baseline's (DCASE-REPO/DESED_task ``confs/default.yaml``:
    ``ema_factor`` 0.999, ``const_max`` 2, ``n_epochs_warmup`` 50, MSE consistency).
    """

    ema: float = 0.999
    consistency: float = 2.0
    warmup: float = 50.0
    unlabeled_split: str | None = None
    weak_split: str | None = None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any] | None, *, source: str = "mean_teacher") -> MeanTeacherConfig | None:
        if not obj:
            return None
        if not isinstance(obj, Mapping):
            raise InputError(f"{source}: must be a mapping of options, got {obj!r}")
        cfg = dataclass_options(cls, obj, source)
        if not 0.0 <= cfg.ema < 1.0:
            raise InputError(f"{source}: ema must be in [0, 1), got {cfg.ema!r}")
        if cfg.consistency < 0 or cfg.warmup < 0:
            raise InputError(f"{source}: consistency and warmup must be >= 0")
        return cfg


def linear_softmax_pool(probs: Any) -> Any:
    """Clip-level probabilities from frame probabilities ``[B, F, C]``: ``sum_t p_t^2 / sum_t p_t``
    (linear softmax pooling, Wang et al. 2019: parameter free, between mean and max pooling)."""
    return (probs**2).sum(dim=1) / probs.sum(dim=1).clamp(min=1e-7)


class MeanTeacher:
    """Mean-teacher training (Tarvainen & Valpola 2017) as the DCASE Task 4 baseline uses it.

    The teacher is a copy of the student whose parameters follow the student's after every optimiser
    step: ``theta_T <- a theta_T + (1 - a) theta_S`` with ``a = min(1 - 1 / (step + 1), ema)`` (the
    true running mean for the first steps), where ``step`` counts the updates from 1; buffers (batch
    norm statistics) are copied from the student. The consistency loss is the MSE between the
    student's and the (detached) teacher's sigmoid outputs, frame-wise and clip-level
    (:func:`linear_softmax_pool`), on every clip of the step (labelled, weak and unlabelled), weighted
    by ``consistency * exp(-5 (1 - min(1, epoch_progress / warmup))^2)``. Weak clips add the binary
    cross-entropy of the student's clip-level probabilities against their clip labels. The teacher is
    the model scored for selection and used for predictions.
    """

    def __init__(self, student: Any, cfg: MeanTeacherConfig) -> None:
        import copy

        self.student, self.cfg, self.steps = student, cfg, 0
        self.teacher = copy.deepcopy(student)
        for p in self.teacher.parameters():
            p.requires_grad_(False)

    def update(self) -> float:
        """The EMA step after an optimiser step; returns the ``a`` used."""
        torch = require("torch", "baselines")
        self.steps += 1
        a = min(1.0 - 1.0 / (self.steps + 1), self.cfg.ema)
        with torch.no_grad():
            for t, s in zip(self.teacher.parameters(), self.student.parameters()):
                t.mul_(a).add_(s.detach(), alpha=1.0 - a)
            for t, s in zip(self.teacher.buffers(), self.student.buffers()):
                t.copy_(s)
        return a

    def weight(self, epoch_progress: float) -> float:
        """The consistency weight after ``epoch_progress`` epochs (exponential ramp-up)."""
        if self.cfg.warmup <= 0:
            return self.cfg.consistency
        t = min(1.0, max(0.0, epoch_progress / self.cfg.warmup))
        return float(self.cfg.consistency * math.exp(-5.0 * (1.0 - t) ** 2))

    def consistency(self, batch: dict[str, Any], student_logits: Any) -> Any:
        """The MSE consistency of one batch (the teacher runs without gradients)."""
        torch = require("torch", "baselines")
        F = torch.nn.functional
        self.teacher.train(self.student.training)
        with torch.no_grad():
            tp = torch.sigmoid(self.teacher(batch))
        sp = torch.sigmoid(student_logits)
        return F.mse_loss(sp, tp) + F.mse_loss(linear_softmax_pool(sp), linear_softmax_pool(tp))


# -- targets -----------------------------------------------------------------------------------
def frame_targets(clip: Clip, labels: tuple[str, ...], n_frames: int, duration: float,
                  *, doa: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Activity ``[F, C]`` (frame centre inside an event) and, with ``doa``, unit directions ``[F, C, 3]``.

    Example:
        >>> from avbench.model import Event
        >>> c = Clip("a", 4.0, events=(Event(1.0, 3.0, "x", azimuth=90.0, elevation=0.0),))
        >>> act, d = frame_targets(c, ("x",), 4, 4.0, doa=True)
        >>> act[:, 0].tolist(), d[1, 0].round(3).tolist()
        ([0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0])
    """
    t = (np.arange(n_frames) + 0.5) * duration / n_frames
    act = np.zeros((n_frames, len(labels)), np.float32)
    vec = np.zeros((n_frames, len(labels), 3), np.float32) if doa else None
    for ev in clip.events:
        if ev.label not in labels:
            continue
        c = labels.index(ev.label)
        on = (t >= ev.onset) & (t < ev.offset)
        act[on, c] = 1.0
        if vec is not None:
            vec[on, c] = unit_vector(ev.azimuth or 0.0, ev.elevation or 0.0)
    return act, vec


def _device(torch: Any, name: str) -> Any:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("device: cuda was asked for but no CUDA device is available; use device: auto")
    return torch.device(name)


def _to(torch: Any, batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _heard(torch: Any, batch: dict[str, Any], spec: Any) -> dict[str, Any] | None:
    """The clips of a training batch that have audio, for a model that reads audio (one that does
    not, ``spec.audio`` None, gets the batch as is): the batch itself when every clip has audio, the
    sub-batch of those that do, ``None`` when none does (the batch contributes no loss). A clip
    without audio would teach the model that silence means its labels."""
    has = batch["has_audio"]
    if spec.audio is None or bool(has.all()):
        return batch
    if not bool(has.any()):
        return None
    keep = has.nonzero().flatten()
    n = len(has)
    out = {k: v[keep] if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape[0] == n
           else [v[int(i)] for i in keep] if isinstance(v, list) and len(v) == n else v for k, v in batch.items()}
    if out.get("video") is not None and not bool(out["has_video"].any()):
        out["video"], out["video_lengths"] = None, None
    return out


def _audio_filled(torch: Any, batch: dict[str, Any], spec: Any, clips: Sequence[Any]) -> dict[str, Any]:
    """``batch`` with zeros for ``audio`` when no clip of it has audio (:func:`avbench.torch.collate`
    gives ``None`` then): ``[B, *spec.audio_shape]`` with the time axis at the rate of the model's
    input for the longest clip, ``audio_lengths`` 0, as a clip without audio gets in a batch that
    has some (its ``has_audio`` mask says so)."""
    if batch.get("audio") is not None or spec.audio is None or spec.audio_shape is None:
        return batch
    shape = list(spec.audio_shape)
    if spec.audio != "features":  # time axis 1 of [M, N], [M, F, D], [2M, F, B]
        longest = max(clips[int(i)].duration for i in batch["index"])  # ``clips``: the dataset's, by batch index
        shape[1] = max(1, int(round(longest * shape[1] / spec.duration)))
    b = len(batch["clip_id"])
    return {**batch, "audio": torch.zeros((b, *shape)), "audio_lengths": torch.zeros(b, dtype=torch.int64)}


@dataclass
class Trained:
    """A fitted model with what :func:`predict` needs (the best epoch's weights are loaded)."""

    module: Any
    spec: Any
    task: Task
    config: TrainConfig
    root: Path
    best: float | None
    best_epoch: int
    history: list[dict[str, Any]]
    hear: Any = None


def _spec_and_data(task: Task, cfg: TrainConfig, root: Path, split: str, hear: Any = None, *,
                   train_side: bool = False) -> tuple[Any, Any]:
    """The model spec and the dataset of ``split``; ``train_side`` (splits trained on) drops the clips
    without an audio file (missing downloads), which predicting splits must keep."""
    from avbench.models import ModelSpec
    from avbench.torch import dataset

    audio = "waveform" if hear is not None else cfg.audio
    ds = dataset(task.dataset, split, root=root, audio=audio, video=None if hear is not None else cfg.video,
                 channels="mono" if hear is not None else cfg.channels, n_segments=task.n_segments, cache=cfg.cache,
                 stride=(1, 1) if hear is not None else tuple(cfg.stride), format=cfg.format)
    if len(ds) == 0:
        raise InputError(f"{task.dataset}: split {split!r} under {root} has no clips")
    if train_side and ds.audio_kind not in (None, "features"):  # a clip whose audio is missing teaches nothing
        keep = [i for i, c in enumerate(ds.clips) if c.has_audio is not False and (c.audio or c.meta.get("mono"))]
        if not keep:
            from avbench import registry

            recipe = registry.dataset(task.dataset)
            part = next((p for p in (cfg.format, "audio", *recipe.audio_formats) if p and p in recipe.parts), None)
            fetch = f"avbench download {task.dataset}" + (f" --parts {part}" if part else "")
            raise InputError(f"{task.dataset}: no clip of split {split!r} under {root} has its audio on disk; "
                             f"run `{fetch}` (`avbench info {task.dataset}` shows what is there)")
        ds.clips, ds.clip_ids = [ds.clips[i] for i in keep], [ds.clip_ids[i] for i in keep]
    if hear is not None:
        ds = _HearData(ds, *hear, timestamps=task.kind not in (TaskKind.CLIP_CLASSIFICATION, TaskKind.TAGGING))
    k = next((i for i in range(len(ds)) if ds.arrays(i)["audio"] is not None), 0)  # the first clip with audio
    first = ds.arrays(k)
    vshape = None
    for i in range(len(ds)):
        if ds.clips[i].has_video and cfg.video is not None and hear is None:
            v = ds.arrays(i)["video"]
            if v is not None:
                vshape = tuple(v.shape)
                break
    duration = float(ds.clips[0].duration)
    spec = ModelSpec(task=task.id, kind=task.kind.value, labels=task.labels, duration=duration,
                     n_segments=task.n_segments, segment_length=task.segment_length, audio=audio,
                     video=cfg.video if hear is None else None, channels=cfg.channels,
                     audio_shape=None if first["audio"] is None else tuple(first["audio"].shape),
                     video_shape=vshape, sample_rate=(ds.base if hear is not None else ds).sample_rate(k),
                     format=getattr(ds, "audio_format", None))
    return spec, ds


class _HearData:
    """A :class:`~avbench.torch.ClipDataset` whose audio is replaced by frozen HEAR embeddings."""

    def __init__(self, base: Any, module: Any, model: Any, *, timestamps: bool) -> None:
        from avbench.audio import resample
        from avbench.models import hear_embed

        self.base, self.clips, self.clip_ids = base, base.clips, base.clip_ids
        waves = []
        for i in range(len(base)):
            a = base.arrays(i)["audio"]
            if a is None:  # a clip without audio: the embedding of silence (its has_audio mask stays False)
                waves.append(np.zeros(max(1, int(round(base.clips[i].duration * model.sample_rate))), np.float32))
                continue
            fs = int(base.clips[i].meta.get("fs", 0)) or int(model.sample_rate)
            waves.append(resample(a[0], fs, int(model.sample_rate)))
        self.emb = hear_embed(module, model, waves, timestamps=timestamps)

    def __len__(self) -> int:
        return len(self.base)

    def arrays(self, i: int) -> dict[str, Any]:
        item = dict(self.base.arrays(i))
        e = self.emb[i]
        item["audio"] = (e[0] if isinstance(e, tuple) else e).numpy()
        item["audio_axis"] = 0
        item["video"] = None
        return item

    def __getitem__(self, i: int) -> dict[str, Any]:
        torch = require("torch", "baselines")
        return {k: torch.from_numpy(np.asarray(v)) if isinstance(v, (np.ndarray, np.bool_)) else v
                for k, v in self.arrays(i).items()}


def build_module(factory: Any, spec: Any, cfg: TrainConfig, hear: Any = None) -> Any:
    """The model to train or restore: ``factory(spec, **cfg.model)``, or :func:`hear_head` on a HEAR
    module's embeddings (``hear``), its ``model:`` options checked (:func:`avbench.models.build_model`).

    Raises:
        InputError: the options do not fit, or the factory returned no ``torch.nn.Module``.
    """
    torch = require("torch", "baselines")
    from avbench.models import build_model

    module = build_model(hear_head if hear is not None else factory, spec, cfg.model)
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"the model factory returned {type(module).__name__}, not a torch.nn.Module")
    return module


def hear_head(spec: Any, *, hidden: int = 256) -> Any:
    """The downstream head avbench trains on HEAR embeddings: a one-hidden-layer MLP, applied per
    clip (scene embeddings) or per timestamp (then mean-pooled per segment for segment tasks)."""
    torch = require("torch", "baselines")
    nn = torch.nn
    dim = int(spec.audio_shape[-1])
    kind = TaskKind(spec.kind)
    n_out = spec.n_outputs * (4 if kind is TaskKind.EVENT_LOCALIZATION else 1)

    class HearHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(0.1),
                                     nn.Linear(hidden, n_out))

        def forward(self, batch: dict[str, Any]) -> Any:
            y = self.mlp(batch["audio"])
            if kind is TaskKind.SEGMENT_CLASSIFICATION:
                s = int(spec.n_segments)
                idx = (torch.arange(y.shape[1], device=y.device) * s) // y.shape[1]
                out = torch.zeros(y.shape[0], s, y.shape[2], device=y.device).index_add_(1, idx, y)
                return out / torch.bincount(idx, minlength=s).clamp(min=1)[None, :, None]
            if kind is TaskKind.EVENT_LOCALIZATION:
                b, f, _ = y.shape
                y = y.view(b, f, spec.n_classes, 4)
                return {"logits": y[..., 0], "doa": y[..., 1:]}
            return y

    return HearHead()


# -- loss ----------------------------------------------------------------------------------------
def _loss(torch: Any, task: Task, cfg: TrainConfig, out: Any, clips: list[Clip]) -> Any:
    F = torch.nn.functional
    kind = task.kind
    labels = task.labels
    dev = (out["logits"] if isinstance(out, dict) else out).device
    if kind is TaskKind.SEGMENT_CLASSIFICATION:
        if cfg.supervision == "weak":
            probs = torch.softmax(out, dim=-1)[..., : len(labels)].mean(dim=1).clamp(1e-6, 1 - 1e-6)
            y = torch.zeros(len(clips), len(labels), device=dev)
            for i, c in enumerate(clips):
                for s in c.segment_labels or ():
                    if s < len(labels):
                        y[i, s] = 1.0
            return F.binary_cross_entropy(probs, y)
        y = torch.tensor([list(c.segment_labels or ()) for c in clips], dtype=torch.int64, device=dev)
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    if kind is TaskKind.CLIP_CLASSIFICATION:
        y = torch.tensor([labels.index(c.clip_labels[0]) for c in clips], dtype=torch.int64, device=dev)
        return F.cross_entropy(out, y)
    if kind is TaskKind.TAGGING:
        y = torch.tensor([[1.0 if lab in c.clip_labels else 0.0 for lab in labels] for c in clips], device=dev)
        return F.binary_cross_entropy_with_logits(out, y)
    acc = None if isinstance(out, dict) else out
    n_frames = int((out["logits"] if acc is None else acc).shape[1])
    tg = [frame_targets(c, labels, n_frames, c.duration, doa=kind is TaskKind.EVENT_LOCALIZATION) for c in clips]
    act = torch.from_numpy(np.stack([a for a, _ in tg])).to(dev)
    if kind is TaskKind.EVENT_DETECTION:
        return F.binary_cross_entropy_with_logits(out, act)
    vec = torch.from_numpy(np.stack([v for _, v in tg])).to(dev)
    if acc is None:
        mask = act[..., None]
        mse = ((out["doa"] - vec) ** 2 * mask).sum() / mask.sum().clamp(min=1.0) / 3.0
        return F.binary_cross_entropy_with_logits(out["logits"], act) + cfg.doa_weight * mse
    target = act[..., None] * vec
    if acc.dim() == 5:  # multi-ACCDOA: the best track per class and frame (permutation-free, one source)
        err = ((acc - target[:, :, None]) ** 2).sum(dim=-1)  # [B, F, N, C]
        return err.min(dim=2).values.mean() + 0.1 * (acc**2).sum(-1).mean()
    return F.mse_loss(acc, target)


# -- fit / predict -------------------------------------------------------------------------------
def _selection(task: Task, cfg: TrainConfig) -> tuple[str, str, bool]:
    from avbench import registry

    if cfg.select:
        mid, _, key = cfg.select.partition(".")
    else:
        mid, key = task.metrics[0].id, ""
    key = key or registry.metric(mid).primary
    return mid, key, key in LOWER_IS_BETTER


def _score(trained: Trained, split: str, metric: str, key: str) -> float:
    from avbench.evaluation import evaluate_predictions

    rep = evaluate_predictions(predict(trained, split), reference=trained.root, metric_ids=[metric])
    value = rep.results[0].overall.get(key)
    if value is None:
        raise InputError(f"select: metric {metric!r} has no value {key!r}; its values: "
                         f"{', '.join(rep.results[0].overall)}")
    return float(value)


def _loader(torch: Any, ds: Any, cfg: TrainConfig, *, shuffle: bool, seed: int) -> Any:
    from avbench.torch import collate

    g = torch.Generator()
    g.manual_seed(seed)
    return torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=shuffle, collate_fn=collate,
                                       generator=g, num_workers=0)


def fit(task: Task, factory: Callable[..., Any] | Any, cfg: TrainConfig, root: str | Path, *, seed: int = 0,
        run_dir: str | Path | None = None, progress: Callable[[str, int, int], None] | None = None) -> Trained:
    """Train ``factory``'s model (or a HEAR module's head) on ``cfg.train_split``, select on ``cfg.val_split``.

    With ``run_dir`` every epoch appends to ``metrics.jsonl`` and writes ``last.pt`` / ``best.pt``;
    an existing ``last.pt`` is resumed. ``progress(stage, done, total)`` is called after each epoch.
    """
    torch = require("torch", "baselines")
    from avbench.models import is_hear_module

    root = Path(root)
    if cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    hear = None
    if is_hear_module(factory):
        hear = (factory, factory.load_model())
    spec, train_ds = _spec_and_data(task, cfg, root, cfg.train_split, hear, train_side=True)
    _, val_ds = _spec_and_data(task, cfg, root, cfg.val_split, hear)
    module = build_module(factory, spec, cfg, hear)
    device = _device(torch, cfg.device)
    module.to(device)
    opt = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    metric, key, lower = _selection(task, cfg)
    mtc = MeanTeacherConfig.from_dict(cfg.mean_teacher)
    mt = extra = None
    if mtc is not None:
        if task.kind is not TaskKind.EVENT_DETECTION or hear is not None:
            raise InputError(f"mean_teacher: trains frame-wise event-detection models; {task.id} is {task.kind.value}")
        mt = MeanTeacher(module, mtc)
        extra = {}
        for k, (name, sp) in enumerate((("unlabeled", mtc.unlabeled_split), ("weak", mtc.weak_split)), 1):
            if sp is not None:
                ds = _spec_and_data(task, cfg, root, sp, train_side=True)[1]
                extra[name] = (_cycle(_loader(torch, ds, cfg, shuffle=True, seed=seed + k)), ds)
    trained = Trained(module if mt is None else mt.teacher, spec, task, cfg, root, None, -1, [], hear)
    trained.val_data = val_ds  # type: ignore[attr-defined]
    start = 0
    rd = Path(run_dir) if run_dir is not None else None
    if rd is not None:
        rd.mkdir(parents=True, exist_ok=True)
        if (rd / "last.pt").is_file():
            state = load_checkpoint(rd / "last.pt", module, device, keys=("optimizer", "rng", "epoch", "best",
                                                                          "best_epoch", "history"))
            try:
                if mt is not None:
                    mt.teacher.load_state_dict(state["teacher"])
                    mt.steps = int(state["mt_steps"])
                opt.load_state_dict(state["optimizer"])
                torch.set_rng_state(state["rng"])
            except (KeyError, RuntimeError, ValueError, TypeError) as exc:
                raise unreadable(rd / "last.pt", exc) from None
            start, trained.best, trained.best_epoch = state["epoch"] + 1, state["best"], state["best_epoch"]
            trained.history = state["history"]
        # the epochs of last.pt (an interruption after an epoch's row, before its checkpoint, reruns it)
        atomic_write_text(rd / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in trained.history))
    loader = _loader(torch, train_ds, cfg, shuffle=True, seed=seed)
    best_state = None
    for epoch in range(start, cfg.epochs):
        module.train()
        t0, losses, silent = time.perf_counter(), [], 0
        for step, batch in enumerate(loader):
            if cfg.max_steps is not None and step >= cfg.max_steps:
                break
            heard = _heard(torch, batch, spec)
            if heard is None:  # no clip of the batch has audio: no loss, no step
                silent += 1
                continue
            clips = [train_ds.clips[int(i)] for i in heard["index"]]
            batch = _to(torch, heard, device)
            out = module(batch)
            loss = _loss(torch, task, cfg, out, clips)
            if mt is not None:
                loss = loss + _mean_teacher_loss(torch, task, mt, extra or {}, batch, out, device,
                                                 epoch + step / max(1, len(loader)), spec)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if mt is not None:
                mt.update()
            losses.append(float(loss.detach()))
        value = _score(trained, cfg.val_split, metric, key)
        better = trained.best is None or (value < trained.best if lower else value > trained.best)
        if better:
            trained.best, trained.best_epoch = value, epoch
            best_state = {k: v.detach().clone() for k, v in trained.module.state_dict().items()}
        row = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else math.nan,
               f"val_{metric}.{key}": value, "best": better, "seconds": round(time.perf_counter() - t0, 3)}
        if silent:
            row["batches_without_audio"] = silent
        trained.history.append(row)
        if rd is not None:
            if better:
                _save(torch, {"model": trained.module.state_dict(), "epoch": epoch}, rd / "best.pt")
            with open(rd / "metrics.jsonl", "a") as fh:
                fh.write(json.dumps(row) + "\n")
            last = {"model": module.state_dict(), "optimizer": opt.state_dict(), "rng": torch.get_rng_state(),
                    "epoch": epoch, "best": trained.best, "best_epoch": trained.best_epoch, "history": trained.history}
            if mt is not None:
                last.update(teacher=mt.teacher.state_dict(), mt_steps=mt.steps)
            _save(torch, last, rd / "last.pt")
        if progress is not None:
            progress("epoch", epoch + 1, cfg.epochs)
        if cfg.patience is not None and epoch - trained.best_epoch >= cfg.patience:
            break
    if best_state is not None:
        trained.module.load_state_dict(best_state)
    elif rd is not None and (rd / "best.pt").is_file():
        load_checkpoint(rd / "best.pt", trained.module, device)
    if mt is not None:
        trained.student = module  # type: ignore[attr-defined]
    return trained


def unreadable(path: Path, exc: BaseException) -> InputError:
    """The error for a run file (checkpoint, ``model.pkl``) that does not load: names it and what to do."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].split(". ")[0][:120]
    return InputError(f"{path}: not a checkpoint of this run ({type(exc).__name__}: {first}); delete "
                      f"{path.parent} and run the same `avbench train` command again to train that seed anew")


def load_checkpoint(path: Path, module: Any, device: Any = "cpu", *, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Load the checkpoint at ``path`` (``best.pt`` / ``last.pt``) into ``module``; returns it.

    Raises:
        InputError: the file is not a checkpoint (truncated, corrupt, another file), lacks ``keys``,
            or its weights do not fit ``module`` (another model or configuration): one line naming
            the file and the seed directory to delete.
    """
    torch = require("torch", "baselines")
    try:
        state = torch.load(path, map_location=device, weights_only=False)
        missing = [k for k in ("model", *keys) if k not in state]
        if missing:
            raise KeyError(f"no {', '.join(missing)}")
        module.load_state_dict(state["model"])
    except Exception as exc:  # noqa: BLE001 - torch.load raises many types on a damaged file; all mean the same
        raise unreadable(Path(path), exc) from None
    return state


def _save(torch: Any, obj: Any, path: Path) -> None:
    """``torch.save`` through :func:`avbench.io.atomic_open`: an interruption never leaves half a checkpoint."""
    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def _cycle(loader: Any) -> Any:
    """The batches of ``loader`` without end (a new shuffled pass after each)."""
    while True:
        yield from loader


def _mean_teacher_loss(torch: Any, task: Task, mt: MeanTeacher, extra: Mapping[str, Any], batch: dict[str, Any],
                       out: Any, device: Any, progress: float, spec: Any) -> Any:
    """Consistency on the labelled batch and one batch of each extra split (its clips with audio,
    :func:`_heard`), plus the weak clips' BCE."""
    w = mt.weight(progress)
    loss = w * mt.consistency(batch, out)
    for name, (it, ds) in extra.items():
        heard = _heard(torch, next(it), spec)
        if heard is None:
            continue
        b = _to(torch, heard, device)
        o = mt.student(b)
        loss = loss + w * mt.consistency(b, o)
        if name == "weak":  # the clip labels only (never the events of a strongly labelled split given as weak)
            clips = [ds.clips[int(i)] for i in b["index"]]
            y = torch.tensor([[1.0 if lab in c.clip_labels else 0.0 for lab in task.labels] for c in clips],
                             device=device)
            clip_p = linear_softmax_pool(torch.sigmoid(o)).clamp(1e-6, 1 - 1e-6)
            loss = loss + torch.nn.functional.binary_cross_entropy(clip_p, y)
    return loss


def predict(trained: Trained, split: str, *, model_info: Mapping[str, Any] | None = None) -> Any:
    """Predictions of ``trained`` for every clip of ``split`` (avbench predictions format)."""
    torch = require("torch", "baselines")
    from avbench.models import outputs_to_arrays
    from avbench.predictions import Predictions

    task, cfg = trained.task, trained.config
    ds = getattr(trained, "val_data", None)
    if ds is None or split != cfg.val_split:
        _, ds = _spec_and_data(task, cfg, trained.root, split, trained.hear)
    post = PostProcessing.from_dict(cfg.postprocess)
    preds = Predictions(benchmark=task.dataset, task=task.id, split=split, model=dict(model_info or {}))
    module = trained.module
    device = next(iter(module.parameters())).device
    module.eval()
    silent: list[str] = []
    with torch.no_grad():
        for batch in _loader(torch, ds, cfg, shuffle=False, seed=0):
            if trained.spec.audio is not None:
                silent += [cid for cid, h in zip(batch["clip_id"], batch["has_audio"].tolist()) if not h]
                batch = _audio_filled(torch, batch, trained.spec, ds.clips)
            arrays = outputs_to_arrays(task.kind.value, module(_to(torch, batch, device)), n_classes=len(task.labels))
            for j, cid in enumerate(batch["clip_id"]):
                p = arrays["probs"][j]
                if task.kind is TaskKind.SEGMENT_CLASSIFICATION:
                    preds.add(cid, segment_scores=np.round(p, 6))
                elif task.kind in (TaskKind.CLIP_CLASSIFICATION, TaskKind.TAGGING):
                    preds.add(cid, clip_scores=np.round(p, 6))
                else:
                    hop = ds.clips[int(batch["index"][j])].duration / p.shape[0]
                    doa = arrays["doa"][j] if "doa" in arrays else None
                    content: dict[str, Any] = {"events": post.events(p, hop=hop, labels=task.labels, doa=doa)}
                    if post.frame_scores and doa is None:
                        content["frame_scores"] = {"hop": hop, "values": np.round(p, 4)}
                    preds.add(cid, **content)
    if silent:  # predicted from zeros in place of their audio (the model saw has_audio False)
        preds.model["clips_without_audio"] = silent
    return preds

