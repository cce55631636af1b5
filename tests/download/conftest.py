"""Fixtures of the download tests (the shared ones, ``loopback`` included, are in tests/conftest.py)."""

from __future__ import annotations

import pytest
from _recipe import TinyRecipe


@pytest.fixture()
def tiny_recipe(monkeypatch: pytest.MonkeyPatch) -> TinyRecipe:
    """A registered ``tinytest`` recipe with no files; a test sets ``.res``."""
    from avbench import registry

    recipe = TinyRecipe()
    recipe.res = []
    monkeypatch.setattr(registry, "datasets", lambda: {"tinytest": recipe})
    return recipe
