"""``avbench train`` / ``avbench predict`` with a user's own torch model and with a HEAR module.

The user model is the ten-line :class:`TinyScene` below, named to ``avbench train --model
tests/test_training.py:TinyScene`` (a file path works as well as a dotted module path).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _cli import run_cli as _cli

torch = pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
pytestmark = pytest.mark.torch
HERE = Path(__file__).resolve()


class TinyScene(torch.nn.Module):
    """A user's model: per-band mean and std of the log-mel -> linear scene logits."""

    def __init__(self, spec, hidden: int = 32):  # noqa: ANN001
        super().__init__()
        d = 2 * spec.audio_shape[-1]
        self.net = torch.nn.Sequential(torch.nn.LayerNorm(d), torch.nn.Linear(d, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, spec.n_classes))

    def forward(self, batch):  # noqa: ANN001
        x = batch["audio"].mean(dim=1)  # [B, F, 40]
        return self.net(torch.cat([x.mean(dim=1), x.std(dim=1)], dim=-1))


class TinyHear:
    """A HEAR model object: 16 kHz, framed-energy embeddings of size 40."""

    sample_rate = 16000
    scene_embedding_size = 40
    timestamp_embedding_size = 40


def load_model(model_file_path: str = "") -> TinyHear:
    return TinyHear()


def get_timestamp_embeddings(audio, model):  # noqa: ANN001
    from avbench.audio import logmel

    emb = torch.stack([torch.from_numpy(logmel(a.numpy(), fs=16000, hop=0.1).astype(np.float32)) for a in audio])
    ts = torch.arange(emb.shape[1], dtype=torch.float32)[None].expand(len(audio), -1) * 100.0 + 50.0
    return emb, ts


def get_scene_embeddings(audio, model):  # noqa: ANN001
    emb, _ = get_timestamp_embeddings(audio, model)
    return torch.cat([emb.mean(dim=1)[:, :20], emb.std(dim=1)[:, :20]], dim=-1)


