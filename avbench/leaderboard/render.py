"""HTML of the leaderboard: the board list, one sortable table per board, one page per
submission (class-wise tables and bar plots), for the server and for the static site.

Every value that comes from a submission (system name, team, description, URLs, class names,
error messages) goes through :func:`html.escape`; URLs become links only when they are http(s).
Pages carry no inline script or style: the sorting script and the style sheet are separate files
(``static/lb.js``, ``static/lb.css``), so the server's ``Content-Security-Policy`` can forbid
inline code and anything injected would not run.

The table is sorted in the browser by clicking a column header, or by the URL fragment
``#sort=<column key>:<asc|desc>`` (which clicking also writes). Rows carry the numeric value of each
cell in ``data-value``.

Example:
    >>> default_order("error_rate"), default_order("f1_macro")
    ('asc', 'desc')
    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["default_order", "esc", "Links", "board_rows", "columns", "index_page", "board_page", "submission_page",
           "STATIC"]

_LOWER_IS_BETTER = re.compile(r"(error|loss|seld_score|^er$|_er$|doa|distance|deviation)")


def default_order(key: str) -> str:
    """``'asc'`` for a metric key where lower is better (errors, losses, SELD score), else ``'desc'``."""
    return "asc" if _LOWER_IS_BETTER.search(key) else "desc"


def esc(value: Any) -> str:
    """HTML-escape ``str(value)`` (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Links:
    """Where pages link to: absolute paths on the server, relative ``.html`` files in a static site."""

    static_site: bool = False
    depth: int = 0

    def _up(self) -> str:
        return "../" * self.depth if self.static_site else "/"

    def index(self) -> str:
        return self._up() + ("index.html" if self.static_site else "")

    def board(self, name: str) -> str:
        return self._up() + (f"boards/{name}.html" if self.static_site else f"boards/{name}")

    def submission(self, sub_id: int) -> str:
        return self._up() + (f"submissions/{sub_id}.html" if self.static_site else f"submissions/{sub_id}")

    def static(self, name: str) -> str:
        return self._up() + f"static/{name}"


def _metric_key(metric_id: str) -> str:
    from avbench import registry

    try:
        return registry.metric(metric_id).primary or metric_id
    except Exception:  # noqa: BLE001 - a metric that left this installation still shows
        return metric_id


def columns(board: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The metric columns of ``board``: ``(key, title, order)``, the primary metric first.

    ``key`` is the metric id (the Codabench and EvalAI column keys are the same).
    """
    from avbench import registry

    ids = [m.id for m in registry.task(board["task"]).metrics]
    ids = [board["primary"]] + [i for i in ids if i != board["primary"]]
    out = []
    for mid in ids:
        key = _metric_key(mid)
        order = board["order"] if mid == board["primary"] else default_order(key)
        out.append((mid, f"{mid}" if key in (mid, "") else f"{mid} ({key})", order))
    return out


def _value(report: Mapping[str, Any] | None, metric_id: str, stratum: str | None = None) -> float | None:
    if not report:
        return None
    metrics = report.get("metrics", {}) if stratum is None else (report.get("strata", {}).get(stratum) or {}).get(
        "metrics", {})
    overall = (metrics.get(metric_id) or {}).get("overall") or {}
    v = overall.get(_metric_key(metric_id))
    return float(v) if isinstance(v, (int, float)) else None


def board_rows(board: Mapping[str, Any], subs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Scored submissions of ``board`` ranked by its primary metric (ties share a rank; a
    submission without a primary value ranks last)."""
    cols = columns(board)
    scored = [s for s in subs if s["status"] == "scored"]
    sign = 1 if board["order"] == "asc" else -1
    scored.sort(key=lambda s: (s.get("primary_value") is None, sign * (s.get("primary_value") or 0.0), s["id"]))
    rows, prev, rank = [], object(), 0
    for i, s in enumerate(scored, start=1):
        value = s.get("primary_value")
        if value != prev:
            rank, prev = i, value
        report = s.get("result") or {}
        cov = report.get("coverage") or {}
        rows.append({
            "rank": rank, "id": s["id"], "system": s["system_name"], "team": s["team"],
            "date": s["created"].strftime("%Y-%m-%d %H:%M") if hasattr(s["created"], "strftime") else str(s["created"]),
            "metrics": {mid: _value(report, mid) for mid, _, _ in cols},
            "coverage": (cov.get("clips_predicted"), cov.get("clips_in_split")),
            "with_video": _value(report, board["primary"], "with_video"),
            "without_video": _value(report, board["primary"], "without_video"),
        })
    return rows


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.4f}"


def _num(v: Any) -> str:
    return "" if v is None else esc(repr(float(v)))


def _page(title: str, body: str, links: Links) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title>"
        f"<link rel=\"stylesheet\" href=\"{esc(links.static('lb.css'))}\">"
        f"<script src=\"{esc(links.static('lb.js'))}\" defer></script></head>\n<body>"
        f"<nav><a href=\"{esc(links.index())}\">avbench leaderboards</a></nav>\n{body}\n</body></html>\n"
    )


