"""``avbench demo --size tiny``: the whole loop runs, exits 0 and writes predictions and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench import registry
from avbench.cli import main
from avbench.cli.demo import _scorable
from avbench.recipes.synth import RECIPE


@pytest.mark.slow
def test_demo_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--size", "tiny", "--data-dir", str(tmp_path / "data"), "--out", str(out), "--quiet"])
    assert exc.value.code == 0
    printed = capsys.readouterr().out
    assert "synth-reference vs a prior predictor" in printed
    for task in RECIPE.tasks():
        preds = json.loads((out / f"{task.id}.preds.json").read_text())
        assert preds["format"] == "avbench-predictions" and preds["task"] == task.id
        assert set(preds["clips"]) == set(RECIPE.load(tmp_path / "data" / "synth", split="test"))
        scorable, missing = _scorable(task)
        # every metric of the task is reported unless this installation lacks it
        assert set(scorable) | set(missing) == {m.id for m in task.metrics}
        assert not any(m in registry.metrics() and m not in scorable for m in missing)
        if not scorable:
            continue
        report = json.loads((out / f"{task.id}.report.json").read_text())
        assert report["header"]["task"] == task.id
        assert set(report["metrics"]) == set(scorable)
        assert report["coverage"]["clips_missing"] == 0


def test_demo_bad_size_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--size", "huge", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("avbench: error: synth: size must be one of") and "\n" not in err