def test_user_model_trains_predicts_and_scores(synth_small: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("epochs: 12\nbatch_size: 8\nlr: 0.01\nmodel: {hidden: 16}\n")
    run = tmp_path / "run"
    code, out, err = _cli(["train", "--task", "synth-scene", "--model", f"{HERE}:TinyScene", "--config", str(cfg),
                           "--seeds", "2", "--run", str(run), "--data-dir", str(synth_small.parent), "--quiet"],
                          capsys)
    assert code == 0, err
    summary = json.loads((run / "summary.json").read_text())
    acc = summary["test"]["accuracy.accuracy"]
    assert acc["n"] == 2 and acc["mean"] > 0.6, acc  # 3 scenes: chance is about 0.33
    for seed in (0, 1):
        rows = [json.loads(line) for line in (run / f"seed-{seed}" / "metrics.jsonl").read_text().splitlines()]
        assert [r["epoch"] for r in rows] == list(range(12))
        assert (run / f"seed-{seed}" / "best.pt").is_file() and (run / f"seed-{seed}" / "test.preds.json").is_file()
    assert "accuracy.accuracy" in out
    preds = tmp_path / "val.json"
    code, out, err = _cli(["predict", "--run", str(run), "--split", "val", "--out", str(preds)], capsys)
    assert code == 0, err
    code, out, err = _cli(["evaluate", "--predictions", str(preds), "--data-dir", str(synth_small.parent)], capsys)
    assert code == 0, err
    assert json.loads(preds.read_text())["split"] == "val"


def test_a_run_resumes_after_an_interruption(synth_small: Path, tmp_path: Path) -> None:
    from avbench import registry
    from avbench.runs import run

    stop_after = 2

    def interrupt(stage: str, done: int, total: int) -> None:
        if done == stop_after:
            raise KeyboardInterrupt

    kw = dict(model=f"{HERE}:TinyScene", config={"epochs": 5, "batch_size": 8}, root=synth_small)
    with pytest.raises(KeyboardInterrupt):
        run("synth-scene", run_dir=tmp_path / "r", progress=interrupt, **kw)
    assert not (tmp_path / "r" / "seed-0" / "test.preds.json").exists()  # the test split is not touched early
    summary = run("synth-scene", run_dir=tmp_path / "r", **kw)
    rows = [json.loads(line) for line in (tmp_path / "r" / "seed-0" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3, 4]
    assert summary["seeds"]["0"]["best_epoch"] in range(5)
    assert registry.task("synth-scene")
    with pytest.raises(Exception, match="holds another run"):
        run("synth-scene", run_dir=tmp_path / "r", model=f"{HERE}:TinyScene", config={"epochs": 6}, root=synth_small)


@pytest.mark.parametrize("task_id", ["synth-scene", "synth-sed"])
def test_a_hear_module_plugs_in_unchanged(task_id: str, synth_small: Path, tmp_path: Path) -> None:
    from avbench.runs import run

    summary = run(task_id, run_dir=tmp_path / "hear", model=str(HERE), root=synth_small,
                  config={"epochs": 10, "batch_size": 8, "lr": 0.003, "postprocess": {"median": 1}})
    values = summary["test"]
    if task_id == "synth-scene":
        assert values["accuracy.accuracy"]["mean"] > 0.5
    else:
        assert values["segment_f1.f1"]["mean"] > 0.4


def test_user_errors_are_one_line(synth_small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["train", "--task", "synth-scene", "--data-dir", str(synth_small.parent), "--run", str(tmp_path / "x")]
    code, _, err = _cli([*base, "--model", "no_such_pkg_xyz:f"], capsys)
    assert code == 2 and "cannot import module 'no_such_pkg_xyz'" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli([*base, "--model", f"{HERE}:Nope"], capsys)
    assert code == 2 and "has no 'Nope'" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: 2\nlearning_rate: 0.1\n")
    code, _, err = _cli([*base, "--model", f"{HERE}:TinyScene", "--config", str(bad)], capsys)
    assert code == 2 and "unknown key(s) learning_rate" in err
    code, _, err = _cli([*base, "--model", f"{HERE}:TinyScene", "--baseline", "ave-avatt"], capsys)
    assert code == 2 and "exactly one of" in err
    code, _, err = _cli([*base, "--baseline", "ave-avatt"], capsys)
    assert code == 2 and "no configuration for task 'synth-scene'" in err
    code, _, err = _cli(["predict", "--run", str(tmp_path), "--split", "test", "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2 and "not an avbench run directory" in err
    code, _, err = _cli([*base, "--model", f"{HERE}:TinyScene", "--seeds", "0,0"], capsys)
    assert code == 2 and "--seeds" in err


def test_weak_supervision_sees_only_the_clip_classes(synth_small: Path) -> None:
    from dataclasses import replace

    from avbench import registry
    from avbench.recipes.synth import RECIPE
    from avbench.training import TrainConfig, _loss

    task = registry.task("synth-ave")
    clips = list(RECIPE.load(synth_small, split="train").values())[:4]
    shuffled = [replace(c, segment_labels=tuple(reversed(c.segment_labels))) for c in clips]
    out = torch.randn(4, 10, len(task.labels) + 1)
    weak = TrainConfig.from_dict({"supervision": "weak"})
    strong = TrainConfig.from_dict({})
    assert torch.equal(_loss(torch, task, weak, out, clips), _loss(torch, task, weak, out, shuffled))
    assert not torch.equal(_loss(torch, task, strong, out, clips), _loss(torch, task, strong, out, shuffled))


def test_a_baseline_trains_through_the_cli_with_its_shipped_config(synth_small: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "short.yaml"
    cfg.write_text("epochs: 3\n")  # overrides one key of configs/scene-avmlp.yaml, keeps the others
    run = tmp_path / "b"
    code, out, err = _cli(["train", "--task", "synth-scene", "--baseline", "scene-avmlp", "--config", str(cfg),
                           "--run", str(run), "--data-dir", str(synth_small.parent), "--quiet",
                           "--json", str(tmp_path / "s.json")], capsys)
    assert code == 0, err
    header = json.loads((run / "config.json").read_text())
    assert header["baseline"] == "scene-avmlp" and header["config"]["epochs"] == 3
    assert header["config"]["video"] == "frames" and header["config"]["lr"] == 0.003  # from the shipped config
    assert json.loads((tmp_path / "s.json").read_text())["test"]["accuracy.accuracy"]["n"] == 1
    code, _, err = _cli(["predict", "--run", str(run), "--split", "nope", "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2 and "has no such split" in err and not (tmp_path / "p.json").exists()