def index_page(boards: Sequence[Mapping[str, Any]], counts: Mapping[int, int], links: Links) -> str:
    """The list of boards."""
    items = "".join(
        f"<tr><td><a href=\"{esc(links.board(b['name']))}\">{esc(b['name'])}</a></td><td>{esc(b['benchmark'])}</td>"
        f"<td>{esc(b['task'])}</td><td>{esc(b['split'])}</td><td>{esc(b['primary'])}</td>"
        f"<td>{counts.get(b['id'], 0)}</td></tr>" for b in boards)
    body = ("<h1>Leaderboards</h1><table id=\"boards\"><thead><tr><th>board</th><th>benchmark</th><th>task</th>"
            f"<th>split</th><th>primary metric</th><th>scored</th></tr></thead><tbody>{items}</tbody></table>")
    return _page("avbench leaderboards", body, links)


def board_page(board: Mapping[str, Any], subs: Sequence[Mapping[str, Any]], links: Links) -> str:
    """One board: a sortable table of its scored submissions."""
    cols = columns(board)
    rows = board_rows(board, subs)
    head = ["<th data-key=\"rank\" data-order=\"asc\">rank</th>",
            "<th data-key=\"system\" data-type=\"text\" data-order=\"asc\">system</th>",
            "<th data-key=\"team\" data-type=\"text\" data-order=\"asc\">team</th>",
            "<th data-key=\"date\" data-type=\"text\" data-order=\"desc\">date</th>"]
    head += [f"<th data-key=\"{esc(mid)}\" data-order=\"{order}\">{esc(title)}</th>" for mid, title, order in cols]
    head += ["<th data-key=\"coverage\" data-order=\"desc\">coverage</th>",
             f"<th data-key=\"with_video\" data-order=\"{esc(board['order'])}\">with video</th>",
             f"<th data-key=\"without_video\" data-order=\"{esc(board['order'])}\">without video</th>"]
    body_rows = []
    for r in rows:
        done, total = r["coverage"]
        frac = done / total if done is not None and total else None
        cells = [f"<td data-value=\"{r['rank']}\">{r['rank']}</td>",
                 f"<td data-value=\"{esc(r['system'])}\"><a href=\"{esc(links.submission(r['id']))}\">"
                 f"{esc(r['system'])}</a></td>",
                 f"<td data-value=\"{esc(r['team'])}\">{esc(r['team'])}</td>",
                 f"<td data-value=\"{esc(r['date'])}\">{esc(r['date'])}</td>"]
        cells += [f"<td data-value=\"{_num(r['metrics'][mid])}\">{_fmt(r['metrics'][mid])}</td>" for mid, _, _ in cols]
        cells += [f"<td data-value=\"{_num(frac)}\">{esc(done)}/{esc(total)}</td>",
                  f"<td data-value=\"{_num(r['with_video'])}\">{_fmt(r['with_video'])}</td>",
                  f"<td data-value=\"{_num(r['without_video'])}\">{_fmt(r['without_video'])}</td>"]
        body_rows.append(f"<tr data-id=\"{r['id']}\">{''.join(cells)}</tr>")
    pending = sum(1 for s in subs if s["status"] in ("queued", "scoring"))
    body = (f"<h1>{esc(board['name'])}</h1><p class=\"board-info\">{esc(board['benchmark'])} / {esc(board['task'])} / "
            f"{esc(board['split'])}; ranked by {esc(board['primary'])} ({'lower' if board['order'] == 'asc' else 'higher'}"
            f" is better); {len(rows)} scored, {pending} pending. Click a column to sort.</p>"
            f"<table class=\"board\" id=\"board\"><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(body_rows)}</tbody></table>")
    return _page(f"{board['name']} leaderboard", body, links)


