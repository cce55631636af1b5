"""``avbench evaluate`` on SED files: JSON keys, plots, coverage, one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from avbench.cli import main

GT = "filename\tonset\toffset\tevent_label\na.wav\t1.0\t2.0\tdog\na.wav\t3.0\t5.0\tcat\nb.wav\t\t\t\n"
DET = "filename\tonset\toffset\tevent_label\na.wav\t1.1\t2.0\tdog\na.wav\t3.0\t4.0\tdog\nb.wav\t0.5\t1.0\tcat\n"
DUR = "filename\tduration\na.wav\t10.0\nb.wav\t10.0\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in (("gt.tsv", GT), ("det.tsv", DET), ("dur.tsv", DUR)):
        (tmp_path / name).write_text(text)
    return tmp_path


def _run(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


def test_evaluate_writes_json_and_plots(files: Path, capsys) -> None:
    pytest.importorskip("matplotlib")
    out = files / "out.json"
    code, _ = _run(["evaluate", "--reference", str(files / "gt.tsv"), "--predictions", str(files / "det.tsv"),
                    "--durations", str(files / "dur.tsv"), "--metrics", "event_f1,segment_f1",
                    "--json", str(out), "--plots", str(files / "plots")], capsys)
    assert code == 0
    rep = json.loads(out.read_text())
    for mid in ("event_f1", "segment_f1"):
        m = rep["metrics"][mid]
        assert {"version", "params", "overall", "class_wise"} <= set(m)
        assert {"f1", "precision", "recall", "error_rate", "substitution_rate", "deletion_rate",
                "insertion_rate", "f1_macro"} <= set(m["overall"])
        assert set(m["class_wise"]) == {"cat", "dog"}
    ev = rep["metrics"]["event_f1"]
    # dog TP (a.wav 1.1-2.0), cat ref 3-5 vs dog 3-4: offset 1.0 > max(0.2, 0.4) -> not even a substitution
    assert ev["overall"]["precision"] == pytest.approx(1 / 3) and ev["overall"]["recall"] == pytest.approx(1 / 2)
    assert ev["params"]["percentage_of_length"] == 0.2
    assert rep["coverage"]["clips_missing"] == 0
    assert sorted(Path(p).name for p in rep["plots"]) == ["event_f1_class_f1.png", "segment_f1_class_f1.png"]
    assert all(Path(p).stat().st_size > 1000 for p in rep["plots"])


def test_score_directory_and_options(files: Path, capsys) -> None:
    d = files / "scores"
    d.mkdir()
    ts = np.arange(0, 10.5, 0.5)
    for clip, on in (("a", 1.0), ("b", None)):
        dog = ((ts[:-1] >= 1.0) & (ts[:-1] < 2.0)).astype(float) if on else np.zeros(ts.size - 1)
        rows = ["onset\toffset\tcat\tdog"] + [f"{a}\t{b}\t0.1\t{s}" for a, b, s in zip(ts[:-1], ts[1:], dog)]
        (d / f"{clip}.tsv").write_text("\n".join(rows) + "\n")
    out = files / "s.json"
    code, err = _run(["evaluate", "-r", str(files / "gt.tsv"), "-p", str(d), "--durations", str(files / "dur.tsv"),
                      "-m", "event_f1", "-o", "threshold=0.5", "-o", "time_decimals=none", "--json", str(out), "-q"],
                     capsys)
    assert code == 0, err
    m = json.loads(out.read_text())["metrics"]["event_f1"]
    assert m["params"]["threshold"] == 0.5 and m["params"]["time_decimals"] is None
    assert m["class_wise"]["dog"]["f1"] == 1.0 and m["class_wise"]["cat"]["f1"] == 0.0


@pytest.mark.parametrize(
    ("det", "extra", "match"),
    [
        ("filename\tonset\toffset\tevent_label\na.wav\tx\t2.0\tdog\n", [], "det.tsv, line 2: onset must be a number"),
        ("filename\tonset\toffset\tevent_label\na.wav\t1\t2.0\tcow\n", [], "line 2: unknown event label 'cow'"),
        ("filename\tonset\toffset\tevent_label\nzz.wav\t1\t2.0\tdog\n", [], "clip 'zz.wav', which is not in the reference"),
        (DET, ["-o", "colar=0.3"], "option 'colar': none of the metrics event_f1 has such a parameter"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(files: Path, capsys, det: str, extra: list[str], match: str) -> None:
    (files / "det.tsv").write_text(det)
    code, err = _run(["evaluate", "-r", str(files / "gt.tsv"), "-p", str(files / "det.tsv"), "-m", "event_f1",
                      *extra], capsys)
    assert code == 2
    assert err.startswith("avbench: error: ") and err.count("\n") == 1 and match in err


def test_allow_missing_reports_coverage(files: Path, capsys) -> None:
    (files / "det.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t1\t2.0\tdog\n")
    out = files / "m.json"
    code, _ = _run(["evaluate", "-r", str(files / "gt.tsv"), "-p", str(files / "det.tsv"), "-m", "segment_f1",
                    "--allow-missing", "--json", str(out), "-q"], capsys)
    assert code == 0
    cov = json.loads(out.read_text())["coverage"]
    assert (cov["clips_missing"], cov["missing"]) == (1, ["b.wav"])


def test_subprocess_entry_point(files: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "avbench", "evaluate", "-r", str(files / "gt.tsv"), "-p",
                           str(files / "det.tsv"), "-m", "segment_f1,event_f1_onset"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "segment_f1" in proc.stdout and "event_f1_onset" in proc.stdout


def test_json_adapter_events_and_frame_scores() -> None:
    """from_json: events -> one operating point, frame_scores -> score tables (hop 0.5 s), missing clip -> empty."""
    from avbench.metrics.sed.files import from_json
    from avbench.model import Clip, Event, Task
    from avbench.registry import metric

    task = Task("t", "d", "event-detection", ("cat", "dog"), ("event_f1",))
    clips = {"a": Clip("a", 4.0, events=(Event(1.0, 2.0, "dog"),)), "b": Clip("b", 4.0)}
    pred = {"a": {"events": [{"onset": 1.0, "offset": 2.0, "label": "dog"}],
                  "frame_scores": {"hop": 0.5, "values": [[0, 0], [0, 0], [0, 0.9], [0, 0.9]] + [[0, 0]] * 4}},
            "b": {"events": []}}
    (ref, preds), kw = from_json(task, clips, pred)
    assert kw == {"durations": {"a": 4.0, "b": 4.0}, "labels": ("cat", "dog")}
    assert preds.kind == "events" and preds.scores["a"].timestamps[-1] == 4.0
    assert preds.scores["b"].values.shape == (1, 2)
    assert metric("event_f1")(ref, preds, **kw).overall["f1"] == 1.0
    scores_only = {"a": {"frame_scores": pred["a"]["frame_scores"]}, "b": {"events": []}}
    (ref, preds), kw = from_json(task, clips, scores_only)
    assert preds.kind == "scores"
    assert metric("segment_f1")(ref, preds, **kw).overall["f1"] == 1.0


def test_psd_roc_plot_from_psds_extra(tmp_path: Path) -> None:
    """The PSD-ROC plot reads the layout metrics/sed/psd.py writes: extra psd_roc {efpr, tpr} + class_rocs."""
    pytest.importorskip("matplotlib")
    from avbench.metrics.sed.plots import write_plots
    from avbench.results import MetricResult

    roc = {"efpr": [0.0, 10.0, 80.0], "tpr": [0.2, 0.5, 0.7]}
    r = MetricResult("psds1", "1.0", {"max_efpr": 100.0}, {"psds": 0.4}, {"x": {"psds": 0.4}},
                     extra={"psd_roc": roc, "class_rocs": {"x": roc}})
    paths = write_plots([r], tmp_path / "p")
    assert [Path(p).name for p in paths] == ["psds1_psd_roc.png"] and Path(paths[0]).stat().st_size > 1000


def test_unscoped_option_reaches_only_metrics_that_have_it(files: Path, capsys) -> None:
    out = files / "out.json"
    base = ["evaluate", "-r", str(files / "gt.tsv"), "-p", str(files / "det.tsv"), "--durations",
            str(files / "dur.tsv"), "-q"]
    code, _ = _run(base + ["-m", "event_f1,psds1", "-o", "time_decimals=3", "--json", str(out)], capsys)
    assert code == 0
    rep = json.loads(out.read_text())["metrics"]
    assert rep["event_f1"]["params"]["time_decimals"] == 3
    code, err = _run(base + ["-m", "psds1", "-o", "colour=1"], capsys)
    assert code == 2 and "none of the metrics psds1 has such a parameter" in err
