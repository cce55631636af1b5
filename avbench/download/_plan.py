"""Planning for the download engine: what is on disk, where each file comes from, free space.

See :mod:`avbench.download.engine`.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.download import http
from avbench.download.record import DownloadRecord, now_utc
from avbench.download.resource import Resource
from avbench.download.sources import Remote, mirror_remote, resolve
from avbench.download.verify import check_file, expected_digests, member_ok, mismatches
from avbench.errors import DownloadError

SPACE_MARGIN = 64 << 20


@dataclass
class PlanItem:
    """One resource and what the engine found about it (``status``: present, partial, missing,
    invalid, extracted — an archive removed after extraction)."""

    resource: Resource
    status: str
    have: int = 0
    remote: Remote | None = None
    error: str | None = None
    note: str = ""
    seen: tuple[int, int] | None = None  # (size, mtime_ns) of an invalid file when it was checked

    @property
    def size(self) -> int | None:
        return self.resource.size if self.resource.size is not None else (self.remote.size if self.remote else None)

    @property
    def needed(self) -> int:
        return max(0, (self.size or 0) - self.have) if self.status in ("partial", "missing", "invalid") else 0


def source_dict(res: Resource) -> dict[str, Any]:
    return {"kind": res.source.kind, **dataclasses.asdict(res.source)}


def local_state(res: Resource, root: Path, record: DownloadRecord) -> PlanItem:
    dest = root / res.path
    if dest.is_file():
        entry = record.unchanged(res.path, dest)
        want = expected_digests(res.sha256, res.md5)
        if entry is not None and not mismatches(want, entry) and all(k in entry for k in want):
            return PlanItem(res, "present")
        chk = check_file(dest, size=res.size, sha256=res.sha256, md5=res.md5)
        if chk.status == "ok":
            st = dest.stat()
            digests = {"sha256": res.sha256, "md5": res.md5} if want else {}
            record.set_file(res.path, {"source": source_dict(res), "url": None, "version": None,
                                       "size": st.st_size, **{k: v for k, v in digests.items() if v},
                                       "verified": sorted(want), "date": now_utc(), "mtime_ns": st.st_mtime_ns})
            return PlanItem(res, "present")
        st = dest.stat()
        return PlanItem(res, "invalid", note=chk.detail, seen=(st.st_size, st.st_mtime_ns))
    note = ""
    if record.removed_archive_members(res.path) is not None:
        owner = (record.archives.get(res.path) or {}).get("volume_of") or res.path
        info = record.archive_member_info(owner) or {}
        bad = [m for m, v in info.items() if not member_ok(root / m, v)]
        if not bad:
            return PlanItem(res, "extracted")
        note = f"{len(bad)} extracted member(s) missing or changed, e.g. {bad[0]}: fetching the archive again"
    part = http.part_path(dest)
    have = part.stat().st_size if part.is_file() else 0
    if res.size is not None and have > res.size:
        have = 0
    return PlanItem(res, "partial" if have else "missing", have=have, note=note)


def deadlines(opts: dict[str, Any]) -> http.Deadlines:
    """The run's deadlines (``timeout``, ``min_rate``, ``rate_window``, ``header_timeout``), for
    metadata requests and file bodies alike."""
    return http.Deadlines(stall=opts["timeout"], min_rate=opts["min_rate"], window=opts["rate_window"],
                          headers=opts["header_timeout"])


def resolve_item(item: PlanItem, opts: dict[str, Any], cache: dict[Any, Any], cancel: Any = None) -> None:
    res = item.resource
    remote = mirror_remote(res.source, opts["mirror"]) if opts["mirror"] else \
        resolve(res.source, deadlines=deadlines(opts), cache=cache, cancel=cancel)
    if res.size is not None and remote.size is not None and res.size != remote.size:
        raise DownloadError(f"{res.path}: the recipe says {res.size} bytes, the host says {remote.size}; "
                            "the file changed upstream or the recipe is wrong")
    for algo in ("sha256", "md5"):
        mine, theirs = getattr(res, algo), getattr(remote, algo)
        if mine and theirs and mine != theirs:
            raise DownloadError(f"{res.path}: the recipe says {algo} {mine}, the host says {theirs}; "
                                "the file changed upstream or the recipe is wrong")
    item.remote = remote


def print_plan(report: Any, quiet: bool) -> None:
    out = sys.stdout
    total = 0
    for p in report.plan:
        size = "?" if p.size is None else f"{p.size:,}"
        total += p.needed
        where = p.remote.url if p.remote else ""
        out.write(f"{p.status:9} {size:>16}  {p.resource.path}  {where}{'  (' + p.note + ')' if p.note else ''}{'  ERROR: ' + p.error if p.error else ''}\n")
    todo = sum(p.status in ("missing", "partial", "invalid") for p in report.plan)
    out.write(f"would fetch {todo} of {len(report.plan)} files, {total:,} bytes, into {report.root}\n")


def check_space(plan: list[PlanItem], root: Path) -> None:
    need = sum(p.needed for p in plan)
    probe = root
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need and need + SPACE_MARGIN > free:
        n = sum(p.needed > 0 for p in plan)
        raise DownloadError(f"not enough free space in {root}: {n} file(s) need {need / 2**30:.2f} GiB "
                            f"(+{SPACE_MARGIN >> 20} MiB margin), {free / 2**30:.2f} GiB free; free space or "
                            "use --data-dir on a larger disk")
