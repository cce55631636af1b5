"""Fetch one YouTube section with yt-dlp, check what was saved, and say why when it fails.

This is the per-clip work of :mod:`avbench.download.youtube`; it runs in worker threads or on
Dask workers, never raises for a clip's failure, and returns the clip's
:class:`~avbench.download.manifest.ManifestRow`.

The ffmpeg yt-dlp needs to cut sections comes from the ``imageio-ffmpeg`` wheel (no system
package); the saved file is then decoded completely by that ffmpeg, which both detects truncated
media and measures the decoded duration and the streams present.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.download.manifest import ManifestRow, clean_reason, utc_now
from avbench.download.resource import YouTubeClip
from avbench.download.verify import hash_file
from avbench.extras import require

__all__ = ["classify_error", "fetch_clip", "fetch_job", "probe_media", "MediaInfo", "ffmpeg_exe", "ytdlp_version",
           "sha256_file", "still_valid"]

# Most specific first. Matched case-insensitively against yt-dlp's message (see the test of this
# module for the real YouTube texts each rule was checked on).
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # transient: rate limits and bot checks are not properties of the video
    ("error", ("not a bot", "try again later", "rate-limit", "too many requests", "http error 429",
               "captcha", "http error 5")),
    ("geo-blocked", ("not made this video available in your country", "available in your country",
                     "blocked it in your country", "not available from your location",
                     "geo restriction", "geo-restrict", "geoblock")),
    ("age-restricted", ("confirm your age", "age-restricted", "age restricted", "age verification",
                        "inappropriate for some users", "age_verification_required", "age_check_required")),
    ("private", ("private video", "this video is private", "members-only", "members only",
                 "join this channel to get access", "music premium members", "requires payment",
                 "only available for registered users", "granted access to this video")),
    ("removed", ("removed by the uploader", "has been terminated", "removed for violating",
                 "copyright claim", "on copyright grounds", "copyright infringement",
                 "uploader has closed their youtube account", "has been removed")),
    ("unavailable", ("video unavailable", "this video is unavailable", "this video is not available",
                     "video is no longer available", "http error 404", "http error 410",
                     "incomplete youtube id", "this video does not exist")),
)  # fmt: skip


def classify_error(message: str) -> str:
    """Map a yt-dlp error message to a manifest status.

    The first rule that matches wins; the order is: transient failures (rate limit, bot check,
    HTTP 429/5xx) → ``error``; geo restriction → ``geo-blocked``; age gate → ``age-restricted``;
    private / members-only / paid → ``private``; removed by uploader, terminated account,
    policy or copyright takedown → ``removed``; "Video unavailable", HTTP 404/410 →
    ``unavailable``; anything else (HTTP 403, network, ffmpeg failures) → ``error``.

    Example:
        >>> classify_error("ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been "
        ...                "granted access to this video")
        'private'
        >>> classify_error("ERROR: [youtube] abcdefghijk: Video unavailable")
        'unavailable'
        >>> classify_error("ERROR: unable to download video data: HTTP Error 403: Forbidden")
        'error'
    """
    text = " ".join(message.lower().split())
    for status, needles in _RULES:
        if any(n in text for n in needles):
            return status
    return "error"


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with ``imageio-ffmpeg`` (extra ``youtube``)."""
    return str(require("imageio_ffmpeg", "youtube").get_ffmpeg_exe())


def ytdlp_version() -> str:
    """The installed yt-dlp version (extra ``youtube``)."""
    return str(require("yt_dlp.version", "youtube").__version__)


@dataclass(frozen=True)
class MediaInfo:
    """What a full decode of a media file found: streams present and decoded duration (s)."""

    has_audio: bool
    has_video: bool
    duration: float


def probe_media(path: str | os.PathLike[str]) -> MediaInfo:
    """Decode ``path`` completely with the bundled ffmpeg; fail on any decoding error.

    Raises:
        ValueError: ffmpeg could not decode the file (truncated or corrupt media); the message is
            ffmpeg's last error line.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-xerror", "-i", os.fspath(path),
           "-f", "null", "-progress", "pipe:1", "-"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    err = proc.stderr
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
        raise ValueError(f"ffmpeg cannot decode the saved file: {lines[-1] if lines else 'no output'}")
    head = err.split("Stream mapping:")[0]
    streams = re.findall(r"Stream #\d+:\d+\S*: (Audio|Video):([^\n]*)", head)
    has_audio = any(kind == "Audio" for kind, _ in streams)
    has_video = any(kind == "Video" and "attached pic" not in rest for kind, rest in streams)
    times = re.findall(r"^out_time_us=(\d+)", proc.stdout, flags=re.M)
    duration = int(times[-1]) / 1e6 if times else 0.0
    return MediaInfo(has_audio, has_video, duration)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of the file at ``path``."""
    return hash_file(path, ("sha256",)).hexdigest("sha256")


def still_valid(row: ManifestRow, manifest_dir: Path) -> bool:
    """Whether an ``ok`` row's file is on disk with the recorded size and sha256."""
    p = manifest_dir / row.path
    try:
        if p.stat().st_size != row.size:
            return False
    except OSError:
        return False
    return sha256_file(p) == row.sha256


class _QuietLogger:
    """Swallows yt-dlp's output: failures reach us as exceptions and go to the manifest."""

    def debug(self, msg: str) -> None: ...

    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...

    def error(self, msg: str) -> None: ...


