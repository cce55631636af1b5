"""A tiny test-only recipe whose resources each test sets, and the CLI run in-process."""

from __future__ import annotations

import pytest

from avbench.dataset import Recipe
from avbench.download.resource import Resource


class TinyRecipe(Recipe):
    """A recipe whose files are whatever ``res`` holds (set by each test)."""

    name = "tinytest"
    version = "1"
    parts = ("meta", "audio")
    default_parts = ("meta",)
    res: list[Resource] = []

    def resources(self, *, parts=("meta",), split=None):  # type: ignore[no-untyped-def]
        self.check_parts(parts)
        return [r for r in self.res if r.part in parts]

    def splits(self, root=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def tasks(self):  # type: ignore[no-untyped-def]
        return []

    def load(self, root, *, split=None):  # type: ignore[no-untyped-def]
        return {}

    def make_toy(self, root):  # type: ignore[no-untyped-def]
        pass


def cli(argv: list[str]) -> int:
    from avbench.cli import main

    with pytest.raises(SystemExit) as ex:
        main(argv)
    return int(ex.value.code or 0)
