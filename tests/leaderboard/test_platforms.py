"""Challenge platforms: EvalAI's ``evaluate`` entry point and the Codabench bundle's scoring
program, run on fixtures, give the numbers of ``avbench evaluate`` under the leaderboard keys."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from _lb_helpers import bundle
from _submission_fixtures import make_predictions

from avbench.cli import main
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.leaderboard.evalai import evaluate
from avbench.leaderboard.platforms import column_values, task_columns
from avbench.submission import read_bundle


def _zip_root(root: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as zf:  # stored: the video files say which clips have video
        for p in sorted(root.rglob("*")):
            if p.is_file():
                zf.write(p, f"synth/{p.relative_to(root)}")
    return out


@pytest.mark.parametrize("task", ["synth-scene", "synth-sed"])
def test_evalai_evaluate_returns_the_leaderboard_columns(task: str, synth_root: Path, tmp_path: Path) -> None:
    b = bundle(tmp_path, synth_root, task, noise=0.3)
    direct = evaluate_predictions(read_bundle(b).predictions, reference=synth_root).to_dict()
    expected = column_values(direct, task)
    assert set(expected) == {c.key for c in task_columns(task)}  # synth has clips with and without video
    for annotation in (synth_root, _zip_root(synth_root, tmp_path / "annotations.zip")):
        out = evaluate(str(annotation), str(b), "test-phase", submission_metadata={"team": "x"})
        assert out["result"] == [{"test": expected}]
        assert out["submission_result"]["metrics"] == direct["metrics"]
        assert out["submission_result"]["header"]["phase"] == "test-phase"
    preds = tmp_path / "bare.json"
    make_predictions(synth_root, task, noise=0.3).write(preds)
    assert evaluate(str(synth_root), str(preds), "p", split_codename="private")["result"] == [{"private": expected}]


def test_evalai_failures_raise_with_the_reason(synth_root: Path, tmp_path: Path) -> None:
    p = make_predictions(synth_root, "synth-scene")
    p.add("nope", clip_scores=[1.0, 0.0, 0.0])
    p.write(tmp_path / "p.json")
    with pytest.raises(InputError, match="clip id\\(s\\) not in synth/test"):
        evaluate(str(synth_root), str(tmp_path / "p.json"), "test")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.json", "{}")
    with pytest.raises(InputError, match="refused"):
        evaluate(str(evil), str(tmp_path / "p.json"), "test")


def test_codabench_bundle_scoring_program_on_a_fixture(synth_root: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle"
    with pytest.raises(SystemExit) as exc:
        main(["leaderboard", "export-codabench", "synth-sed", "--split", "test", "--reference", str(synth_root),
              "--out", str(out), "--daily-cap", "3"])
    assert exc.value.code == 0, capsys.readouterr().err
    comp = yaml.safe_load((out / "competition.yaml").read_text())
    assert comp["version"] == 2 and comp["tasks"][0]["scoring_program"] == "scoring_program"
    assert comp["phases"][0]["max_submissions_per_day"] == 3
    keys = [c["key"] for c in comp["leaderboards"][0]["columns"]]
    assert keys == [c.key for c in task_columns("synth-sed")]
    # Codabench's layout: input/ref = reference_data, input/res = the unzipped submission
    b = bundle(tmp_path / "sub", synth_root, "synth-sed", noise=0.2)
    app_in = tmp_path / "app" / "input"
    shutil.copytree(out / "reference_data", app_in / "ref")
    with zipfile.ZipFile(b) as zf:
        zf.extractall(app_in / "res")
    app_out = tmp_path / "app" / "output"
    run = subprocess.run([sys.executable, str(out / "scoring_program" / "score.py"), str(app_in), str(app_out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    scores = json.loads((app_out / "scores.json").read_text())
    assert list(scores) == keys
    direct = evaluate_predictions(read_bundle(b).predictions, reference=synth_root).to_dict()
    assert scores == column_values(direct, "synth-sed")
    # a tampered submission is refused by the scoring program with the bundle checks
    preds = app_in / "res" / "predictions.json"
    preds.write_text(preds.read_text().replace('"onset"', '"onset" ', 1))
    run = subprocess.run([sys.executable, str(out / "scoring_program" / "score.py"), str(app_in), str(app_out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "the bundle was altered" in run.stderr and "Traceback" not in run.stderr


def test_codabench_export_refuses_a_used_directory(synth_root: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "used"
    out.mkdir()
    (out / "x").write_text("keep me")
    with pytest.raises(SystemExit) as exc:
        main(["leaderboard", "export-codabench", "synth-scene", "--split", "test", "--reference", str(synth_root),
              "--out", str(out)])
    assert exc.value.code == 2 and "is not empty" in capsys.readouterr().err
    assert (out / "x").read_text() == "keep me"
