"""The web pages: one ranked, sortable table per board, a page per submission with class-wise
results and plots, the static site, and no HTML injection from submission metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _lb_helpers import EVIL_NAME, request

from avbench.cli import main
from avbench.leaderboard.app import CSP
from avbench.leaderboard.db import Database




def _row_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', page)]


def test_board_page_ranks_and_has_every_column(populated) -> None:
    base, db, ids = populated
    status, headers, body = request(f"{base}/boards/scene")
    page = body.decode()
    assert status == 200 and headers["content-security-policy"] == CSP
    keys = re.findall(r'<th data-key="([^"]+)"', page)
    assert keys == ["rank", "system", "team", "date", "accuracy", "f1_macro", "log_loss", "coverage", "with_video",
                    "without_video"]
    values = {s["id"]: s["primary_value"] for s in db.submissions()}
    assert _row_ids(page) == sorted(values, key=lambda i: -values[i])
    assert _row_ids(page)[0] == ids["Good system"]
    from avbench.recipes.synth import RECIPE

    n_test = len(RECIPE.splits(Path(db.board("scene")["reference"]))["test"])  # coverage is of the test split
    assert page.count(f'<td data-value="1.0">{n_test}/{n_test}</td>') == 3


def test_submission_page_has_class_wise_results_and_plots(populated) -> None:
    base, db, ids = populated
    status, _, body = request(f"{base}/submissions/{ids['Noisy system']}")
    page = body.decode()
    assert status == 200
    for cls in ("office", "street", "hall"):
        assert f"<td>{cls}</td>" in page
    assert 'class="class-wise" data-metric="f1_macro"' in page and "<svg class=\"bars\"" in page
    assert "with video" in page and "without video" in page
    assert "Ada Lovelace (corresponding)" in page and 'href="https://example.org/code"' in page


def test_no_html_injection_from_metadata(populated) -> None:
    base, db, ids = populated
    for path in ("/boards/scene", f"/submissions/{ids[EVIL_NAME]}", "/"):
        _, headers, body = request(base + path)
        page = body.decode()
        assert "<script>document" not in page and "<img src=x" not in page, path
        assert headers["content-security-policy"] == CSP
        assert len(re.findall(r"<script\b", page)) == 1  # only the site's own lb.js
    _, _, body = request(f"{base}/submissions/{ids[EVIL_NAME]}")
    page = body.decode()
    assert "&lt;script&gt;document.body.setAttribute(&#x27;data-pwned&#x27;,&#x27;1&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;" in page and "&amp; &quot;quotes&quot;" in page


def test_static_site_matches_the_server(populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, db, ids = populated
    site = tmp_path / "site"
    with pytest.raises(SystemExit) as exc:
        main(["leaderboard", "render", "--db", db.url, "--out", str(site)])
    assert exc.value.code == 0
    assert "files written" in capsys.readouterr().out
    for rel in ("index.html", "boards/scene.html", "boards/sed.html", "static/lb.js", "static/lb.css",
                *(f"submissions/{i}.html" for i in ids.values())):
        assert (site / rel).is_file(), rel
    static_board = (site / "boards/scene.html").read_text()
    served = request(f"{base}/boards/scene")[2].decode()
    assert _row_ids(static_board) == _row_ids(served)
    assert 'href="../submissions/' in static_board and 'src="../static/lb.js"' in static_board
    assert "<script>document" not in static_board


def test_unknown_pages_are_404(populated) -> None:
    base, _, _ = populated
    assert request(f"{base}/boards/<script>")[0] == 404
    status, _, body = request(f"{base}/boards/%3Cb%3Ex")
    assert status == 404 and b"<b>x" not in body and b"&lt;b&gt;x" in body
    assert request(f"{base}/submissions/999")[0] == 404
    assert request(f"{base}/static/../app.py")[0] == 404
    assert request(f"{base}/api/submissions/999")[0] == 404
