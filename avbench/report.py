"""Evaluation reports: the JSON every evaluation writes and the table it prints.

A :class:`Report` holds the metric results on all clips, the same metrics on strata of the clips
(with / without video, ...), what was covered, and where plots went. ``to_dict`` is the JSON
schema of ``avbench evaluate --json`` (``report_format`` 1.0)::

    {"report_format": "1.0", "avbench_version": ..., "created": ISO-8601 UTC,
     "header": {...inputs, benchmark, task, split...},
     "metrics": {id: {"id", "version", "params", "overall", "class_wise", "flags"[, "extra"]}},
     "strata": {name: {"n_clips": n, "metrics": {id: ...}}},
     "coverage": {...}, "plots": [paths], "notes": [warnings raised while scoring]}
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avbench import __version__
from avbench.io import write_json
from avbench.results import MetricResult, differing, jsonable

__all__ = ["Report", "Stratum", "REPORT_FORMAT", "headline", "wide_console"]

REPORT_FORMAT = "1.0"


@dataclass
class Stratum:
    """The metrics recomputed on a subset of the clips (e.g. ``without_video``)."""

    n_clips: int
    results: list[MetricResult]


@dataclass
class Report:
    header: dict[str, Any]
    results: list[MetricResult]
    strata: dict[str, Stratum] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "report_format": REPORT_FORMAT,
                "avbench_version": __version__,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "header": self.header,
                "metrics": {r.id: r.to_dict() for r in self.results},
                "strata": {
                    name: {"n_clips": s.n_clips, "metrics": {r.id: r.to_dict() for r in s.results}}
                    for name, s in self.strata.items()
                },
                "coverage": self.coverage,
                "plots": list(self.plots),
                "notes": list(self.notes),
            }
        )

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` atomically to ``path``, or to stdout when ``path`` is ``"-"``."""
        if str(path) == "-":
            import json
            import sys

            sys.stdout.write(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
            sys.stdout.flush()
            return
        write_json(path, self.to_dict())

    def render(self, console: Any = None, *, class_wise: bool = False) -> None:
        """Print the overall values (and strata) as a rich table.

        Each metric's headline value (its configuration's ``primary``, e.g. macro event F1 for
        DCASE Task 4's ``event_f1``) comes first, marked ``*``; when a result carries confidence
        intervals (``extra["confidence_intervals"]``, e.g. ``-o bootstrap=1000``) a column shows
        them. Output to a pipe or a file is not wrapped at 80 columns.
        """
        from rich.table import Table

        console = console or wide_console()
        title = " / ".join(str(self.header[k]) for k in ("benchmark", "task", "split") if self.header.get(k))
        n_all = self.coverage.get("clips_in_split", self.coverage.get("clips_in_reference"))
        table = Table(title=title or "avbench evaluation", show_lines=False)
        table.add_column("metric (version)", style="bold", no_wrap=True)
        table.add_column("value (* headline)", no_wrap=True)
        table.add_column("all clips" + (f"\n(n={n_all})" if n_all is not None else ""), justify="right")
        cis = {r.id: r.extra.get("confidence_intervals") or {} for r in self.results}
        if any(cis.values()):
            conf = next(iter(v for ci in cis.values() for v in ci.values()), {}).get("confidence", 0.95)
            table.add_column(f"{100 * float(conf):g} % CI (all clips)", justify="right", no_wrap=True)
        beside = {r.id: _beside(r) for r in self.results}
        if any(beside.values()):
            table.add_column("other profile\n(all clips)", justify="right", no_wrap=True)
        for name, stratum in self.strata.items():
            table.add_column(f"{name.replace('_', ' ')}\n(n={stratum.n_clips})", justify="right")
        by_stratum: dict[str, dict[str, MetricResult]] = {
            name: {r.id: r for r in s.results} for name, s in self.strata.items()
        }
        for r in self.results:
            head = headline(r)
            keys = ([head] if head else []) + [k for k in r.overall if k != head]
            for i, key in enumerate(keys):
                row = [f"{r.id} (v{r.version})" if i == 0 else "", f"{key} *" if key == head else key,
                       _fmt(r.overall.get(key))]
                if any(cis.values()):
                    ci = cis[r.id].get(key)
                    row.append(f"[{_fmt(ci.get('low'))}, {_fmt(ci.get('high'))}]" if ci else "")
                if any(beside.values()):
                    name, other = beside[r.id] or ("", {})
                    v = other.get(key)
                    row.append(f"{name}: {_fmt(v)}" if key in differing(r.overall, other) else "")
                for name in self.strata:
                    other = by_stratum[name].get(r.id)
                    row.append(_fmt(other.overall.get(key)) if other else "-")
                table.add_row(*row)
        console.print(table)
        if class_wise:
            for r in self.results:
                if not r.class_wise:
                    continue
                keys = sorted({k for v in r.class_wise.values() for k in v})
                t = Table(title=f"{r.id}: class-wise")
                t.add_column("class")
                for k in keys:
                    t.add_column(k, justify="right")
                for cls, vals in r.class_wise.items():
                    t.add_row(cls, *(_fmt(vals.get(k)) for k in keys))
                console.print(t)
        flags = [*self.notes, *(f"{r.id}: {f}" for r in self.results for f in r.flags)]
        for f in flags[:20]:
            console.print(f"note: {f}", markup=False, highlight=False)
        if len(flags) > 20:
            console.print(f"note: ... and {len(flags) - 20} more notes in the JSON report (--json)", highlight=False)
        if self.coverage:
            cov = ", ".join(f"{k}={v}" for k, v in self.coverage.items() if not isinstance(v, (list, dict)))
            console.print(f"coverage: {cov}", markup=False, highlight=False)
        for p in self.plots:
            console.print(f"plot: {p}", markup=False, highlight=False)


def _beside(r: MetricResult) -> tuple[str, Mapping[str, Any]] | None:
    """The other profile's overall values carried by ``r`` (the reference tool's, or avbench's own), if any."""
    ref = r.extra.get("reference_profile") or {}
    if ref.get("overall"):
        return str(ref.get("profile", "reference")), ref["overall"]
    own = r.extra.get("avbench_value") or {}
    if own.get("overall"):
        return "avbench", own["overall"]
    return None


def headline(result: MetricResult) -> str:
    """The ``overall`` key that is ``result``'s headline value: its configuration's ``primary``
    when registered and present, else the first key (``""`` when there are none)."""
    from avbench import registry

    try:
        primary = registry.metric(result.id).primary
    except Exception:  # noqa: BLE001 - an unregistered result (tests, plug-ins) has no primary
        primary = ""
    if primary and primary in result.overall:
        return primary
    return next(iter(result.overall), "")


class _TrimmedLines:
    """A text stream that writes each line without the spaces rich pads it with up to the console width."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self._tail = ""
        self.encoding = getattr(out, "encoding", "utf-8")

    def write(self, text: str) -> int:
        head, sep, self._tail = (self._tail + text).rpartition("\n")
        if sep:
            self._out.write("\n".join(line.rstrip(" ") for line in head.split("\n")) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._tail:  # a line without its end yet: written as it is
            self._out.write(self._tail)
            self._tail = ""
        self._out.flush()

    def isatty(self) -> bool:
        return False


def wide_console(*, stderr: bool = False) -> Any:
    """A rich console; writing to a pipe or a file it is 10,000 columns wide, so tables are not cut at 80,
    and each line ends where its text does (not padded with spaces to 10,000 columns)."""
    import sys

    from rich.console import Console

    console = Console(stderr=stderr)
    if not console.is_terminal:
        out = sys.stderr if stderr else sys.stdout
        console = Console(file=_TrimmedLines(out), width=10_000, force_terminal=False, color_system=None)
    return console


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "NaN" if value != value else f"{value:.4f}"  # a reference tool's NaN (the JSON report writes null)
    return str(value)


def results_table(results: Sequence[MetricResult]) -> Mapping[str, Mapping[str, Any]]:
    """``{metric id: overall}``, handy for tests and notebooks."""
    return {r.id: dict(r.overall) for r in results}
