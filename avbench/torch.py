"""PyTorch adapters for every dataset (extra ``baselines``): ``avbench.torch.dataset(name, split)``.

:func:`dataset` reads the clips of a split through the recipe's loader (its
:class:`~avbench.model.Clip` records) and gives, per clip, a dict of tensors with the availability
masks beside them; :func:`collate` pads a list of such items into a batch and keeps the masks.
Torch is imported when an item or a batch is made, never at import time, so this module costs
nothing to import and a missing torch is a :class:`~avbench.errors.MissingExtraError` naming the
``baselines`` extra.

Item keys (``None`` where a modality is not requested or not available):

- ``clip_id`` (str), ``index`` (int, position in the split);
- ``audio``: ``"waveform"`` float32 ``[M, N]`` (``M`` channels, ``N`` samples at the clip's rate),
  ``"logmel"`` float32 ``[M, F, 40]`` (:func:`avbench.audio.logmel`, 20 ms hop),
  ``"spectrogram"`` float32 ``[2 M, F, B]`` (log magnitudes then phases,
  :func:`avbench.audio.spectrogram`), or ``"features"`` (the dataset's released features, e.g. AVE's
  VGGish ``[10, 128]``);
- ``video``: ``"frames"`` uint8 ``[T, H, W, 3]`` or ``"features"`` (AVE's VGG-19 ``[10, 7, 7, 512]``);
  ``None`` for a clip without usable video (``Clip.has_video`` not True): its file is never opened;
  released features exist for every row of their file, so with ``"features"`` every clip has them;
- masks: ``has_audio``, ``has_video`` (bool), ``video_mask`` bool ``[S]`` (per segment: the task's
  segments, else one per second), ``camera_mask`` bool ``[K]`` (the clip's cameras in their order).
  ``has_audio`` is False for a clip whose audio is not there (``Clip.has_audio`` not True, or no
  audio file): its ``audio`` is ``None``, never a read error.

``format`` picks the audio format of a multi-format release (``Recipe.audio_formats``: the DCASE
SELD sets have ``"foa"`` and ``"mic"``); the default is the recipe's ``Clip.audio`` (FOA where both
are on disk). A chosen format that some clip of the split lacks on disk is an
:class:`~avbench.errors.InputError` naming the download command, before anything is read.

A batch from :func:`collate` has the same keys: ``clip_id`` a list, tensors stacked with a leading
batch axis, time axes zero-padded to the longest clip with ``audio_lengths`` / ``video_lengths``
(int64 ``[B]``) saying how much is real (the time axis of ``audio`` is 1 in an item, 2 in a batch,
except for ``"features"``: 0 and 1; ``audio_axis`` in an item says which), ``audio`` zero for the
clips without audio and ``None`` when no clip of the batch has audio (:mod:`avbench.training`
gives a model zeros of its input shape then), ``video`` zero for the clips without video and ``None``
when no clip of the batch has video (a model must then not touch it), masks padded with ``False``.

Example:
    >>> import tempfile, pathlib
    >>> from avbench.recipes.synth import RECIPE
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "synth"
    >>> _ = RECIPE.prepare(root, size="tiny", quiet=True)
    >>> ds = dataset("synth", "test", root=root, audio="logmel", channels="mono")
    >>> len(ds) > 0, ds.clip_ids == list(RECIPE.load(root, split="test"))
    (True, True)
    >>> dataset("synth", "test", root=root, audio="mp3")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: avbench.torch.dataset: audio must be one of waveform, logmel, spectrogram, features or None, got 'mp3'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require

__all__ = ["dataset", "collate", "ClipDataset", "AUDIO_KINDS", "VIDEO_KINDS", "labelled", "LabelledDataset",
           "collate_labelled"]

AUDIO_KINDS = ("waveform", "logmel", "spectrogram", "features")
VIDEO_KINDS = ("frames", "features")
_CHANNELS = ("all", "mono")


def _torch() -> Any:
    return require("torch", "baselines")


class ClipDataset:
    """A map-style dataset (``len``, ``[i]``) of one split; any ``torch.utils.data.DataLoader`` takes it.

    Made by :func:`dataset`. ``clips`` holds the split's :class:`~avbench.model.Clip` records in
    order (``clip_ids`` their ids); ``cache=True`` keeps the computed arrays of each item in memory
    (with ``num_workers=0``: the features are computed once, then every epoch reads memory).
    """

    def __init__(self, name: str, root: Path, clips: Sequence[Any], *, audio: str | None, video: str | None,
                 channels: str, n_segments: int | None, cache: bool, features: Any = None,
                 stride: tuple[int, int] = (1, 1), format: str | None = None) -> None:
        self.name, self.root, self.clips = name, Path(root), list(clips)
        self.audio_kind, self.video_kind, self.channels, self.format = audio, video, channels, format
        self.n_segments, self.cache, self.stride = n_segments, cache, stride
        self._features = features
        self._memo: dict[int, dict[str, Any]] = {}
        self.clip_ids = [c.id for c in self.clips]
        self.undecodable: list[str] = []  # clips whose video file did not decode (then given as without video)

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def audio_format(self) -> str | None:
        """The audio format read: ``format`` when given, else the format of the first clip whose
        ``Clip.audio`` is one of its ``meta["formats"]`` (the recipe's default), else ``None``
        (a release with one format)."""
        if self.format is not None:
            return self.format
        for c in self.clips:
            for fmt, rel in ((c.meta or {}).get("formats") or {}).items():
                if rel == c.audio:
                    return str(fmt)
        return None

    def sample_rate(self, i: int) -> int | None:
        """The rate in Hz of the audio file item ``i`` reads (the recipe's ``meta["fs"]`` where it
        records one, else the file's header); ``None`` without audio or a header soundfile reads."""
        clip = self.clips[i]
        meta = clip.meta or {}
        if meta.get("fs"):
            return int(meta["fs"])
        if self.format is not None:
            rel = (meta.get("formats") or {}).get(self.format)
        elif meta.get("mics"):
            rel = sorted(meta["mics"].items())[0][1]
        else:
            rel = (meta.get("mono") if self.channels == "mono" else None) or clip.audio
        if rel is None:
            return None
        import soundfile

        try:
            return int(soundfile.info(str(self.root / str(rel))).samplerate)
        except RuntimeError:  # not a soundfile container (m4a, webm): decoded at its own rate by ffmpeg
            return None

    # -- readers -------------------------------------------------------------------------------
    def _read_audio(self, i: int) -> np.ndarray | None:
        clip = self.clips[i]
        if self.audio_kind is None or (self.audio_kind != "features" and clip.has_audio is False):
            return None
        if self.audio_kind == "features":
            return np.array(self._features[i].audio, dtype=np.float32)
        from avbench.audio import logmel, read_audio, spectrogram

        mono = clip.meta.get("mono") if self.channels == "mono" and self.format is None else None
        path = mono or clip.audio
        if path is None:  # nothing on disk (has_audio unknown): a clip without audio, as its mask says
            return None
        if self.format is not None or (self.channels == "all" and clip.meta.get("mics")):
            from avbench.audio import read_array  # one WAV per capsule (SECL-UMONS), or the chosen format's file

            xa, fs = read_array(self.root, clip, fmt=self.format)
            x = xa.astype(np.float32)
        else:
            x, fs = read_audio(self.root / str(path))
        if self.channels == "mono" and mono is None and x.shape[0] > 1:
            x = x.mean(axis=0, keepdims=True)
        if self.audio_kind == "waveform":
            return np.ascontiguousarray(x)
        sf_, sb = self.stride
        if self.audio_kind == "logmel":
            return np.ascontiguousarray(logmel(x, fs=fs).astype(np.float32)[:, ::sf_, ::sb])
        return np.ascontiguousarray(spectrogram(x, fs=fs)[:, ::sf_, ::sb])

    def _read_video(self, i: int) -> np.ndarray | None:
        clip = self.clips[i]
        if self.video_kind is None or (self.video_kind == "frames" and clip.has_video is not True):
            return None
        if self.video_kind == "features":
            if self._features is None:
                raise InputError(f"{self.name}: no released visual features; use video='frames'")
            return np.array(self._features[i].visual, dtype=np.float32)
        if clip.video is None:
            return None
        path = self.root / str(clip.video)
        if path.suffix == ".npz":
            with np.load(path) as z:
                return np.ascontiguousarray(z["frames"])
        from avbench.recipes.ave.media import decode_clip

        try:
            m = decode_clip(path, fps=8, size=(224, 224), sample_rate=16000)
        except InputError:  # an undecodable file (not probed yet): the clip is without video
            self.undecodable.append(clip.id)
            return None
        return np.ascontiguousarray(m.frames.reshape(-1, *m.frames.shape[-3:])) if m.has_video else None

    def _masks(self, i: int) -> dict[str, np.ndarray]:
        clip = self.clips[i]
        n = self.n_segments or (len(clip.video_segments) if clip.video_segments is not None
                                else max(1, int(round(clip.duration))))
        if clip.video_segments is not None and len(clip.video_segments) != n:
            vm = np.zeros(n, bool) if not clip.has_video else np.resize(np.asarray(clip.video_segments, bool), n)
        else:
            vm = np.asarray(clip.video_mask(n), bool)
        if self.video_kind == "features" and self._features is not None:
            vm = np.ones(n, bool)  # released visual features exist for every row of the feature file
        return {"has_audio": np.bool_(clip.has_audio is True), "has_video": np.bool_(bool(clip.has_video) and vm.any()
                                                                            or self.video_kind == "features"),
                "video_mask": vm, "camera_mask": np.asarray(list(clip.cameras.values()), bool)}

    def arrays(self, i: int) -> dict[str, Any]:
        """Item ``i`` as numpy arrays (what :meth:`__getitem__` turns into tensors)."""
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"{self.name}: index {i} is outside the {len(self)} clips of the split")
        if i in self._memo:
            return self._memo[i]
        item = {"clip_id": self.clip_ids[i], "index": i, **self._masks(i),
                "audio_axis": 0 if self.audio_kind == "features" else 1}
        item["audio"] = self._read_audio(i)
        if self.audio_kind is not None:  # what was read: a clip whose audio is not on disk is masked as without
            item["has_audio"] = np.bool_(item["audio"] is not None)
        item["video"] = self._read_video(i) if item["has_video"] else None
        if item["has_video"] and item["video"] is None:  # nothing decodable: masked as a clip without video
            item["has_video"] = np.bool_(False)
            item["video_mask"] = np.zeros_like(item["video_mask"])
        if self.cache:
            self._memo[i] = item
        return item

    def __getitem__(self, i: int) -> dict[str, Any]:
        torch = _torch()
        out: dict[str, Any] = {}
        for k, v in self.arrays(i).items():
            out[k] = torch.from_numpy(np.asarray(v)) if isinstance(v, (np.ndarray, np.bool_)) else v
        return out


def dataset(
    name: str, split: str, *, data_dir: str | Path | None = None, root: str | Path | None = None,
    audio: str | None = "waveform", video: str | None = "frames", channels: str = "all",
    n_segments: int | None = None, cache: bool = False, stride: Sequence[int] = (1, 1),
    format: str | None = None,
) -> ClipDataset:
    """The clips of ``split`` of dataset ``name`` as tensors with availability masks (module docstring).

    Args:
        name: a dataset (``avbench list datasets``).
        split: one of its splits.
        data_dir: the avbench data directory; or ``root``: the dataset's own directory.
        audio: ``"waveform"``, ``"logmel"``, ``"spectrogram"``, ``"features"`` or ``None``.
        video: ``"frames"``, ``"features"`` or ``None``.
        channels: ``"all"`` (every microphone) or ``"mono"`` (the recipe's mono mix when it has one,
            else the mean of the channels).
        n_segments: segments of ``video_mask`` (default: the clip's own segmentation, else 1 per s).
        cache: keep computed items in memory.
        stride: keep every ``stride[0]``-th frame and ``stride[1]``-th bin of ``"logmel"`` and
            ``"spectrogram"`` audio (before caching: a model that subsamples its input anyway
            then copies only what it uses).
        format: the audio format of a multi-format release (``"foa"`` or ``"mic"`` for the DCASE
            SELD sets; ``None``: the recipe's ``Clip.audio``).

    Raises:
        InputError: an unknown dataset, split or representation; a ``format`` the dataset does not
            have, or that some clip of the split lacks on disk (the message names the download).
        DataNotFoundError: the dataset is not on disk (the message says how to fetch it).
    """
    from avbench import registry
    from avbench.paths import dataset_dir

    if audio is not None and audio not in AUDIO_KINDS:
        raise InputError(f"avbench.torch.dataset: audio must be one of {', '.join(AUDIO_KINDS)} or None, got {audio!r}")
    if video is not None and video not in VIDEO_KINDS:
        raise InputError(f"avbench.torch.dataset: video must be one of {', '.join(VIDEO_KINDS)} or None, got {video!r}")
    if channels not in _CHANNELS:
        raise InputError(f"avbench.torch.dataset: channels must be 'all' or 'mono', got {channels!r}")
    recipe = registry.dataset(name)
    base = Path(root) if root is not None else dataset_dir(name, data_dir)
    recipe.require(base)
    features = None
    if "features" in (audio, video):
        if name != "ave":
            raise InputError(f"avbench.torch.dataset: {name} ships no released features; use audio='logmel' "
                             "or 'waveform' and video='frames'")
        from avbench.recipes.ave.features import AveFeatures

        features = AveFeatures(base, split)
        by_id = recipe.load(base, split=split)
        clips = [by_id[cid] for cid in features.ids]
    else:
        clips = list(recipe.load(base, split=split).values())
    st = tuple(int(x) for x in stride)
    if len(st) != 2 or min(st) < 1:
        raise InputError(f"avbench.torch.dataset: stride must be two positive integers (frames, bins), got {stride!r}")
    if format is not None:
        from avbench.audio import require_format

        require_format(recipe, base, clips, format, split=split)
    return ClipDataset(name, base, clips, audio=audio, video=video, channels=channels, n_segments=n_segments,
                       cache=cache, features=features, stride=(st[0], st[1]), format=format)


def _pad_stack(torch: Any, values: Sequence[Any], axis: int) -> tuple[Any, Any]:
    """Stack tensors zero-padded along ``axis`` to the longest; returns (batch, lengths)."""
    lengths = [int(v.shape[axis]) for v in values]
    top = max(lengths)
    out = []
    for v in values:
        if v.shape[axis] < top:
            pad_shape = list(v.shape)
            pad_shape[axis] = top - v.shape[axis]
            v = torch.cat([v, torch.zeros(pad_shape, dtype=v.dtype)], dim=axis)
        out.append(v)
    return torch.stack(out), torch.tensor(lengths, dtype=torch.int64)


def collate(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pad and stack items of :class:`ClipDataset` into a batch (module docstring).

    Items of different lengths are zero-padded along their time axis (``tests/test_torch.py`` shows a
    short clip padded to 500 frames beside a full one, and a batch without video giving ``None``).
    """
    torch = _torch()
    if not items:
        raise InputError("collate: an empty list of items")
    batch: dict[str, Any] = {"clip_id": [it["clip_id"] for it in items],
                             "index": torch.tensor([int(it["index"]) for it in items], dtype=torch.int64)}
    for key in ("has_audio", "has_video"):
        batch[key] = torch.stack([torch.as_tensor(it[key], dtype=torch.bool) for it in items])
    for key in ("video_mask", "camera_mask"):
        batch[key], _ = _pad_stack(torch, [torch.as_tensor(it[key], dtype=torch.bool) for it in items], 0)
    audio = [it["audio"] for it in items]
    if all(a is None for a in audio):
        batch["audio"], batch["audio_lengths"] = None, None
    else:
        ref = next(a for a in audio if a is not None)
        axis = int(items[0].get("audio_axis", ref.dim() - 1))
        shape = list(ref.shape)
        shape[axis] = 0
        audio = [a if a is not None else torch.zeros(shape, dtype=ref.dtype) for a in audio]
        batch["audio"], batch["audio_lengths"] = _pad_stack(torch, audio, axis)
    video = [it["video"] for it in items]
    if all(v is None for v in video):
        batch["video"], batch["video_lengths"] = None, None
    else:
        ref = next(v for v in video if v is not None)
        video = [v if v is not None else torch.zeros((0, *ref.shape[1:]), dtype=ref.dtype) for v in video]
        batch["video"], batch["video_lengths"] = _pad_stack(torch, video, 0)
    return batch


class LabelledDataset:
    """A :class:`ClipDataset` with label targets beside the tensors (made by :func:`labelled`).

    Adds to every item: ``weak_labels`` float32 ``[C]`` (multi-hot over ``weak_classes``: the
    clip's ``clip_labels``), ``has_weak`` bool (whether the clip has clip labels at all, False for
    unlabelled clips), ``events`` float32 ``[E, 3]`` (onset s, offset s, index into
    ``strong_classes``), ``has_strong`` bool (whether the clip's events are annotated: an
    annotated clip may have none), and with ``frame_hop`` ``frame_targets`` float32 ``[F, C']``
    (1 where a frame's centre lies inside an event, :func:`avbench.training.frame_targets`;
    ``F = round(duration / frame_hop)``). ``dropped`` lists the clips left out for lack of audio.
    :func:`collate_labelled` batches them.
    """

    def __init__(self, base: ClipDataset, *, weak_classes: Sequence[str], strong_classes: Sequence[str] | None,
                 has_weak: Any, has_strong: Any, frame_hop: float | None, dropped: Sequence[str] = ()) -> None:
        self.base, self.dropped = base, list(dropped)
        self.weak_classes, self.strong_classes = tuple(weak_classes), tuple(strong_classes or ())
        self._weak_index = {c: i for i, c in enumerate(self.weak_classes)}
        self._strong_index = {c: i for i, c in enumerate(self.strong_classes)}
        self._has_weak, self._has_strong, self.frame_hop = has_weak, has_strong, frame_hop
        self.clips, self.clip_ids = base.clips, base.clip_ids

    def __len__(self) -> int:
        return len(self.base)

    def arrays(self, i: int) -> dict[str, Any]:
        """Item ``i`` as numpy arrays: the base item and the targets."""
        item = dict(self.base.arrays(i))
        clip = self.base.clips[i if i >= 0 else i + len(self)]
        weak = np.zeros(len(self.weak_classes), np.float32)
        for lab in clip.clip_labels:
            if lab in self._weak_index:
                weak[self._weak_index[lab]] = 1.0
        events = [(e.onset, e.offset, self._strong_index[e.label]) for e in clip.events if e.label in self._strong_index]
        item.update(weak_labels=weak, has_weak=np.bool_(self._has_weak(clip)),
                    events=np.asarray(events, np.float32).reshape(-1, 3), has_strong=np.bool_(self._has_strong(clip)))
        if self.frame_hop is not None:
            from avbench.training import frame_targets

            n = max(1, int(round(clip.duration / self.frame_hop)))
            item["frame_targets"], _ = frame_targets(clip, self.strong_classes, n, clip.duration)
        return item

    def __getitem__(self, i: int) -> dict[str, Any]:
        torch = _torch()
        return {k: torch.from_numpy(np.asarray(v)) if isinstance(v, (np.ndarray, np.bool_)) else v
                for k, v in self.arrays(i).items()}


def labelled(base: ClipDataset, *, weak_classes: Sequence[str], strong_classes: Sequence[str] | None = None,
             has_weak: Any = None, has_strong: Any = None, frame_hop: float | None = None,
             require_audio: bool = False) -> LabelledDataset:
    """``base`` with weak and strong targets (:class:`LabelledDataset`); the recipes' adapters
    (``avbench.recipes.audioset.torch_dataset``, ``avbench.recipes.desed.torch_dataset``) call it.

    Args:
        base: the split's :class:`ClipDataset` (:func:`dataset`).
        weak_classes: the order of ``weak_labels``.
        strong_classes: the order of the event class indices and of ``frame_targets``.
        has_weak, has_strong: ``clip -> bool`` (default: the clip has clip labels / events).
        frame_hop: seconds per frame of ``frame_targets`` (none without).
        require_audio: keep only the clips whose audio is available (``has_audio`` True): a
            YouTube-sourced copy lacks some; the others are listed in ``dropped``.

    Raises:
        InputError: ``frame_hop`` not a positive number.
    """
    if frame_hop is not None and (isinstance(frame_hop, bool) or not frame_hop > 0):
        raise InputError(f"avbench.torch.labelled: frame_hop must be a positive number of seconds, got {frame_hop!r}")
    dropped: list[str] = []
    if require_audio and base.audio_kind is not None:
        keep = [c for c in base.clips if c.has_audio is True]
        dropped = [c.id for c in base.clips if c.has_audio is not True]
        base = ClipDataset(base.name, base.root, keep, audio=base.audio_kind, video=base.video_kind,
                           channels=base.channels, n_segments=base.n_segments, cache=base.cache,
                           features=base._features, stride=base.stride, format=base.format)
    out = LabelledDataset(base, weak_classes=weak_classes, strong_classes=strong_classes,
                          has_weak=has_weak or (lambda c: bool(c.clip_labels)),
                          has_strong=has_strong or (lambda c: bool(c.events)), frame_hop=frame_hop,
                          dropped=dropped)
    return out


def collate_labelled(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """:func:`collate` of :class:`LabelledDataset` items: also ``weak_labels`` ``[B, C]``, ``has_weak`` /
    ``has_strong`` ``[B]``, ``events`` (a list of ``[E_b, 3]`` tensors: counts differ per clip) and
    ``frame_targets`` ``[B, F, C']`` zero-padded with ``frame_lengths`` ``[B]``."""
    torch = _torch()
    keys = ("weak_labels", "has_weak", "events", "has_strong", "frame_targets")
    batch = collate([{k: v for k, v in it.items() if k not in keys} for it in items])
    batch["weak_labels"] = torch.stack([torch.as_tensor(it["weak_labels"]) for it in items])
    for key in ("has_weak", "has_strong"):
        batch[key] = torch.stack([torch.as_tensor(it[key], dtype=torch.bool) for it in items])
    batch["events"] = [torch.as_tensor(it["events"]) for it in items]
    if "frame_targets" in items[0]:
        batch["frame_targets"], batch["frame_lengths"] = _pad_stack(
            torch, [torch.as_tensor(it["frame_targets"]) for it in items], 0)
    return batch
