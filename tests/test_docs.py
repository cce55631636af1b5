"""The documentation site builds with warnings as errors, and the examples of its pages run."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted((REPO / "docs").glob("*.md"))


@pytest.mark.slow
def test_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs (extra 'docs') is not installed")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings (extra 'docs') is not installed")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stderr[-4000:]
    site = tmp_path / "site"
    # a page per dataset and per metric family, generated from the registries
    from avbench import registry

    for name in registry.datasets():
        assert (site / "datasets" / name / "index.html").is_file(), name
    for family in {c.family for c in registry.metrics().values()}:
        page = (site / "metrics" / family / "index.html").read_text()
        assert all(c.id in page for c in registry.metrics().values() if c.family == family), family
    api = (site / "api" / "index.html").read_text()
    for name in ("load", "list_metrics", "evaluate", "Accumulator", "seld"):
        assert name in api, name


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_examples_of_the_pages_run(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