def _ydl_params(clip: YouTubeClip, tmp: Path, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    utils = require("yt_dlp.utils", "youtube")
    audio = clip.mode == "audio"
    params: dict[str, Any] = {
        "format": "bestaudio/best" if audio else "bv*[height<=?480]+ba/b[height<=?480]/bv*+ba/b",
        "download_ranges": utils.download_range_func(None, [(clip.start, clip.end)]),
        "force_keyframes_at_cuts": not audio,  # re-encode video so the cut is frame-exact
        "ffmpeg_location": ffmpeg_exe(),
        "outtmpl": str(tmp / "clip.%(ext)s"),
        "merge_output_format": "mp4",
        "noplaylist": True,
        # Loading yt-dlp's ~1,700 extractors costs ~0.1 s of CPU per clip; these cover YouTube pages and
        # direct media URLs (mirrors, tests). Pass ``allowed_extractors: ["default"]`` for others.
        "allowed_extractors": ["youtube", "youtube:truncated_id", "generic"],
        "overwrites": True,
        "cachedir": False,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "color": {"stdout": "no_color", "stderr": "no_color"},
        "logger": _QuietLogger(),
        "retries": 3,
        "fragment_retries": 3,
        "extractor_retries": 2,
        "socket_timeout": 30,
    }
    if audio:  # keep the source codec (no re-encode), drop any video stream
        params["postprocessors"] = [{"key": "FFmpegExtractAudio", "preferredcodec": "best"}]
    params.update(extra or {})
    return params


def _download(clip: YouTubeClip, url: str, tmp: Path, extra: Mapping[str, Any] | None) -> Path:
    yt_dlp = require("yt_dlp", "youtube")
    # yt-dlp's section downloader looks ffmpeg up through this context variable, not the
    # ``ffmpeg_location`` parameter (its CLI sets it); it is per thread, so set it every time.
    ffpp = require("yt_dlp.postprocessor.ffmpeg", "youtube").FFmpegPostProcessor
    location = getattr(ffpp, "_ffmpeg_location", None)
    if location is not None:
        location.set(ffmpeg_exe())
    with yt_dlp.YoutubeDL(_ydl_params(clip, tmp, extra)) as ydl:
        info = ydl.extract_info(url, download=True)
    paths = [d.get("filepath") for d in (info or {}).get("requested_downloads") or []]
    found = [Path(p) for p in paths if p and Path(p).is_file()]
    if not found:  # fall back to what is in the temporary directory
        found = sorted(p for p in tmp.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl")))
    if not found:
        raise FileNotFoundError("yt-dlp reported success but saved no file")
    return found[-1]


def fetch_clip(
    clip: YouTubeClip,
    out_dir: str,
    *,
    manifest_dir: str,
    url_template: str,
    ydl_options: Mapping[str, Any] | None = None,
    previous: ManifestRow | None = None,
) -> ManifestRow:
    """Fetch ``clip`` into ``out_dir/<clip_id>.<ext>``; return its manifest row (never raises).

    With ``previous`` (an ``ok`` row of the same request) the file is first re-hashed; when it
    still matches, ``previous`` itself is returned and nothing is fetched (see :func:`fetch_job`).
    """
    mdir = Path(manifest_dir)
    if previous is not None and previous.status == "ok":
        if still_valid(previous, mdir):
            return previous
        stale = mdir / previous.path
        if stale.resolve().parent == Path(out_dir).resolve():  # only ever delete inside out_dir
            stale.unlink(missing_ok=True)  # changed on disk: never left beside a newer row
    out = Path(out_dir)
    base = {"clip_id": clip.clip_id, "video_id": clip.video_id, "start": float(clip.start),
            "end": float(clip.end), "mode": clip.mode}  # fmt: skip
    try:
        version = ytdlp_version()
        partial = out / ".partial"
        partial.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{clip.clip_id}.", dir=partial))
    except Exception as exc:  # missing extra, unwritable directory: recorded, not raised
        return ManifestRow(**base, status="error", reason=clean_reason(f"{type(exc).__name__}: {exc}"),
                           date=utc_now())  # fmt: skip
    try:
        url = url_template.format(video_id=clip.video_id, clip_id=clip.clip_id)
        saved = _download(clip, url, tmp, ydl_options)
        media = probe_media(saved)
        if not (media.has_audio or media.has_video):
            raise ValueError("the saved file has neither an audio nor a video stream")
        final = out / f"{clip.clip_id}{saved.suffix}"
        digest, size = sha256_file(saved), saved.stat().st_size
        os.replace(saved, final)
        rel = Path(os.path.relpath(final, mdir)).as_posix()
        return ManifestRow(**base, status="ok", date=utc_now(), yt_dlp=version, path=rel, sha256=digest,
                           size=size, duration=round(media.duration, 3), has_audio=media.has_audio,
                           has_video=media.has_video)  # fmt: skip
    except Exception as exc:
        msg = str(exc) if type(exc).__name__ == "DownloadError" else f"{type(exc).__name__}: {exc}"
        return ManifestRow(**base, status=classify_error(msg), reason=clean_reason(msg), date=utc_now(),
                           yt_dlp=version)  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_job(job: tuple[YouTubeClip, ManifestRow | None], **kwargs: Any) -> tuple[ManifestRow, bool]:
    """:func:`fetch_clip` of ``job = (clip, previous)``: ``(row, fetched)``, ``fetched`` False when
    the previous row was verified and kept (identity is checked here, before any pickling)."""
    clip, previous = job
    row = fetch_clip(clip, previous=previous, **kwargs)
    return row, row is not previous
