"""What the challenge platforms read from an avbench score: the leaderboard columns of a task
(the same keys on the avbench server, EvalAI and Codabench) and their values in a report.

Example:
    >>> [c.key for c in task_columns("synth-scene")]
    ['accuracy', 'f1_macro', 'log_loss', 'coverage', 'with_video', 'without_video']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Column", "task_columns", "column_values"]


@dataclass(frozen=True)
class Column:
    """One leaderboard column: ``key`` (a metric id, or coverage / with_video / without_video),
    ``title`` and ``order`` (``asc`` when lower is better)."""

    key: str
    title: str
    order: str


def _board(task_id: str, primary: str | None = None) -> dict[str, Any]:
    from avbench import registry
    from avbench.leaderboard.render import default_order

    task = registry.task(task_id)
    primary = primary or task.metrics[0].id
    return {"task": task.id, "primary": primary, "order": default_order(registry.metric(primary).primary or primary)}


def task_columns(task_id: str, primary: str | None = None) -> list[Column]:
    """The columns of a board of ``task_id``: every metric (primary first), coverage, and the
    primary metric on the clips with and without video."""
    from avbench.leaderboard.render import columns

    board = _board(task_id, primary)
    out = [Column(key, title, order) for key, title, order in columns(board)]
    out.append(Column("coverage", "coverage (fraction of clips predicted)", "desc"))
    out.append(Column("with_video", f"{board['primary']} with video", board["order"]))
    out.append(Column("without_video", f"{board['primary']} without video", board["order"]))
    return out


def column_values(report: Mapping[str, Any], task_id: str, primary: str | None = None) -> dict[str, float]:
    """``{column key: value}`` of an ``avbench evaluate --json`` report; a value the report lacks
    (no clip without video, say) is absent rather than invented."""
    from avbench.leaderboard.render import _value

    board = _board(task_id, primary)
    out: dict[str, float] = {}
    for col in task_columns(task_id, primary):
        if col.key == "coverage":
            cov = report.get("coverage") or {}
            if cov.get("clips_in_split"):
                out[col.key] = cov["clips_predicted"] / cov["clips_in_split"]
            continue
        stratum = col.key if col.key in ("with_video", "without_video") else None
        value = _value(report, board["primary"] if stratum else col.key, stratum)
        if value is not None:
            out[col.key] = value
    return out
