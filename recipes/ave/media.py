"""AVE raw media: video status (the ``has_video`` mask), per-second decoding with PyAV, toy videos.

Videos come from ``AVE_Dataset/AVE/<VideoID>.mp4`` (the archive) or, where that is missing or
undecodable, from the YouTube availability manifest (``youtube/youtube_manifest.tsv``, see
:mod:`avbench.download.manifest`, written when the ``youtube`` part is fetched).
``avbench download ave`` probes every archive video once (open, find a video stream, decode one
frame) and records the outcome in ``avbench/video_status.json``; without that file a video counts as
present when its file exists and is not empty.

Decoding (extra ``video``) gives, per 1-s segment ``k`` (``[k, k+1)`` s from the first frame):
``fps`` frames, the last frame shown at ``k + (j + 0.5) / fps`` s for ``j = 0..fps-1``, resized to
``size = (height, width)`` RGB ``uint8``; and ``sample_rate`` mono ``float32`` audio samples, zero-padded
or cut to exactly 10 s.

Example:
    >>> frame_times(fps=2, n_segments=2)
    [0.25, 0.75, 1.25, 1.75]
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require
from avbench.io import write_json

__all__ = [
    "STATUS_FILE",
    "YOUTUBE_MANIFEST",
    "frame_times",
    "probe_video",
    "write_video_status",
    "video_availability",
    "video_locations",
    "MediaClip",
    "decode_clip",
    "AveMedia",
    "write_toy_video",
]

STATUS_FILE = "avbench/video_status.json"
YOUTUBE_MANIFEST = "youtube/youtube_manifest.tsv"


def frame_times(*, fps: int, n_segments: int = 10, segment_length: float = 1.0) -> list[float]:
    """Sampling instants in seconds: ``k * L + (j + 0.5) * L / fps``."""
    return [k * segment_length + (j + 0.5) * segment_length / fps for k in range(n_segments) for j in range(fps)]


def probe_video(path: Path) -> str:
    """``"ok"`` when ``path`` opens, has a video stream and one frame decodes; else why not."""
    if not path.is_file():
        return "missing"
    if path.stat().st_size == 0:
        return "undecodable: empty file"
    av = require("av", "video")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "undecodable: no video stream"
            for _ in container.decode(video=0):
                return "ok"
            return "undecodable: no frame"
    except (av.FFmpegError, OSError, ValueError) as exc:
        return f"undecodable: {type(exc).__name__}"


def write_video_status(root: Path, youtube_ids: list[str]) -> dict[str, str]:
    """Probe ``AVE_Dataset/AVE/<id>.mp4`` for each id and write :data:`STATUS_FILE` atomically."""
    status = {vid: probe_video(root / "AVE_Dataset" / "AVE" / f"{vid}.mp4") for vid in sorted(set(youtube_ids))}
    write_json(root / STATUS_FILE, {"version": 1, "videos": status})
    return status


def _read_status(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("videos", {}))
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise InputError(f"{path}: not a valid video status file; delete it and run `avbench download ave` again") from None


def video_availability(root: Path, rows: list[Any]) -> dict[str, tuple[str | None, bool | None]]:
    """For each annotation row's clip id, ``(usable video path relative to root or None, has_video)``
    where ``has_video`` has three states: ``True`` usable, ``False`` checked and not usable,
    ``None`` never checked.

    Archive video first: by :data:`STATUS_FILE` when present (``ok`` = available, anything else =
    missing), else, when ``AVE_Dataset/AVE/`` exists (the archive was extracted), by file presence
    (a missing or empty file = missing). Then the YouTube availability manifest
    (:data:`YOUTUBE_MANIFEST`, rows keyed by clip id): an ``ok`` row whose file has a video stream
    and is still on disk = available, any other row = missing. A clip that neither the archive nor
    the manifest has looked at (only the metadata on disk) is unknown.
    """
    status = _read_status(root / STATUS_FILE)
    extracted = (root / "AVE_Dataset" / "AVE").is_dir()
    youtube: Mapping[str, Any] = {}
    if (root / YOUTUBE_MANIFEST).is_file():
        from avbench.download.manifest import read_manifest

        youtube = read_manifest(root / YOUTUBE_MANIFEST)
    out: dict[str, tuple[str | None, bool | None]] = {}
    for r in rows:
        rel = f"AVE_Dataset/AVE/{r.youtube_id}.mp4"
        state: bool | None = None
        if r.youtube_id in status:
            state = status[r.youtube_id] == "ok"
        elif extracted:
            p = root / rel
            state = p.is_file() and p.stat().st_size > 0
        if state:
            out[r.clip_id] = (rel, True)
            continue
        entry = youtube.get(r.clip_id)
        if entry is not None:
            yrel = (Path(YOUTUBE_MANIFEST).parent / entry.path).as_posix() if entry.path else ""
            if entry.status == "ok" and entry.has_video and (root / yrel).is_file():
                out[r.clip_id] = (yrel, True)
                continue
            state = False
        out[r.clip_id] = (None, state)
    return out


def video_locations(root: Path, rows: list[Any]) -> dict[str, str | None]:
    """For each annotation row's clip id, the usable video path (relative to ``root``) or ``None``
    (see :func:`video_availability`, which also says whether a ``None`` was checked)."""
    return {cid: rel for cid, (rel, _) in video_availability(root, rows).items()}


@dataclass(frozen=True)
class MediaClip:
    """Decoded media of one clip: ``frames`` ``uint8 [S, fps, H, W, 3]``, ``audio`` ``float32 [S, sr*L]``."""

    frames: np.ndarray
    audio: np.ndarray
    has_video: bool
    has_audio: bool


def _decode_video(container: Any, out: np.ndarray, times: list[float]) -> bool:
    stream = container.streams.video[0]
    h, w = out.shape[1:3]
    t0 = None
    ti, prev, prev_rgb = 0, None, None

    def rgb(frame: Any) -> np.ndarray:
        return frame.reformat(width=w, height=h, format="rgb24").to_ndarray()

    for frame in container.decode(stream):
        if frame.time is None:
            continue
        t0 = frame.time if t0 is None else t0
        t = frame.time - t0
        while ti < len(times) and times[ti] < t:
            if prev_rgb is None:
                prev_rgb = rgb(prev if prev is not None else frame)
            out[ti] = prev_rgb
            ti += 1
        if ti == len(times):
            break
        prev, prev_rgb = frame, None
    if prev is None:
        return False
    last = rgb(prev)
    while ti < len(times):  # a video shorter than 10 s repeats its last frame
        out[ti] = last
        ti += 1
    return True


def _decode_audio(av: Any, container: Any, n: int, sample_rate: int) -> np.ndarray | None:
    if not container.streams.audio:
        return None
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    parts, total = [], 0
    for frame in container.decode(audio=0):
        for res in resampler.resample(frame):
            parts.append(res.to_ndarray().reshape(-1))
            total += parts[-1].size
        if total >= n:
            break
    sig = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    out = np.zeros(n, np.float32)
    out[: min(n, sig.size)] = sig[:n]
    return out


def decode_clip(
    path: Path, *, fps: int = 8, size: tuple[int, int] = (224, 224), sample_rate: int = 16000,
    n_segments: int = 10, segment_length: float = 1.0,
) -> MediaClip:
    """Decode one AVE video into per-segment frames and audio (see the module docstring).

    Returns:
        frames ``[n_segments, fps, H, W, 3]`` uint8 (zeros when there is no video stream) and audio
        ``[n_segments, round(sample_rate * segment_length)]`` float32 mono (zeros when no audio).

    Raises:
        InputError: ``fps``, ``size`` or ``sample_rate`` not positive, or the file cannot be opened.
        MissingExtraError: PyAV is not installed (extra ``video``).
    """
    if fps < 1 or sample_rate < 1 or len(size) != 2 or min(size) < 1:
        raise InputError(f"decode_clip: fps, sample_rate and size must be positive, got {fps}, {sample_rate}, {size}")
    av = require("av", "video")
    per_seg = int(round(sample_rate * segment_length))
    frames = np.zeros((n_segments * fps, size[0], size[1], 3), np.uint8)
    try:
        with av.open(str(path)) as container:
            has_video = bool(container.streams.video) and _decode_video(
                container, frames, frame_times(fps=fps, n_segments=n_segments, segment_length=segment_length))
        with av.open(str(path)) as container:
            audio = _decode_audio(av, container, n_segments * per_seg, sample_rate)
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{path}: cannot decode ({type(exc).__name__}); it is flagged in has_video after "
                         "`avbench download ave` probes it") from None
    has_audio = audio is not None
    audio = np.zeros(n_segments * per_seg, np.float32) if audio is None else audio
    return MediaClip(frames.reshape(n_segments, fps, size[0], size[1], 3),
                     audio.reshape(n_segments, per_seg), has_video, has_audio)


class AveMedia:
    """Raw-mode AVE split: decoded frames and audio per 1-s segment, with labels and masks.

    Items are dicts ``{"clip_id", "frames", "audio", "labels" (int64 [10]), "has_video"}``; a clip
    without usable video gives zero arrays and ``has_video=False``.

    Args:
        root: the AVE data directory.
        split: a split name (``train``, ``val``, ``test``...), or ``None`` for all clips.
        fps, size, sample_rate: decoding parameters of :func:`decode_clip` (keyword-only).
    """

    def __init__(self, root: str | Path, split: str | None = None, *, fps: int = 8,
                 size: tuple[int, int] = (224, 224), sample_rate: int = 16000) -> None:
        from avbench.recipes.ave import RECIPE

        self.root = Path(root)
        self.clips = list(RECIPE.load(self.root, split=split).values())
        self.fps, self.size, self.sample_rate = int(fps), tuple(size), int(sample_rate)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> dict[str, Any]:
        clip = self.clips[i]
        labels = np.asarray(clip.segment_labels, np.int64)
        if clip.has_video and clip.video is not None:
            m = decode_clip(self.root / clip.video, fps=self.fps, size=self.size, sample_rate=self.sample_rate)
            return {"clip_id": clip.id, "frames": m.frames, "audio": m.audio, "labels": labels,
                    "has_video": m.has_video}
        h, w = self.size
        return {"clip_id": clip.id, "frames": np.zeros((10, self.fps, h, w, 3), np.uint8),
                "audio": np.zeros((10, self.sample_rate), np.float32), "labels": labels, "has_video": False}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]


def write_toy_video(path: Path, *, seed: int, seconds: int = 10, fps: int = 4, size: int = 32,
                    audio: bool = True) -> None:
    """Write a tiny mp4 (MPEG-4 video, AAC mono 8 kHz unless ``audio=False``) whose frame ``i`` is filled
    with ``(seed + 6 i) % 256``."""
    av = require("av", "video")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.mp4")
    with av.open(str(tmp), "w") as c:
        v = c.add_stream("mpeg4", rate=fps)
        v.width = v.height = size
        v.pix_fmt = "yuv420p"
        if audio:
            a = c.add_stream("aac", rate=8000)
            a.layout = "mono"
        for i in range(seconds * fps):
            img = np.full((size, size, 3), (seed + 6 * i) % 256, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if audio:
            sig = (0.1 * np.sin(2 * np.pi * (200 + seed) * np.arange(seconds * 8000) / 8000)).astype(np.float32)
            for k in range(0, sig.size, 1024):
                fr = av.AudioFrame.from_ndarray(sig[None, k:k + 1024], format="fltp", layout="mono")
                fr.sample_rate, fr.pts = 8000, k
                for p in a.encode(fr):
                    c.mux(p)
            for p in a.encode():
                c.mux(p)
    tmp.replace(path)
