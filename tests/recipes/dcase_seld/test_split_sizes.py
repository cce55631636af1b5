"""``avbench info`` split sizes of the DCASE SELD sets: the released counts before any byte, then what is on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench import registry

NAMES = ["tau-sse-2019", "tau-nigens-sse-2020", "tau-nigens-sse-2021", "starss22", "starss23"]


@pytest.mark.parametrize("name", NAMES)
def test_split_sizes_come_from_the_index_with_nothing_on_disk(name: str, tmp_path: Path) -> None:
    recipe = registry.dataset(name)
    sizes = recipe.split_sizes(tmp_path / "absent")
    assert sizes == {k: v for k, v in recipe.idx["counts"].items() if k in recipe.idx["splits"]}
    assert all(v > 0 for v in sizes.values())


def test_split_sizes_count_the_files_on_disk(tmp_path: Path) -> None:
    recipe = registry.dataset("starss23")
    root = tmp_path / "starss23"
    recipe.make_toy(root)
    on_disk = recipe.split_sizes(root)
    assert on_disk == {k: len(v) for k, v in recipe.splits(root).splits.items()}
    assert on_disk != recipe.split_sizes(None)  # the toy is not the release


def test_info_shows_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from avbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["info", "starss23", "--json", "--data-dir", str(tmp_path)])
    assert exc.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["split_sizes"] == {"dev-train": 90, "dev-test": 78, "eval": 79}