def _bars(values: Mapping[str, float | None], title: str) -> str:
    """A horizontal bar chart (inline SVG) of class-wise values in [0, 1] or scaled to the max."""
    finite = [v for v in values.values() if isinstance(v, (int, float))]
    if not finite:
        return ""
    top = max(1.0, max(finite))
    h, width = 18, 300
    rows = []
    for i, (cls, v) in enumerate(values.items()):
        y = i * h
        w = 0 if not isinstance(v, (int, float)) else max(0.0, v) / top * width
        rows.append(f"<text x=\"0\" y=\"{y + 13}\" class=\"lbl\">{esc(cls)}</text>"
                    f"<rect x=\"160\" y=\"{y + 3}\" width=\"{w:.1f}\" height=\"{h - 6}\"></rect>"
                    f"<text x=\"{165 + w:.1f}\" y=\"{y + 13}\">{_fmt(v)}</text>")
    return (f"<figure><figcaption>{esc(title)}</figcaption><svg class=\"bars\" role=\"img\" "
            f"width=\"{160 + width + 60}\" height=\"{len(values) * h}\" xmlns=\"http://www.w3.org/2000/svg\">"
            f"{''.join(rows)}</svg></figure>")


def submission_page(sub: Mapping[str, Any], board: Mapping[str, Any], links: Links) -> str:
    """One submission: who, what, status, overall and stratified values, class-wise tables and plots."""
    system = sub.get("system") or {}
    report = sub.get("result") or {}
    url = system.get("code_url")
    code = f"<a href=\"{esc(url)}\" rel=\"nofollow noopener\">{esc(url)}</a>" if isinstance(url, str) and \
        re.match(r"^https?://", url) else esc(url or "not public")
    authors = ", ".join(esc(a.get("name")) + (" (corresponding)" if a.get("corresponding") else "")
                        for a in system.get("authors", []))
    info = [("board", f"<a href=\"{esc(links.board(board['name']))}\">{esc(board['name'])}</a>"),
            ("team", esc(sub["team"])), ("submitted", esc(sub["created"])), ("status", esc(sub["status"])),
            ("authors", authors), ("contact", esc(system.get("contact"))),
            ("description", esc(system.get("description"))), ("code", code),
            ("training data", esc(", ".join(system.get("training_data", [])))),
            ("external data", esc(", ".join(system.get("external_data", [])) or "none")),
            ("parameters", esc(system.get("parameters"))), ("avbench", esc(system.get("avbench_version"))),
            ("predictions sha256", f"<code>{esc(sub['sha256'])}</code>")]
    if sub.get("error"):
        info.append(("reason", f"<span class=\"error\">{esc(sub['error'])}</span>"))
    parts = [f"<h1>{esc(sub['system_name'])}</h1><table class=\"info\">"
             + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in info) + "</table>"]
    if report:
        parts.append(_overall_table(report))
        cov = report.get("coverage") or {}
        parts.append("<p class=\"coverage\">coverage: " + esc(", ".join(
            f"{k}={v}" for k, v in cov.items() if not isinstance(v, (list, dict)))) + "</p>")
        parts.extend(_class_wise(report))
    return _page(f"{sub['system_name']} on {board['name']}", "\n".join(parts), links)


def _overall_table(report: Mapping[str, Any]) -> str:
    strata = list((report.get("strata") or {}).items())
    head = "<tr><th>metric</th><th>value</th><th>all</th>" + "".join(
        f"<th>{esc(name.replace('_', ' '))} (n={esc(s.get('n_clips'))})</th>" for name, s in strata) + "</tr>"
    rows = []
    for mid, res in (report.get("metrics") or {}).items():
        for i, (key, value) in enumerate((res.get("overall") or {}).items()):
            other = [((s.get("metrics") or {}).get(mid) or {}).get("overall", {}).get(key) for _, s in strata]
            cells = "".join(f"<td>{_cell(v)}</td>" for v in [value, *other])
            rows.append(f"<tr><td>{esc(mid) + ' v' + esc(res.get('version')) if i == 0 else ''}</td>"
                        f"<td>{esc(key)}</td>{cells}</tr>")
    return f"<h2>Results</h2><table class=\"overall\" id=\"overall\"><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return esc(v) if not isinstance(v, (list, dict)) else "…"


