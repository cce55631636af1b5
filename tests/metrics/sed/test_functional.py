"""Functional SED metrics on a sed_scores_eval user's data, and their accumulating versions.

The data is what a sed_scores_eval user holds: ``{audio_id: DataFrame(onset, offset, <classes>)}``
score tables, a ground-truth DataFrame (``filename onset offset event_label``) and durations. The
same data written as DCASE files and scored by ``avbench evaluate`` must give the same numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avbench.cli import main
from avbench.errors import InputError
from avbench.metrics import sed
from avbench.metrics.accumulate import Accumulator
from avbench.metrics.sed.accumulate import PSDS, EventF1, IntersectionF1, SegmentF1

pd = pytest.importorskip("pandas")

LABELS = ["Cat", "Dog", "Speech"]


def _case(seed: int, n_clips: int = 12):
    """Ground truth, score DataFrames and durations with events the scores partly find."""
    rng = np.random.default_rng(seed)
    gt_rows, scores, durations = [], {}, {}
    for i in range(n_clips):
        clip = f"Y{i:03d}_{seed}"
        dur = float(rng.choice([8.0, 10.0]))
        durations[f"{clip}.wav"] = dur
        hop = 0.128
        n = int(dur / hop)
        onset = np.arange(n) * hop
        values = rng.random((n, len(LABELS))) * 0.5
        events = 0
        for k, lab in enumerate(LABELS):
            if rng.random() < 0.6:
                on = float(np.round(rng.uniform(0, dur - 2), 3))
                off = float(np.round(on + rng.uniform(0.5, 2.0), 3))
                gt_rows.append((f"{clip}.wav", on, off, lab))
                events += 1
                a, b = int(on / hop), int(np.ceil(off / hop))
                values[a + int(rng.integers(0, 2)):b, k] += rng.uniform(0.2, 0.6)
        if events == 0:
            gt_rows.append((f"{clip}.wav", np.nan, np.nan, np.nan))  # a clip without events
        frame = pd.DataFrame({"onset": onset, "offset": onset + hop, **{lab: values[:, k] for k, lab in enumerate(LABELS)}})
        scores[clip] = frame  # sed_scores_eval keys score tables by audio id (no suffix)
    gt = pd.DataFrame(gt_rows, columns=["filename", "onset", "offset", "event_label"])
    return gt, scores, durations


def _files(tmp_path: Path, gt, scores, durations) -> dict[str, Path]:
    d = tmp_path / "scores"
    d.mkdir()
    for clip, frame in scores.items():
        frame.to_csv(d / f"{clip}.tsv", sep="\t", index=False, float_format="%.17g")
    gt_file = tmp_path / "gt.tsv"
    gt.assign(event_label=gt["event_label"].fillna("")).to_csv(gt_file, sep="\t", index=False, float_format="%.17g",
                                                              na_rep="")
    dur = tmp_path / "durations.tsv"
    pd.DataFrame({"filename": list(durations), "duration": list(durations.values())}).to_csv(dur, sep="\t", index=False)
    return {"scores": d, "gt": gt_file, "durations": dur}


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code in (0, None), err
    return json.loads(Path(argv[argv.index("--json") + 1]).read_text())


@pytest.mark.parametrize("seed", [0, 1])
def test_psds_from_a_dict_of_dataframes_equals_avbench_evaluate(seed: int, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    gt, scores, durations = _case(seed)
    f = _files(tmp_path, gt, scores, durations)
    out = tmp_path / "report.json"
    rep = _cli(["evaluate", "--reference", str(f["gt"]), "--predictions", str(f["scores"]), "--durations",
                str(f["durations"]), "--metrics", "psds1,psds2", "--json", str(out)], capsys)
    one = sed.psds(scores, gt, durations)
    two = sed.psds2(scores, gt, durations)
    assert one.id == "psds1"
    assert one.overall["psds"] == rep["metrics"]["psds1"]["overall"]["psds"]
    assert two.overall["psds"] == rep["metrics"]["psds2"]["overall"]["psds"]
    assert 0.0 < one.overall["psds"] < 1.0  # a case where the value says something
    # psds with scenario-2 parameters is psds2
    assert sed.psds(scores, gt, durations, dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5).overall == two.overall


def test_f1_metrics_from_dataframes_equal_avbench_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, scores, durations = _case(3)
    det = gt.dropna().copy()
    det["onset"] = det["onset"] + 0.1
    det = det.drop(det.index[::4])  # some misses
    det_file = tmp_path / "det.tsv"
    det.to_csv(det_file, sep="\t", index=False, float_format="%.17g")
    f = _files(tmp_path, gt, scores, durations)
    out = tmp_path / "r.json"
    ids = ["event_f1", "segment_f1", "intersection_f1"]
    rep = _cli(["evaluate", "--reference", str(f["gt"]), "--predictions", str(det_file), "--durations",
                str(f["durations"]), "--metrics", ",".join(ids), "--allow-missing", "--json", str(out)], capsys)
    for mid in ids:
        got = getattr(sed, mid)(det, gt, durations, allow_missing=True)
        assert got.overall == pytest.approx(rep["metrics"][mid]["overall"], abs=0, rel=0), mid


def test_functional_defaults_are_the_registered_parameters() -> None:
    import inspect

    from avbench import registry

    for name, mid in (("psds", "psds1"), ("psds2", "psds2"), ("event_f1", "event_f1"), ("segment_f1", "segment_f1"),
                      ("intersection_f1", "intersection_f1")):
        sig = inspect.signature(getattr(sed, name))
        for key, value in registry.metric(mid).params.items():
            assert sig.parameters[key].default == value, (name, key)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        sed.event_f1({}, {}, colar=0.2)


def test_input_errors_name_what_to_fix() -> None:
    with pytest.raises(InputError, match="lacks column"):
        sed.event_f1({"a": []}, pd.DataFrame({"filename": ["a"], "onset": [0.0]}))
    with pytest.raises(InputError, match="need labels"):
        sed.psds({"a": (np.arange(3.0), np.zeros((2, 1)))}, {"a": [(0.0, 1.0, "dog")]}, {"a": 2.0})
    with pytest.raises(InputError, match=r"\(onset, offset, label\) triples"):
        sed.event_f1({"a": []}, {"a": [(0.0, 1.0)]})


# -- accumulating versions ---------------------------------------------------------------------------

def _batches(mapping: dict, sizes: list[int]) -> list[dict]:
    keys = list(mapping)
    out, i = [], 0
    for s in sizes:
        out.append({k: mapping[k] for k in keys[i:i + s]})
        i += s
    return out


@pytest.mark.parametrize("acc_cls,fn", [(EventF1, sed.event_f1), (SegmentF1, sed.segment_f1),
                                        (IntersectionF1, sed.intersection_f1)])
def test_accumulated_f1_equals_the_one_shot_call(acc_cls, fn) -> None:  # noqa: ANN001
    gt, _, durations = _case(5, n_clips=10)
    gt_d = {c: [(on, off, lab) for _, on, off, lab in g.itertuples(index=False) if isinstance(lab, str)]
            for c, g in gt.groupby("filename")}
    det = {c: [(on + 0.05, off, lab) for on, off, lab in evs[::2]] for c, evs in gt_d.items()}
    whole = fn(det, gt_d, durations, labels=LABELS)
    for sizes in ([10], [3, 3, 4], [1] * 10):
        acc = acc_cls(labels=LABELS)
        for g, d in zip(_batches(gt_d, sizes), _batches(det, sizes)):
            acc.update(d, g, {c: durations[c] for c in g})
        assert acc.compute().to_dict() == whole.to_dict()
    with pytest.raises(InputError, match="already fed"):
        acc.update(det, gt_d)


def test_accumulated_psds_from_score_batches_equals_the_one_shot_call() -> None:
    gt, scores, durations = _case(6, n_clips=8)
    whole = sed.psds(scores, gt, durations)
    acc = PSDS()
    clips = list(scores)
    for part in (clips[:3], clips[3:]):
        acc.update({c: scores[c] for c in part}, gt[gt["filename"].isin([f"{c}.wav" for c in part])],
                   {f"{c}.wav": durations[f"{c}.wav"] for c in part})
    assert acc.compute().overall == whole.overall


def test_classification_accumulator_equals_the_one_shot_call() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 50)
    s = rng.random((50, 4))
    for mid in ("accuracy", "f1_macro", "log_loss", "balanced_accuracy"):
        acc = Accumulator(mid, labels=list("abcd"))
        for a in range(0, 50, 7):
            acc.update(y[a:a + 7], s[a:a + 7])
        assert acc.compute().to_dict() == Accumulator.once(mid, y, s, labels=list("abcd")).to_dict()
    with pytest.raises(InputError, match="takes 'sed' inputs"):
        Accumulator("event_f1", labels=["a"])
