"""AVE raw media from YouTube: where each clip sits in its video, and the fetch through the engine.

AVE's annotation gives times inside the 10-s clip only; the clip's offset in the full YouTube
video is that of its AudioSet segment (AVE is an AudioSet subset): ``start_seconds`` of the row with
the same YTID in the AudioSet segment lists (``eval``, ``balanced_train``, ``unbalanced_train``),
fetched by the ``youtube`` part into ``youtube/audioset/``. A clip whose id is in none of them is
not requested and is counted in the result (its video, if any, comes from the archive only).

The clips go through the download engine (:func:`avbench.download.fetch_resources`), which hands
them to :func:`avbench.download.youtube.fetch_youtube_clips`; every requested clip gets a row in
``youtube/youtube_manifest.tsv`` (:mod:`avbench.download.manifest`), which the loader's
``has_video`` mask reads.

Example:
    >>> import io
    >>> csv = io.StringIO("# YTID, start_seconds, end_seconds, positive_labels\\n"
    ...                   'abcdefghijk, 30.000, 40.000, "/m/05zppz"\\n')
    >>> audioset_offsets([csv], {"abcdefghijk", "zzzzzzzzzzz"})
    {'abcdefghijk': 30.0}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from avbench.errors import DataNotFoundError, InputError

__all__ = ["SEGMENT_LISTS", "audioset_offsets", "fetch_media"]

SEGMENT_LISTS = ("eval_segments.csv", "balanced_train_segments.csv", "unbalanced_train_segments.csv")


def audioset_offsets(files: Iterable[IO[str]], wanted: set[str]) -> dict[str, float]:
    """``{YTID: start_seconds}`` for the ids in ``wanted`` (first occurrence wins).

    Raises:
        InputError: a data line of a wanted id whose start is not a number.
    """
    out: dict[str, float] = {}
    for fh in files:
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#"):
                continue
            ytid, _, rest = line.partition(",")
            if ytid not in wanted or ytid in out:
                continue
            start = rest.split(",", 1)[0].strip()
            try:
                out[ytid] = float(start)
            except ValueError:
                name = getattr(fh, "name", "AudioSet segment list")
                raise InputError(f"{name} line {lineno}: start_seconds {start!r} is not a number") from None
    return out


def fetch_media(root: Path, rows: Sequence[Any], **options: Any) -> dict[str, Any]:
    """Fetch each row's 10-s section through the download engine (into ``root/youtube``, recorded in
    its manifest); ``options`` are the engine's (``workers``, ``retry_unavailable``, ``executor``...).

    Returns:
        ``{"report": FetchReport, "no_offset": [clip ids not requested]}``.

    Raises:
        DataNotFoundError: the AudioSet segment lists are not under ``root/youtube/audioset``.
    """
    from avbench.download import YouTubeClip, fetch_resources

    lists = [root / "youtube" / "audioset" / name for name in SEGMENT_LISTS]
    present = [p for p in lists if p.is_file()]
    if not present:
        raise DataNotFoundError(f"no AudioSet segment lists in {root / 'youtube' / 'audioset'}: "
                                "run `avbench download ave --parts youtube`")
    handles = [open(p, encoding="utf-8") for p in present]  # noqa: SIM115 - closed below
    try:
        offsets = audioset_offsets(handles, {r.youtube_id for r in rows})
    finally:
        for fh in handles:
            fh.close()
    clips, missing = [], []
    for r in rows:
        if r.youtube_id in offsets:
            start = offsets[r.youtube_id]
            clips.append(YouTubeClip(r.clip_id, r.youtube_id, start, start + 10.0, "av"))
        else:
            missing.append(r.clip_id)
    report = fetch_resources(clips, root, **options)
    return {"report": report, "no_offset": missing}