def _class_wise(report: Mapping[str, Any]) -> list[str]:
    out = []
    for mid, res in (report.get("metrics") or {}).items():
        cw = res.get("class_wise") or {}
        if not cw:
            continue
        keys = sorted({k for v in cw.values() for k, x in v.items() if not isinstance(x, (list, dict))})
        head = "<tr><th>class</th>" + "".join(f"<th>{esc(k)}</th>" for k in keys) + "</tr>"
        rows = "".join(f"<tr><td>{esc(c)}</td>" + "".join(f"<td>{_cell(v.get(k))}</td>" for k in keys) + "</tr>"
                       for c, v in cw.items())
        out.append(f"<h3>{esc(mid)}: class-wise</h3><table class=\"class-wise\" data-metric=\"{esc(mid)}\">"
                   f"<thead>{head}</thead><tbody>{rows}</tbody></table>")
        key = next((k for k in ("f1", _metric_key(mid), "accuracy", "recall") if k in keys), None)
        if key:
            out.append(_bars({c: v.get(key) for c, v in cw.items()}, f"{mid}: class-wise {key}"))
    return out


STATIC: dict[str, str] = {
    "lb.css": """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
table.board th{cursor:pointer;background:#f3f3f3}th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
td{font-variant-numeric:tabular-nums}.error{color:#a00}svg.bars rect{fill:#4a7ab7}svg.bars text{font-size:12px}
nav{margin-bottom:1em}
""",
    "lb.js": """// avbench leaderboard: sort a board table by a column (click, or #sort=<key>:<asc|desc>).
(function () {
  function cellValue(row, idx, text) {
    var td = row.cells[idx];
    var v = td.getAttribute('data-value');
    if (text) { return (v === null ? td.textContent : v).toLowerCase(); }
    if (v === null || v === '') { return null; }
    var n = parseFloat(v);
    return isNaN(n) ? null : n;
  }
  function sortTable(table, key, order) {
    var ths = table.tHead.rows[0].cells, idx = -1;
    for (var i = 0; i < ths.length; i++) {
      ths[i].classList.remove('sorted-asc', 'sorted-desc');
      if (ths[i].getAttribute('data-key') === key) { idx = i; }
    }
    if (idx < 0) { return false; }
    var text = ths[idx].getAttribute('data-type') === 'text';
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, idx, text), y = cellValue(b, idx, text);
      if (x === y) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      var c = x < y ? -1 : 1;
      return order === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    ths[idx].classList.add('sorted-' + order);
    table.setAttribute('data-sorted', key + ':' + order);
    return true;
  }
  function fromHash(table) {
    var m = /sort=([^:&]+):(asc|desc)/.exec(decodeURIComponent(location.hash || ''));
    if (m) { sortTable(table, m[1], m[2]); }
  }
  document.addEventListener('DOMContentLoaded', function () {
    var table = document.getElementById('board');
    if (!table) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener('click', function () {
        var key = th.getAttribute('data-key');
        var cur = table.getAttribute('data-sorted') || '';
        var order = cur === key + ':' + (th.getAttribute('data-order') || 'desc') ?
          ((th.getAttribute('data-order') || 'desc') === 'asc' ? 'desc' : 'asc') : (th.getAttribute('data-order') || 'desc');
        sortTable(table, key, order);
        history.replaceState(null, '', '#sort=' + encodeURIComponent(key) + ':' + order);
      });
    });
    fromHash(table);
    window.addEventListener('hashchange', function () { fromHash(table); });
  });
})();
""",
}


def render_site(db: Any, out: Any, *, write: Callable[[Any, str], None] | None = None) -> list[str]:
    """Write every page of ``db`` as a static site under ``out``; returns the files written."""
    from pathlib import Path

    from avbench.io import atomic_write_text

    write = write or atomic_write_text
    out = Path(out)
    boards = db.boards_list()
    subs = db.submissions()
    by_board: dict[int, list[dict[str, Any]]] = {}
    for s in subs:
        by_board.setdefault(s["board_id"], []).append(s)
    files = []

    def put(rel: str, text: str) -> None:
        write(out / rel, text)
        files.append(rel)

    counts = {b["id"]: sum(1 for s in by_board.get(b["id"], []) if s["status"] == "scored") for b in boards}
    put("index.html", index_page(boards, counts, Links(True, 0)))
    for name, text in STATIC.items():
        put(f"static/{name}", text)
    board_by_id = {b["id"]: b for b in boards}
    for b in boards:
        put(f"boards/{b['name']}.html", board_page(b, by_board.get(b["id"], []), Links(True, 1)))
    for s in subs:
        if s["status"] in ("scored", "failed"):
            put(f"submissions/{s['id']}.html", submission_page(s, board_by_id[s["board_id"]], Links(True, 1)))
    return files
