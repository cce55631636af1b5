"""The download engine: plan, check space, fetch concurrently, verify, record, extract.

:func:`fetch_resources` is what :meth:`avbench.dataset.Recipe.prepare` calls. For each
:class:`~avbench.download.resource.Resource` it

1. looks at the disk: a file whose size and mtime match the record (``.avbench/downloads.json``)
   and whose recorded digests match the recipe is skipped without re-hashing; other existing
   files are re-hashed; a wrong file is quarantined and fetched again; ``<path>.part`` bytes are
   resumed;
2. resolves the source (Zenodo API, Drive confirmation, Hub metadata; or ``mirror``) and checks
   the host's size and digests against the recipe's;
3. checks free space for everything still to fetch, before any byte is written;
4. streams files concurrently (``workers`` threads), hashing while writing to ``.part``; a
   digest mismatch is quarantined (``.avbench/quarantine/``) and fetched once more, then
   reported with the expected and actual digests; verified files are renamed into place;
5. extracts archives (``extract_to``) safely and resumably, optionally removing them;
6. hands :class:`~avbench.download.resource.YouTubeClip` items to
   :func:`avbench.download.youtube.fetch_youtube_clips` (into ``root/youtube``).

Options (``**options``; anything else is an :class:`~avbench.errors.InputError`):

========================  ===========  ===========================================================
``workers``               8            threads fetching files concurrently (>= 1)
``mirror``                None         base URL replacing every source (``AVBENCH_MIRROR`` if unset)
``dry_run``               False        print and return the plan, fetch nothing
``quiet``                 False        no progress bar (logs): a one-line summary on stderr
``retry_unavailable``     False        YouTube: retry clips the manifest marks unavailable
``executor``              "local"      YouTube: ``"local"`` threads or ``"dask"``
``scheduler``             None         YouTube: dask scheduler address (``executor="dask"``)
``remove_archives``       False        delete archives (and volumes) once extracted
``timeout``               60.0         seconds without data before a connection is retried
``header_timeout``        ``timeout``  seconds for an answer's status line and headers (a server
                                       sending them a byte at a time is retried)
``min_rate``              1024         bytes/s a connection must average over ``rate_window``
``rate_window``           120.0        seconds (a trickle below ``min_rate`` is retried)
``max_extract_ratio``     200          cap on an archive's declared expansion (zip bombs; also
                                       ``AVBENCH_MAX_EXTRACT_RATIO``)
========================  ===========  ===========================================================

Returns a :class:`FetchReport`; raises :class:`~avbench.errors.DownloadError` after the run when
any file failed (the others are kept), naming each failed file and why.

Example:
    >>> import tempfile
    >>> fetch_resources([], tempfile.mkdtemp(), quiet=True).to_dict()["fetched"]
    []
    >>> fetch_resources([], ".", colour=True)
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: unknown download option(s) colour; known: dry_run, executor, header_timeout, max_extract_ratio, min_rate, mirror, quiet, rate_window, remove_archives, retry_unavailable, scheduler, timeout, workers
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avbench.download import dry_run, http
from avbench.download._lock import OutputLock
from avbench.download._progress import Cancelled, Progress
from avbench.download.extract import DEFAULT_MAX_RATIO, extract
from avbench.download._plan import PlanItem, check_space, local_state, print_plan, resolve_item, source_dict
from avbench.download._plan import deadlines as run_deadlines
from avbench.download.record import DownloadRecord, now_utc
from avbench.download.resource import Resource, YouTubeClip
from avbench.download.verify import check_file, expected_digests, hash_file, member_ok, mismatches
from avbench.errors import DownloadError, InputError

__all__ = ["fetch_resources", "FetchReport", "PlanItem", "OPTIONS"]

OPTIONS: dict[str, Any] = {"workers": 8, "mirror": None, "dry_run": False, "quiet": False,
                           "retry_unavailable": False, "executor": "local", "scheduler": None,
                           "remove_archives": False, "timeout": http.DEFAULT_TIMEOUT,
                           "max_extract_ratio": None, "min_rate": 1024.0, "rate_window": 120.0,
                           "header_timeout": None}


def _options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InputError(f"unknown download option(s) {', '.join(unknown)}; known: {', '.join(sorted(OPTIONS))}")
    opts = {**OPTIONS, **{k: v for k, v in options.items() if v is not None}}
    if not isinstance(opts["workers"], int) or opts["workers"] < 1:
        raise InputError(f"workers must be an integer >= 1, got {opts['workers']!r}")
    if opts["executor"] not in ("local", "dask"):
        raise InputError(f"executor must be 'local' or 'dask', got {opts['executor']!r}")
    opts["mirror"] = opts["mirror"] or os.environ.get("AVBENCH_MIRROR") or None
    ratio = opts["max_extract_ratio"]
    if ratio is None:
        env = os.environ.get("AVBENCH_MAX_EXTRACT_RATIO")
        try:
            ratio = float(env) if env else DEFAULT_MAX_RATIO
        except ValueError:
            raise InputError(f"AVBENCH_MAX_EXTRACT_RATIO must be a number, got {env!r}") from None
    if not isinstance(ratio, (int, float)) or ratio <= 0:
        raise InputError(f"max_extract_ratio must be a number > 0, got {ratio!r}")
    opts["max_extract_ratio"] = float(ratio)
    for key in ("timeout", "min_rate", "rate_window", "header_timeout"):
        if key == "header_timeout" and opts[key] is None:
            continue
        if not isinstance(opts[key], (int, float)) or opts[key] < 0 or (key != "min_rate" and opts[key] == 0):
            raise InputError(f"{key} must be a number > 0, got {opts[key]!r}")
    return opts


@dataclass
class FetchReport:
    """What a run did; ``to_dict()`` is JSON-ready."""

    root: Path
    plan: list[PlanItem] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    extracted: list[str] = field(default_factory=list)
    clips: Any = None
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root), "dry_run": self.dry_run, "fetched": self.fetched, "failed": self.failed,
            "extracted": self.extracted, "bytes": self.bytes, "seconds": round(self.seconds, 3),
            "plan": [{"path": p.resource.path, "status": p.status, "size": p.size, "have": p.have,
                      "url": p.remote.url if p.remote else None, "error": p.error} for p in self.plan],
        }


def _quarantine(root: Path, rel: str, path: Path) -> Path:
    q = root / ".avbench" / "quarantine" / f"{rel.replace('/', '%')}.{time.strftime('%Y%m%dT%H%M%S')}.{uuid.uuid4().hex[:8]}"
    q.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, q)
    return q


def _fetch_one(item: PlanItem, root: Path, record: DownloadRecord, opts: dict[str, Any], progress: Progress) -> int:
    res = item.resource
    try:
        with OutputLock(root, res.path, cancel=progress.cancel):
            return _fetch_locked(item, root, record, opts, progress)
    except OSError as exc:
        raise DownloadError(f"{res.path}: cannot write in {root}: {exc.strerror}; choose a writable data "
                            "directory (--data-dir) or free space") from None


def _fetch_locked(item: PlanItem, root: Path, record: DownloadRecord, opts: dict[str, Any],
                  progress: Progress) -> int:
    res, remote = item.resource, item.remote
    if remote is None:  # pragma: no cover - _resolve ran first
        raise DownloadError(f"{res.path}: source was not resolved")
    dest = root / res.path
    size = item.size
    expected = {**expected_digests(remote.sha256, remote.md5, remote.git if size is not None else None),
                **expected_digests(res.sha256, res.md5)}
    algos = ["sha256", *[a for a in expected if a != "sha256"]]
    if dest.exists():
        # another process may have finished it while this one waited for the lock
        if (expected or size is not None) and check_file(dest, size=size, sha256=expected.get("sha256"),
                                                          md5=expected.get("md5")).status == "ok" \
                and not (item.status == "invalid" and _same_stat(dest, item)):
            _record(record, res, remote, dest, hash_file(dest, algos).digests(), expected, {})
            progress.file_done()
            return 0
        _quarantine(root, res.path, dest)  # an invalid file found by the plan
    bad: list[str] = []
    deadlines = run_deadlines(opts)
    for _attempt in range(2):
        got_ = http.download(remote.url, dest, size=size, algorithms=algos, headers=remote.headers,
                             progress=progress.bytes, deadlines=deadlines, cancel=progress.cancel,
                             resume_unvalidated=bool(expected))
        hasher = got_.hasher
        got = hasher.digests()
        bad = mismatches(expected, got)
        part = http.part_path(dest)
        if not bad:
            with open(part, "rb") as fh:  # the bytes hashed are the bytes renamed: same inode, same size
                ino = os.fstat(fh.fileno())
            if ino.st_size != hasher.size:
                raise DownloadError(f"{res.path}: {part} changed while it was written ({ino.st_size} bytes on "
                                    f"disk, {hasher.size} hashed); is another program writing it? rerun")
            os.replace(part, dest)
            http.discard_part(dest)
            st = dest.stat()
            if st.st_ino != ino.st_ino:  # pragma: no cover - replaced between the two calls
                raise DownloadError(f"{res.path}: replaced by another writer while renaming; rerun")
            _record(record, res, remote, dest, got, expected, got_.validator)
            progress.file_done()
            return hasher.size
        where = _quarantine(root, res.path, part)
        http.discard_part(dest)
        progress.bytes(-hasher.size)
    raise DownloadError(f"{res.path}: checksum mismatch twice ({'; '.join(bad)}); the bytes are kept in {where}")


def _check_writable(root: Path) -> None:
    """A one-line error for a destination that cannot be written (read-only, no permission)."""
    try:
        (root / ".avbench").mkdir(parents=True, exist_ok=True)
        probe = root / ".avbench" / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DownloadError(f"cannot write in {root}: {exc.strerror}; choose a writable data directory "
                            "(--data-dir or AVBENCH_DATA)") from None


def _same_stat(dest: Path, item: PlanItem) -> bool:
    """Whether ``dest`` is still the file the plan found invalid (same size and mtime)."""
    return item.seen is not None and (dest.stat().st_size, dest.stat().st_mtime_ns) == item.seen


def _record(record: DownloadRecord, res: Resource, remote: Any, dest: Path, got: dict[str, str],
            expected: dict[str, str], validator: dict[str, Any]) -> None:
    st = dest.stat()
    record.set_file(res.path, {"source": source_dict(res), "url": remote.url, "version": remote.version,
                               "size": st.st_size, "sha256": got["sha256"],
                               **({"md5": got["md5"]} if "md5" in got else {}),
                               **{k: validator[k] for k in ("etag", "last_modified") if validator.get(k)},
                               "verified": sorted(expected), "date": now_utc(), "mtime_ns": st.st_mtime_ns})
    record.maybe_save()


def _extract_one(item: PlanItem, root: Path, record: DownloadRecord, opts: dict[str, Any],
                 cancel: Any = None) -> bool:
    res = item.resource
    archive = root / res.path
    to = "" if res.extract_to in (None, ".", "./") else res.extract_to.strip("/")
    volumes = [root / v for v in res.volumes]
    missing = [str(v) for v in volumes if not v.is_file()]
    if missing:
        raise DownloadError(f"{res.path}: volume(s) {', '.join(missing)} missing; cannot extract")
    entry = record.archives.get(res.path)
    info = record.archive_member_info(res.path) if entry and entry.get("extracted_to") == to else None
    bad = None if info is None else [m for m, v in info.items() if not member_ok(root / m, v)]
    if info is not None and not bad:
        done = True
    else:
        prefix = f"{to}/" if to else ""
        digests: dict[str, str] = {}
        sizes = extract(archive, root / to, volumes=volumes, sha256=digests, max_ratio=opts["max_extract_ratio"],
                        rewrite=[m[len(prefix):] for m in bad or () if m.startswith(prefix)], cancel=cancel)
        info = {}
        for k, size in sizes.items():
            rel = f"{prefix}{k}"
            info[rel] = {"size": size, "sha256": digests.get(k), "mtime_ns": (root / rel).lstat().st_mtime_ns}
        done = False
    removed = bool(opts["remove_archives"])
    record.set_archive(res.path, {"extracted_to": to, "members": len(info), "removed": removed,
                                  "date": now_utc()}, info)
    if removed:
        for path, rel in [(archive, res.path), *zip(volumes, res.volumes)]:
            path.unlink(missing_ok=True)
            if rel != res.path:
                record.set_archive(rel, {"volume_of": res.path, "removed": True, "date": now_utc()})
    return not done


def fetch_resources(resources: list[Any], root: str | os.PathLike[str], **options: Any) -> FetchReport:
    """Fetch, verify, record and extract ``resources`` under ``root`` (see the module docs)."""
    opts = _options(options)
    root = Path(root)
    files = [r for r in resources if isinstance(r, Resource)]
    clips = [r for r in resources if isinstance(r, YouTubeClip)]
    other = [r for r in resources if not isinstance(r, (Resource, YouTubeClip))]
    if other:
        raise InputError(f"fetch_resources takes Resource and YouTubeClip items, got {type(other[0]).__name__}")
    seen: set[str] = set()
    for r in files:
        if r.path in seen:
            raise InputError(f"resource path {r.path!r} is listed twice")
        seen.add(r.path)
    t0 = time.monotonic()
    report = FetchReport(root=root, dry_run=opts["dry_run"])
    record = DownloadRecord(root)
    cache: dict[Any, Any] = {}
    cancel = threading.Event()  # set on Ctrl-C: resolver waits, transfers and extraction stop
    with ThreadPoolExecutor(opts["workers"], thread_name_prefix="avbench-dl") as pool:
        try:
            report.plan = list(pool.map(lambda r: local_state(r, root, record), files))
            todo = [p for p in report.plan if p.status in ("missing", "partial", "invalid")]

            def res_one(p: PlanItem) -> None:
                try:
                    resolve_item(p, opts, cache, cancel)
                except DownloadError as exc:
                    p.error = str(exc)
            list(pool.map(res_one, todo))
            if opts["dry_run"]:
                print_plan(report, opts["quiet"])
                dry_run.add_files(report.plan, root)
            else:
                report.failed.update({p.resource.path: p.error for p in todo if p.error})
                todo = [p for p in todo if not p.error]
                if todo or any(p.resource.extract_to is not None for p in report.plan):
                    _check_writable(root)
                check_space(todo, root)
                with Progress(total_bytes=sum(p.size or 0 for p in todo) or None, total_files=len(todo),
                              quiet=opts["quiet"], cancel=cancel) as progress:
                    futures = {pool.submit(_fetch_one, p, root, record, opts, progress): p for p in todo}
                    for fut, p in futures.items():
                        try:
                            report.bytes += fut.result() - p.have
                            report.fetched.append(p.resource.path)
                        except DownloadError as exc:
                            report.failed[p.resource.path] = str(exc)
                archives = [p for p in report.plan if p.resource.extract_to is not None and p.status != "extracted"
                            and p.resource.path not in report.failed
                            and not any(v in report.failed for v in p.resource.volumes)]
                for p, fut in [(p, pool.submit(_extract_one, p, root, record, opts, cancel)) for p in archives]:
                    try:
                        if fut.result():
                            report.extracted.append(p.resource.path)
                    except DownloadError as exc:
                        report.failed[p.resource.path] = str(exc)
                    except OSError as exc:
                        report.failed[p.resource.path] = (f"cannot extract into {root}: {exc.strerror}; choose a "
                                                          "writable data directory or free space")
        except (KeyboardInterrupt, Cancelled):
            cancel.set()
            http.abort_connections()  # threads blocked on a silent server return now
            pool.shutdown(wait=True, cancel_futures=True)
            raise KeyboardInterrupt from None
        finally:
            if not opts["dry_run"] and record.dirty:
                try:
                    record.save()
                except OSError as exc:
                    raise DownloadError(f"cannot write the download record {record.path}: {exc.strerror}; "
                                        "choose a writable data directory (--data-dir)") from None
    if clips:
        report.clips = _fetch_clips(clips, root, opts)
    report.seconds = time.monotonic() - t0
    if not opts["dry_run"] and opts["quiet"] and not report.failed:
        sys.stderr.write(f"avbench: {len(report.fetched)} fetched, {len(report.plan) - len(report.fetched) - len(report.failed)}"
                         f" already present, {len(report.failed)} failed, {report.bytes:,} bytes in {report.seconds:.1f} s\n")
    if report.failed:
        items = list(report.failed.items())
        detail = "; ".join(f"{k}: {v}" for k, v in items[:3]) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")
        raise DownloadError(f"{len(items)} of {len(files)} file(s) failed: {detail}; rerun the same command to "
                            "resume (finished files are kept)")
    return report


def _fetch_clips(clips: list[YouTubeClip], root: Path, opts: dict[str, Any]) -> Any:
    """Delegate YouTube clips to :func:`avbench.download.youtube.fetch_youtube_clips` (into
    ``root/youtube``; a dry run only counts them)."""
    if opts["dry_run"]:
        sys.stdout.write(f"would fetch up to {len(clips)} YouTube clip(s) into {root / 'youtube'}\n")
        dry_run.add_clips(clips, root, root / "youtube" / "youtube_manifest.tsv")
        return None
    from avbench.download.youtube import fetch_youtube_clips

    keys = ("workers", "quiet", "retry_unavailable", "executor", "scheduler")
    return fetch_youtube_clips(clips, root / "youtube", **{k: opts[k] for k in keys})
