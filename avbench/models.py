"""The plug-in model contract: what avbench gives a model and what it expects back.

A submitter writes a **factory** ``factory(spec: ModelSpec, **params) -> torch.nn.Module`` (a
``torch.nn.Module`` subclass whose ``__init__(self, spec, ...)`` is one) and names it to
``avbench train --task TASK --model package.module:factory`` (or ``path/to/file.py:factory``);
``params`` come from the ``model:`` mapping of ``--config``. avbench supplies the data, the masks,
the training loop, validation-only selection, the predictions file and the scores
(:mod:`avbench.training`).

**Input**: ``module(batch)`` gets a batch of :func:`avbench.torch.collate`: ``batch["audio"]``
(``spec.audio``: waveforms ``[B, M, N]``, log-mel ``[B, M, F, 40]``, magnitude+phase spectrograms
``[B, 2M, F, B']`` or released features ``[B, S, D]``), ``batch["video"]`` (frames
``[B, T, H, W, 3]`` uint8 or features; zero for the clips without video and ``None`` when no clip of
the batch has video: do not touch it then), and the masks ``has_audio`` / ``has_video`` ``[B]``,
``video_mask`` ``[B, S]`` (per segment), ``camera_mask`` ``[B, K]``, plus ``audio_lengths`` /
``video_lengths``. A clip without audio (``has_audio`` False: not on disk) has zeros in ``audio``,
also when no clip of the batch has audio; training leaves such clips out of the loss (a batch of
them takes no step) and the predictions file lists them in ``model.clips_without_audio``. A model must not let the visual input of a clip without video reach its output
(use ``torch.where`` on the mask, not a product: a product with NaN stays NaN).

**Output** by task kind (``spec.kind``), unnormalised scores (logits) unless said otherwise:

======================== ===================================================================
segment-classification   ``[B, S, C + 1]`` (last column = background); softmax in the file
clip-classification      ``[B, C]``; softmax in the file (``clip_scores``)
multi-label-tagging      ``[B, C]``; sigmoids in the file
event-detection          ``[B, F, C]`` frame-wise; sigmoids, hop = ``spec.duration / F``, decoded by
                         :class:`avbench.postprocess.PostProcessing`, also written as ``frame_scores``
event-localization       ``{"logits": [B, F, C], "doa": [B, F, C, 3]}`` (activity + Cartesian
                         direction), or ACCDOA ``[B, F, C, 3]`` (activity = vector norm), or
                         multi-ACCDOA ``[B, F, N, C, 3]`` (``N`` tracks)
======================== ===================================================================

**HEAR embeddings**: a module with ``load_model(model_file_path="")`` returning a model with
``sample_rate``, ``scene_embedding_size`` and ``timestamp_embedding_size``,
``get_scene_embeddings(audio [n, samples], model) -> [n, D]`` and
``get_timestamp_embeddings(audio, model) -> ([n, T, D], timestamps [n, T] in ms)`` plugs in
unchanged (``--model package.module``): avbench computes the embeddings once (frozen) and trains
the downstream head of :func:`hear_head` on them.

Example:
    >>> spec = ModelSpec(task="synth-scene", kind="clip-classification", labels=("a", "b", "c"),
    ...                  duration=10.0)
    >>> spec.n_outputs
    3
    >>> load_factory("no_such_module_xyz:f")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: --model no_such_module_xyz:f: cannot import module 'no_such_module_xyz' (No module named 'no_such_module_xyz'); give package.module:factory on the Python path or path/to/file.py:factory
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.model import TaskKind

__all__ = ["ModelSpec", "load_factory", "build_model", "is_hear_module", "outputs_to_arrays", "HEAR_FUNCTIONS"]

HEAR_FUNCTIONS = ("load_model", "get_scene_embeddings", "get_timestamp_embeddings")


@dataclass(frozen=True)
class ModelSpec:
    """What a factory knows about the task and its inputs.

    Args:
        task: task id; kind: its :class:`~avbench.model.TaskKind` value; labels: its classes.
        duration: clip length in seconds (frame outputs cover it evenly).
        n_segments, segment_length: for segment tasks.
        audio, video, channels: the representations asked for (see :func:`avbench.torch.dataset`).
        format: the audio format read from a multi-format release (``"foa"`` / ``"mic"`` on the
            DCASE SELD sets), ``None`` for a release with one.
        audio_shape, video_shape: one clip's tensor shapes (no batch axis), ``None`` when absent.
        sample_rate: audio rate in Hz; hop: the input frame hop in seconds (log-mel, spectrogram).
    """

    task: str
    kind: str
    labels: tuple[str, ...]
    duration: float
    n_segments: int | None = None
    segment_length: float = 1.0
    audio: str | None = None
    video: str | None = None
    channels: str = "all"
    audio_shape: tuple[int, ...] | None = None
    video_shape: tuple[int, ...] | None = None
    sample_rate: int | None = None
    hop: float = 0.02
    format: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    @property
    def n_outputs(self) -> int:
        """Output classes: ``C + 1`` for segment classification (background), ``C`` otherwise."""
        return self.n_classes + (1 if self.kind == TaskKind.SEGMENT_CLASSIFICATION.value else 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _import_module(ref: str, what: str) -> ModuleType:
    if ref.endswith(".py"):
        path = Path(ref).expanduser().resolve()
        if not path.is_file():
            raise InputError(f"{what}: no file {path}")
        name = f"avbench_user_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
            raise InputError(f"{what}: cannot load {path}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod
    try:
        return importlib.import_module(ref)
    except ImportError as exc:
        raise InputError(f"{what}: cannot import module {ref!r} ({exc}); give package.module:factory on the "
                         "Python path or path/to/file.py:factory") from None


def is_hear_module(obj: Any) -> bool:
    """Whether ``obj`` (a module) has the three HEAR functions."""
    return all(callable(getattr(obj, f, None)) for f in HEAR_FUNCTIONS)


def load_factory(ref: str) -> Callable[..., Any] | ModuleType:
    """The factory named by ``package.module:factory`` or ``file.py:factory``; a bare module (no
    ``:``) must follow the HEAR API and is returned as the module.

    Raises:
        InputError: the module does not import, has no such attribute, or a bare module is not HEAR.
    """
    what = f"--model {ref}"
    mod_ref, sep, attr = ref.rpartition(":") if ":" in ref.replace(":\\", "") else (ref, "", "")
    if not sep:
        mod = _import_module(ref, what)
        if not is_hear_module(mod):
            missing = [f for f in HEAR_FUNCTIONS if not callable(getattr(mod, f, None))]
            raise InputError(f"{what}: a module without ':factory' must follow the HEAR API; it lacks "
                             f"{', '.join(missing)}")
        return mod
    mod = _import_module(mod_ref, what)
    obj = mod
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise InputError(f"{what}: module {mod_ref!r} has no {attr!r}")
    if not callable(obj):
        raise InputError(f"{what}: {attr!r} is not callable (a factory or an nn.Module class)")
    return obj


def build_model(factory: Callable[..., Any], spec: ModelSpec, params: Mapping[str, Any], *,
                what: str = "the model factory") -> Any:
    """``factory(spec, **params)`` once ``params`` (the ``model:`` mapping of ``--config``) fit its
    signature: an unknown key or a required argument left out is a one-line error, not a
    ``TypeError`` from deep inside the model.

    Raises:
        InputError: ``params`` does not fit ``factory``'s signature (the message lists what it takes).

    Example:
        >>> def build(spec, hidden, depth=2): return (hidden, depth)
        >>> build_model(build, None, {"hidden": 8})
        (8, 2)
        >>> build_model(build, None, {"hiden": 8})
        Traceback (most recent call last):
        ...
        avbench.errors.InputError: model: the model factory build() does not take 'hiden' (its options: hidden, depth); fix the model: mapping of --config
    """
    import inspect

    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature: just call it
        return factory(spec, **params)
    try:
        sig.bind(spec, **params)
    except TypeError as exc:
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        options = [p.name for p in list(sig.parameters.values())[1:] if p.kind in kinds]
        name = getattr(factory, "__name__", type(factory).__name__)
        bad = [k for k in params if k not in options]
        takes_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        problem = f"does not take {bad[0]!r}" if bad and not takes_any else f"cannot take these options ({exc})"
        raise InputError(f"model: {what} {name}() {problem} (its options: {', '.join(options) or 'none'}); "
                         "fix the model: mapping of --config") from None
    return factory(spec, **params)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def outputs_to_arrays(kind: str, out: Any, *, n_classes: int) -> dict[str, np.ndarray]:
    """A model's batch output as numpy probabilities: ``{"probs": [B, ...]}`` and, for
    localization, ``"doa"`` unit vectors ``[B, F, C, 3]`` (module docstring table).

    Raises:
        InputError: the output does not have the shape of the task kind.
    """
    def arr(t: Any) -> np.ndarray:
        return t.detach().float().cpu().numpy() if hasattr(t, "detach") else np.asarray(t, dtype=float)

    k = TaskKind(kind)
    if k is TaskKind.EVENT_LOCALIZATION:
        if isinstance(out, dict):
            if "logits" not in out or "doa" not in out:
                raise InputError("model output for event-localization: a dict needs 'logits' and 'doa'")
            probs, doa = _sigmoid(arr(out["logits"])), arr(out["doa"])
        else:
            acc = arr(out)
            if acc.ndim == 5:  # multi-ACCDOA: per class, the track with the longest vector
                norms = np.linalg.norm(acc, axis=-1)  # [B, F, N, C]
                best = norms.argmax(axis=2)
                acc = np.take_along_axis(acc, best[:, :, None, :, None], axis=2)[:, :, 0]
            if acc.ndim != 4 or acc.shape[-1] != 3:
                raise InputError(f"model output for event-localization has shape {acc.shape}; expected "
                                 "[B, F, C, 3] (ACCDOA), [B, F, N, C, 3] or a dict of logits and doa")
            probs, doa = np.clip(np.linalg.norm(acc, axis=-1), 0.0, 1.0), acc
        if probs.ndim != 3 or probs.shape[-1] != n_classes or doa.shape != (*probs.shape, 3):
            raise InputError(f"model output for event-localization: scores {probs.shape}, doa {doa.shape}; "
                             f"expected [B, F, {n_classes}] and [B, F, {n_classes}, 3]")
        norm = np.linalg.norm(doa, axis=-1, keepdims=True)
        return {"probs": probs, "doa": np.where(norm > 0, doa / np.maximum(norm, 1e-12), 0.0)}
    x = arr(out)
    want = {TaskKind.SEGMENT_CLASSIFICATION: (3, n_classes + 1), TaskKind.CLIP_CLASSIFICATION: (2, n_classes),
            TaskKind.TAGGING: (2, n_classes), TaskKind.EVENT_DETECTION: (3, n_classes)}
    if k not in want:
        raise InputError(f"avbench train does not train {kind} models")
    ndim, last = want[k]
    if x.ndim != ndim or x.shape[-1] != last:
        raise InputError(f"model output for {kind} has shape {tuple(x.shape)}; expected {ndim} axes ending in {last}")
    probs = _softmax(x) if k in (TaskKind.SEGMENT_CLASSIFICATION, TaskKind.CLIP_CLASSIFICATION) else _sigmoid(x)
    return {"probs": probs}


def hear_embed(module: ModuleType, model: Any, waveforms: Sequence[np.ndarray], *, timestamps: bool,
               batch_size: int = 8) -> list[Any]:
    """HEAR embeddings of mono waveforms (already at ``model.sample_rate``), one entry per clip:
    ``[D]`` scene embeddings, or ``([T, D], timestamps_ms [T])`` with ``timestamps``."""
    torch = importlib.import_module("torch")
    out: list[Any] = []
    for i in range(0, len(waveforms), batch_size):
        chunk = list(waveforms[i : i + batch_size])
        n = max(len(w) for w in chunk)
        x = torch.zeros(len(chunk), n)
        for j, w in enumerate(chunk):
            x[j, : len(w)] = torch.as_tensor(np.asarray(w, dtype=np.float32))
        with torch.no_grad():
            if timestamps:
                emb, ts = module.get_timestamp_embeddings(x, model)
                out.extend((emb[j].float().cpu(), ts[j].float().cpu()) for j in range(len(chunk)))
            else:
                emb = module.get_scene_embeddings(x, model)
                out.extend(emb[j].float().cpu() for j in range(len(chunk)))
    return out
