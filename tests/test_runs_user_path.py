"""What a new user meets around ``avbench train`` / ``avbench predict`` besides the happy path: each
bad input is one line on stderr naming the thing and what to do, exit status 2, nothing half-written;
a rerun of a finished run trains nothing and says so.

The classical baseline ``seld-srp`` needs no torch (these run in the main CI step); the torch cases
use the ten-line user model of ``tests/test_training.py`` (marked ``torch``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import run_cli

HERE = Path(__file__).resolve().parent
TINY = f"{HERE / 'test_training.py'}:TinyScene"


def _one_line(code: int, err: str) -> str:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def _train_with(config: str, model_args: list[str], synth_small: Path, tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> str:
    """``avbench train`` on synth-scene with ``epochs: 1`` plus ``config`` lines; its one-line error."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"epochs: 1\n{config}\n")
    code, _, err = run_cli(["train", "--task", "synth-scene", *model_args, "--config", str(cfg), "--run",
                            str(tmp_path / "r"), "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    return _one_line(code, err)


@pytest.fixture(scope="module")
def srp_run(synth_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from avbench.runs import run

    rd = tmp_path_factory.mktemp("runs") / "srp"
    run("synth-seld", run_dir=rd, baseline="seld-srp", root=synth_small)
    return rd


@pytest.mark.parametrize(("args", "message"), [
    (["--baseline", "nope"], "unknown baseline 'nope'"),
    (["--baseline", "seld-srp", "--task", "synth-scene"], "has no configuration for task 'synth-scene'"),
    (["--baseline", "synth-reference", "--task", "nope-task"], "unknown task 'nope-task'"),
])
def test_unknown_names_and_other_families(args: list[str], message: str, synth_small: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if "--task" not in args:
        args = [*args, "--task", "synth-seld"]
    code, _, err = run_cli(["train", *args, "--run", str(tmp_path / "r"), "--data-dir", str(synth_small.parent),
                            "--quiet"], capsys)
    assert message in _one_line(code, err)
    assert not (tmp_path / "r").exists()


def test_a_finished_run_rerun_trains_nothing_and_says_so(srp_run: Path, synth_small: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    stamp = (srp_run / "seed-0" / "model.pkl").stat().st_mtime_ns
    code, out, err = run_cli(["train", "--task", "synth-seld", "--baseline", "seld-srp", "--run", str(srp_run),
                              "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    assert code == 0, err
    assert "seld-umons.f1" in out and "already finished every seed; nothing was trained" in err
    assert (srp_run / "seed-0" / "model.pkl").stat().st_mtime_ns == stamp
    code, _, err = run_cli(["train", "--task", "synth-seld", "--baseline", "seld-srp", "--run", str(srp_run),
                            "--seeds", "2", "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    assert "holds another run" in _one_line(code, err)


def test_a_corrupt_fitted_model_is_one_line(srp_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    rd = tmp_path / "srp"
    shutil.copytree(srp_run, rd)
    pkl = rd / "seed-0" / "model.pkl"
    pkl.write_bytes(pkl.read_bytes()[:100])
    out = tmp_path / "p.json"
    code, _, err = run_cli(["predict", "--run", str(rd), "--split", "test", "--out", str(out)], capsys)
    err = _one_line(code, err)
    assert f"{pkl}: not a checkpoint of this run" in err and f"delete {pkl.parent}" in err
    assert not out.exists()


torch_cases = pytest.mark.torch


@pytest.fixture(scope="module")
def tiny_run(synth_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    from avbench.runs import run

    rd = tmp_path_factory.mktemp("runs") / "tiny"
    run("synth-scene", run_dir=rd, model=TINY, config={"epochs": 2, "batch_size": 8}, root=synth_small)
    return rd


@torch_cases
@pytest.mark.parametrize(("model", "message"), [
    ("{hiden: 8}", "TinyScene() does not take 'hiden' (its options: hidden)"),
    ("{hidden: 8, depth: 2}", "does not take 'depth'"),
])
def test_model_options_that_do_not_fit_the_factory(model: str, message: str, synth_small: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    err = _train_with(f"model: {model}", ["--model", TINY], synth_small, tmp_path, capsys)
    assert message in err and "fix the model: mapping of --config" in err
    assert not list((tmp_path / "r").glob("seed-*/*.pt"))


@torch_cases
def test_a_required_model_option_left_out(synth_small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    (tmp_path / "needs.py").write_text("import torch\n\n\ndef build(spec, width):\n"
                                       "    return torch.nn.Linear(width, spec.n_classes)\n")
    code, _, err = run_cli(["train", "--task", "synth-scene", "--model", f"{tmp_path / 'needs.py'}:build",
                            "--run", str(tmp_path / "r"), "--data-dir", str(synth_small.parent), "--quiet"], capsys)
    err = _one_line(code, err)
    assert "build() cannot take these options (missing a required argument: 'width')" in err, err


@torch_cases
def test_a_baseline_model_option_that_does_not_exist(synth_small: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    assert "baseline 'scene-avmlp' SceneLateFusion() does not take 'layers' (its options: hidden, dropout)" \
        in _train_with("model: {layers: 3}", ["--baseline", "scene-avmlp"], synth_small, tmp_path, capsys)


@torch_cases
@pytest.mark.parametrize("damage", ["truncated", "not-a-checkpoint"])
def test_a_corrupt_checkpoint_is_one_line(damage: str, tiny_run: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    rd = tmp_path / "tiny"
    shutil.copytree(tiny_run, rd)
    best = rd / "seed-0" / "best.pt"
    if damage == "truncated":
        best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])
    else:
        best.write_text("{}")
    out = tmp_path / "p.json"
    code, _, err = run_cli(["predict", "--run", str(rd), "--split", "test", "--out", str(out)], capsys)
    err = _one_line(code, err)
    assert f"{best}: not a checkpoint of this run" in err and "run the same `avbench train` command again" in err
    assert not out.exists()
    # an interrupted seed whose last.pt is damaged: the resume says so instead of a traceback
    (rd / "seed-0" / "test.report.json").unlink()
    last = rd / "seed-0" / "last.pt"
    last.write_bytes(last.read_bytes()[:64])
    header = json.loads((rd / "config.json").read_text())
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\n")
    code, _, err = run_cli(["train", "--task", "synth-scene", "--model", TINY, "--config", str(cfg), "--run", str(rd),
                            "--data-dir", str(Path(header["data"]).parent), "--quiet"], capsys)
    assert f"{last}: not a checkpoint of this run" in _one_line(code, err)


@torch_cases
def test_a_resume_rewrites_the_epochs_of_its_checkpoint(tiny_run: Path, synth_small: Path, tmp_path: Path) -> None:
    """An interruption after an epoch's metrics row but before its checkpoint: the rerun repeats that
    epoch, and metrics.jsonl keeps one row per epoch."""
    import shutil

    from avbench.runs import run

    rd = tmp_path / "tiny"
    shutil.copytree(tiny_run, rd)
    sd = rd / "seed-0"
    rows = (sd / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 2
    (sd / "metrics.jsonl").write_text("\n".join(rows + [rows[-1].replace('"epoch": 1', '"epoch": 2')]) + "\n")
    (sd / "test.report.json").unlink()
    run("synth-scene", run_dir=rd, model=TINY, config={"epochs": 2, "batch_size": 8}, root=synth_small)
    assert [json.loads(r)["epoch"] for r in (sd / "metrics.jsonl").read_text().splitlines()] == [0, 1]
    assert not list(sd.glob("*.tmp"))


def test_list_baselines_names_every_task_a_shipped_config_trains(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["list", "baselines", "--json"], capsys)
    assert code == 0, err
    tasks = {b["name"]: b["tasks"].split(", ") for b in json.loads(out)["baselines"]}
    assert tasks["ave-avatt"] == ["synth-ave", "ave-supervised", "ave-weakly-supervised"]
    assert tasks["seld-accdoa"] == ["synth-seld", "starss23-seld"]


@torch_cases
@pytest.mark.parametrize(("line", "message"), [
    ("lr: fast", "lr must be a positive number, got 'fast'"),
    ("stride: [0, 2]", "stride must be two positive integers [frames, bins], got [0, 2]"),
    ("patience: -1", "patience must be a positive integer or null, got -1"),
    ("audio: mp3", "audio must be one of waveform, logmel, spectrogram, features or null, got 'mp3'"),
    ("val_split: test", "val_split 'test' is the split synth-scene is scored on"),
])
def test_config_values_of_the_wrong_kind(line: str, message: str, synth_small: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    assert message in _train_with(line, ["--model", TINY], synth_small, tmp_path, capsys)
    assert not (tmp_path / "r").exists()
