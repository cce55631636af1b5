"""``avbench train --baseline`` / ``avbench predict`` with baselines that are not torch models.

``seld-srp`` (log-mel classifier + SRP-PHAT) and ``synth-reference`` are fitted by their own
``fit_task``; no torch is needed (this file runs in the main CI step, where torch is absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run_cli as _cli
from avbench.evaluation import evaluate_predictions


def test_seld_srp_trains_predicts_and_resumes_through_the_cli(synth_small: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "srp"
    args = ["train", "--task", "synth-seld", "--baseline", "seld-srp", "--seeds", "2", "--run", str(run),
            "--data-dir", str(synth_small.parent), "--quiet", "--json", str(tmp_path / "s.json")]
    code, out, err = _cli(args, capsys)
    assert code == 0, err
    assert "the fitted model.pkl" in out and "checkpoints" not in out
    summary = json.loads((tmp_path / "s.json").read_text())
    f1 = summary["test"]["seld-umons.f1"]
    assert f1["n"] == 2 and f1["std"] == 0.0 and f1["mean"] > 0.7, f1  # deterministic fit; the prior gets 0.32
    assert summary["test"]["seld-umons.localization_error"]["mean"] < 25.0
    for seed in (0, 1):
        assert (run / f"seed-{seed}" / "model.pkl").is_file()
        assert (run / f"seed-{seed}" / "test.report.json").is_file()
    assert json.loads((run / "config.json").read_text())["baseline"] == "seld-srp"
    # the same command again resumes: finished seeds are not fitted again
    stamp = (run / "seed-0" / "model.pkl").stat().st_mtime_ns
    code, _, err = _cli(args, capsys)
    assert code == 0, err
    assert (run / "seed-0" / "model.pkl").stat().st_mtime_ns == stamp
    # predict from the pickled fit, then score: the same value as the run's own test report
    preds = tmp_path / "p.json"
    code, out, err = _cli(["predict", "--run", str(run), "--split", "test", "--out", str(preds), "--seed", "1"], capsys)
    assert code == 0, err
    rep = evaluate_predictions(preds, reference=synth_small)
    got = next(r.overall for r in rep.results if r.id == "seld-umons")["f1"]
    assert got == pytest.approx(f1["mean"], abs=1e-12)
    assert json.loads(preds.read_text())["model"]["seed"] == 1


def test_classical_baseline_settings_come_from_config(synth_small: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "music.yaml"
    cfg.write_text("algorithm: MUSIC\n")
    run = tmp_path / "music"
    code, _, err = _cli(["train", "--task", "synth-seld", "--baseline", "seld-srp", "--config", str(cfg),
                         "--run", str(run), "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    assert code == 0, err
    preds = json.loads((run / "seed-0" / "test.preds.json").read_text())
    assert preds["model"]["settings"]["algorithm"] == "MUSIC"


def test_synth_reference_trains_through_the_cli(synth_small: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "ref"
    code, out, err = _cli(["train", "--task", "synth-scene", "--baseline", "synth-reference", "--run", str(run),
                           "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    assert code == 0, err
    assert "accuracy" in out
    report = json.loads((run / "seed-0" / "test.report.json").read_text())
    assert report["header"]["task"] == "synth-scene" and report["header"]["model"]["name"] == "synth-reference"


@pytest.mark.parametrize(("args", "message"), [
    (["--task", "synth-sed", "--baseline", "seld-srp"], "has no configuration for task 'synth-sed'"),
    (["--task", "synth-scene", "--baseline", "synth-reference", "--config", "{cfg}"], "takes no --config options"),
    (["--task", "synth-seld", "--baseline", "seld-srp", "--config", "{bad}"], "expected a mapping of options"),
])
def test_classical_user_errors_are_one_line(args: list[str], message: str, synth_small: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text("algorithm: SRP\n")
    (tmp_path / "bad.yaml").write_text("- a list\n")
    args = [a.format(cfg=tmp_path / "c.yaml", bad=tmp_path / "bad.yaml") for a in args]
    run = tmp_path / "r"
    code, _, err = _cli(["train", *args, "--run", str(run), "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (run / "seed-0").exists()
