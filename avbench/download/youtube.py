"""YouTube-sourced data: sections fetched with yt-dlp, recorded in an availability manifest.

:func:`fetch_youtube_clips` fetches each requested :class:`~avbench.download.resource.YouTubeClip`
(a ``[start, end]`` section, audio only or audio + video) into ``out_dir/<clip_id>.<ext>`` and
records every clip, fetched or not, in the manifest (:mod:`avbench.download.manifest`): status,
reason, date, yt-dlp version, sha256 of the saved file. Loaders turn the manifest into
missing-audio / missing-video masks with :func:`~avbench.download.manifest.availability_masks`.

Re-runs are idempotent: a clip already recorded as ``ok`` whose file still has its size and
sha256 is skipped (one whose file is missing or changed is fetched again); a clip recorded as
permanently unavailable (``unavailable``, ``private``, ``removed``, ``geo-blocked``,
``age-restricted``) is skipped unless ``retry_unavailable``; a clip recorded as ``error``
(network failure, rate limit) is retried. A row recorded for a different section or mode of the
same clip id counts as absent.

Clips are fetched concurrently by ``workers`` threads, or on an existing Dask cluster
(``executor="dask"``, ``scheduler=ADDRESS``; see :mod:`avbench.download.dask_executor`), with the
same manifest semantics: workers fetch and return rows, this process writes the manifest.

Needs the ``youtube`` extra (yt-dlp and imageio-ffmpeg, whose bundled ffmpeg cuts the sections);
``executor="dask"`` needs the ``dask`` extra.

Example:
    >>> import tempfile
    >>> summary = fetch_youtube_clips([], tempfile.mkdtemp(), quiet=True)
    >>> summary.total, summary.counts["ok"]
    (0, 0)
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avbench.download._youtube_clip import classify_error, fetch_job
from avbench.download.manifest import STATUSES, ManifestRow, ManifestWriter, clean_reason, utc_now
from avbench.download.resource import YouTubeClip
from avbench.errors import InputError
from avbench.extras import require

__all__ = [
    "DEFAULT_URL_TEMPLATE",
    "MANIFEST_NAME",
    "YouTubeSummary",
    "fetch_youtube_clips",
    "classify_error",
]

DEFAULT_URL_TEMPLATE = "https://www.youtube.com/watch?v={video_id}"
MANIFEST_NAME = "youtube_manifest.tsv"
_SAFE_ID = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_\-.]*")


@dataclass(frozen=True)
class YouTubeSummary:
    """What a run did: ``total`` clips requested, ``fetched`` (attempted this run), ``skipped``
    (already recorded), the manifest's status ``counts`` over the requested clips, seconds spent.
    """

    total: int
    fetched: int
    skipped: int
    counts: dict[str, int] = field(default_factory=dict)
    manifest: Path | None = None
    seconds: float = 0.0

    def line(self) -> str:
        """One line for the console.

        Example:
            >>> YouTubeSummary(3, 2, 1, {"ok": 2, "private": 1}).line()
            'youtube: 3 clips (2 fetched, 1 skipped): ok 2, private 1'
        """
        parts = ", ".join(f"{k} {v}" for k, v in self.counts.items() if v)
        return f"youtube: {self.total} clips ({self.fetched} fetched, {self.skipped} skipped): {parts or 'nothing'}"


def _check_clips(clips: Sequence[YouTubeClip]) -> None:
    seen: set[str] = set()
    for c in clips:
        if not isinstance(c, YouTubeClip):
            raise InputError(f"fetch_youtube_clips expects YouTubeClip records, got {type(c).__name__}")
        if not _SAFE_ID.fullmatch(c.clip_id):
            raise InputError(
                f"clip id {c.clip_id!r} cannot name a file: use letters, digits, '_', '-', '.' "
                "(not starting with '.')"
            )
        if c.clip_id in seen:
            raise InputError(f"clip id {c.clip_id!r} is requested twice; clip ids must be unique")
        seen.add(c.clip_id)


def _plan(
    clips: Sequence[YouTubeClip], rows: Mapping[str, ManifestRow], *, retry_unavailable: bool
) -> tuple[list[tuple[YouTubeClip, ManifestRow | None]], int]:
    """The jobs (clip, previous ok row to re-verify) and how many clips are skipped outright."""
    jobs: list[tuple[YouTubeClip, ManifestRow | None]] = []
    skipped = 0
    for c in clips:
        row = rows.get(c.clip_id)
        if row is None or not row.same_request(c.video_id, c.start, c.end, c.mode):
            jobs.append((c, None))
        elif row.status == "ok":
            jobs.append((c, row))  # the worker re-checks size and sha256; refetches on mismatch
        elif row.permanent and not retry_unavailable:
            skipped += 1
        else:
            jobs.append((c, None))
    return jobs, skipped


Job = tuple[YouTubeClip, "ManifestRow | None"]


def _local_map(
    fn: Callable[[Job], Any], jobs: Sequence[Job], workers: int
) -> Iterator[tuple[Job, Any, BaseException | None]]:
    if workers <= 1:
        for job in jobs:
            try:
                result = fn(job)
            except Exception as exc:  # as the pool reports it: recorded as an error row
                yield job, None, exc
            else:
                yield job, result, None
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="avbench-yt") as pool:
        it = iter(jobs)
        pending: dict[Future[Any], Job] = {}
        try:
            for job in it:
                pending[pool.submit(fn, job)] = job
                if len(pending) >= 4 * workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    exc = fut.exception()
                    yield job, (None if exc else fut.result()), exc
                    nxt = next(it, None)
                    if nxt is not None:
                        pending[pool.submit(fn, nxt)] = nxt
        finally:
            for fut in pending:
                fut.cancel()


def _progress(quiet: bool) -> Any:
    """A rich bar on stderr (drawn only on a terminal), or nothing when ``quiet``."""
    if quiet:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(file=sys.stderr)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, disable=not console.is_terminal)  # fmt: skip


def fetch_youtube_clips(
    clips: Iterable[YouTubeClip],
    out_dir: str | os.PathLike[str],
    *,
    manifest_path: str | os.PathLike[str] | None = None,
    workers: int = 8,
    retry_unavailable: bool = False,
    executor: str = "local",
    scheduler: Any = None,
    url_template: str = DEFAULT_URL_TEMPLATE,
    quiet: bool = False,
    ydl_options: Mapping[str, Any] | None = None,
) -> YouTubeSummary:
    """Fetch YouTube sections into ``out_dir`` and record every clip in the manifest.

    Args:
        clips: the clips (unique, file-name-safe clip ids).
        out_dir: where ``<clip_id>.<ext>`` files go (created).
        manifest_path: the manifest (default ``out_dir/youtube_manifest.tsv``); its ``path``
            column is relative to its directory.
        workers: concurrent fetches (threads) for ``executor="local"``; 1 = sequential.
        retry_unavailable: also retry clips recorded as permanently unavailable.
        executor: ``"local"`` (threads) or ``"dask"`` (an existing cluster).
        scheduler: the Dask scheduler address (or a ``distributed.Client``) for ``"dask"``.
        url_template: the page URL of a video, formatted with ``video_id`` (and ``clip_id``);
            tests and mirrors point it elsewhere.
        quiet: no progress bar (the one-line summary on stderr remains).
        ydl_options: extra yt-dlp parameters (e.g. ``{"cookiefile": ..., "proxy": ...}``),
            overriding avbench's defaults.

    Returns:
        A :class:`YouTubeSummary`; unavailable clips are recorded, not raised.

    Raises:
        InputError: bad clip ids, duplicates, unknown executor, a malformed manifest.
        MissingExtraError: the ``youtube`` (or ``dask``) extra is not installed.
        DownloadError: the Dask scheduler cannot be reached.
    """
    t0 = time.perf_counter()
    clips = list(clips)
    _check_clips(clips)
    if executor not in ("local", "dask"):
        raise InputError(f"executor must be 'local' or 'dask', got {executor!r}")
    if executor == "dask" and scheduler is None:
        raise InputError("executor 'dask' needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    if not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a positive integer, got {workers!r}")
    if "{video_id}" not in url_template:
        raise InputError(f"url_template must contain '{{video_id}}', got {url_template!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mpath = Path(manifest_path) if manifest_path is not None else out / MANIFEST_NAME
    root = mpath.parent
    fn = functools.partial(fetch_job, out_dir=str(out), manifest_dir=str(root), url_template=url_template,
                           ydl_options=dict(ydl_options or {}))  # fmt: skip
    fetched = missing = 0
    with ManifestWriter(mpath) as writer:
        jobs, skipped = _plan(clips, writer.rows, retry_unavailable=retry_unavailable)
        if jobs:  # a missing extra is the user's to fix once, not an error row per clip
            require("yt_dlp", "youtube")
            require("imageio_ffmpeg", "youtube")
        if executor == "dask" and jobs:
            from avbench.download.dask_executor import map_unordered

            results: Iterator[Any] = map_unordered(fn, jobs, scheduler=scheduler)
        else:
            results = _local_map(fn, jobs, workers)
        with _progress(quiet) as progress:
            task = progress.add_task("youtube", total=len(jobs)) if progress is not None else None
            for (clip, _), result, exc in results:
                if result is None:  # the executor itself failed for this job
                    msg = f"{type(exc).__name__}: {exc}"
                    row = ManifestRow(clip.clip_id, clip.video_id, float(clip.start), float(clip.end), clip.mode,
                                      "error", reason=clean_reason(msg), date=utc_now())  # fmt: skip
                    result = (row, True)
                row, was_fetched = result
                if was_fetched:
                    fetched += 1
                    writer.add(row)
                else:
                    skipped += 1
                missing += row.status != "ok"
                if progress is not None:
                    progress.update(task, advance=1, description=f"youtube ({missing} not available)")
        rows = dict(writer.rows)
    with contextlib.suppress(OSError):  # only when empty: a crashed run's leftovers stay visible
        (out / ".partial").rmdir()
    counts = dict.fromkeys(STATUSES, 0)
    for c in clips:
        r = rows.get(c.clip_id)
        if r is not None:
            counts[r.status] += 1
    summary = YouTubeSummary(len(clips), fetched, skipped, counts, mpath, time.perf_counter() - t0)
    if clips:
        sys.stderr.write(f"avbench: {summary.line()}; manifest {mpath}\n")
    return summary
