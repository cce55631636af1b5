"""The machine-readable plan of a dry run (``avbench download NAME --dry-run --json``).

Inside :func:`record_dry_run`, every dry run of :func:`~avbench.download.fetch_resources`
adds what it found (each file with its part, size, digests, where it comes from and what is
already on disk; each YouTube clip with what its availability manifest records), and recipes
add what only they know (:func:`note`: an AudioSet subset's counts, a generated dataset's
build) — so one plan covers a recipe whatever calls it makes. :meth:`DryRunPlan.to_dict` adds
the totals.

Example:
    >>> from avbench.download import HttpSource, Resource, fetch_resources
    >>> import tempfile, contextlib, io
    >>> res = [Resource("a.txt", HttpSource("https://example.org/a.txt"), size=3, part="meta")]
    >>> with record_dry_run() as plan, contextlib.redirect_stdout(io.StringIO()):
    ...     _ = fetch_resources(res, tempfile.mkdtemp(), dry_run=True, mirror="file:///nowhere")
    >>> d = plan.to_dict()
    >>> d["files"][0]["status"], d["totals"]["files"], d["totals"]["bytes_to_fetch"], list(d["by_part"])
    ('missing', 1, 3, ['meta'])
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DryRunPlan", "record_dry_run", "note", "add_files", "add_clips"]

_CURRENT: contextvars.ContextVar[DryRunPlan | None] = contextvars.ContextVar("avbench_dry_run", default=None)
_TO_FETCH = ("missing", "partial", "invalid")


@dataclass
class DryRunPlan:
    """What a dry run would do: ``files`` and ``clips`` (one dict each), ``notes`` from recipes."""

    files: list[dict[str, Any]] = field(default_factory=list)
    clips: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The plan with its totals: files, bytes (``None`` where a size is unknown), bytes already
        on disk and still to fetch, per status, per part, and the clips recorded or still to fetch."""
        by_status: dict[str, int] = {}
        parts: dict[str, dict[str, Any]] = {}
        for f in self.files:
            by_status[f["status"]] = by_status.get(f["status"], 0) + 1
            p = parts.setdefault(f["part"], {"files": 0, "bytes": 0, "bytes_to_fetch": 0, "files_to_fetch": 0})
            p["files"] += 1
            p["bytes"] = None if p["bytes"] is None or f["size"] is None else p["bytes"] + f["size"]
            p["bytes_to_fetch"] += f["bytes_to_fetch"]
            p["files_to_fetch"] += f["status"] in _TO_FETCH
        sizes = [f["size"] for f in self.files]
        clip_status: dict[str, int] = {}
        for c in self.clips:
            clip_status[c["status"]] = clip_status.get(c["status"], 0) + 1
        totals = {
            "files": len(self.files),
            "files_to_fetch": sum(f["status"] in _TO_FETCH for f in self.files),
            "bytes": None if any(s is None for s in sizes) else sum(sizes),
            "bytes_on_disk": sum(f["bytes_on_disk"] for f in self.files),
            "bytes_to_fetch": sum(f["bytes_to_fetch"] for f in self.files),
            "unknown_sizes": sum(s is None for s in sizes),
            "files_by_status": by_status,
            "clips": len(self.clips),
            "clips_to_fetch": sum(c["to_fetch"] for c in self.clips),
            "clips_by_status": clip_status,
        }
        return {"by_part": parts, "files": self.files, "clips": self.clips, **self.notes, "totals": totals}


@contextlib.contextmanager
def record_dry_run() -> Iterator[DryRunPlan]:
    """Collect the dry runs made inside the ``with`` block into one :class:`DryRunPlan`."""
    plan = DryRunPlan()
    token = _CURRENT.set(plan)
    try:
        yield plan
    finally:
        _CURRENT.reset(token)


def note(key: str, value: Any) -> None:
    """Add ``key: value`` (JSON-ready) to the plan being recorded; nothing outside a recording."""
    plan = _CURRENT.get()
    if plan is not None:
        plan.notes[key] = value


def add_files(items: Sequence[Any], root: Path) -> None:
    """Record the engine's plan items (:class:`~avbench.download._plan.PlanItem`)."""
    plan = _CURRENT.get()
    if plan is None:
        return
    for p in items:
        r = p.resource
        on_disk = p.have if p.status in ("partial", "missing") else 0 if p.status == "invalid" else (p.size or 0)
        plan.files.append({
            "path": r.path, "part": r.part, "size": p.size, "sha256": r.sha256 or (p.remote.sha256 if p.remote else None),
            "md5": r.md5 or (p.remote.md5 if p.remote else None), "status": p.status,
            "bytes_on_disk": on_disk, "bytes_to_fetch": p.needed, "url": p.remote.url if p.remote else None,
            "source": r.source.kind, "extract_to": r.extract_to, "splits": list(r.splits), "note": p.note or None,
            "error": p.error, "root": str(root)})


def add_clips(clips: Sequence[Any], root: Path, manifest: Path) -> None:
    """Record YouTube clips with what ``manifest`` says of each (``not recorded`` when absent; an
    ``ok`` or permanently unavailable row is skipped by a real run, anything else is fetched)."""
    plan = _CURRENT.get()
    if plan is None:
        return
    from avbench.download.manifest import read_manifest

    rows = read_manifest(manifest) if manifest.is_file() else {}
    for c in clips:
        row = rows.get(c.clip_id)
        same = row is not None and row.same_request(c.video_id, c.start, c.end, c.mode)
        status = row.status if same and row is not None else "not recorded"
        plan.clips.append({"clip_id": c.clip_id, "video_id": c.video_id, "start": float(c.start), "end": float(c.end),
                           "mode": c.mode, "part": "video" if c.mode == "av" else "audio", "status": status,
                           "to_fetch": not (same and row is not None and (row.status == "ok" or row.permanent)),
                           "root": str(root)})
