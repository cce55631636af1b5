"""Shared test fixtures: the real reference data in ../shared (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` (the real metadata files); skips when this checkout has none."""
    if not REFERENCE.is_dir():
        pytest.skip(f"real reference data not found at {REFERENCE} (a fresh clone has no ../shared)")
    return REFERENCE
