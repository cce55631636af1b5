"""Bootstrap intervals of SED metrics: per-clip statistics equal recomputation, determinism, CLI options."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from sed_fixtures import random_operating_points

from avbench import registry
from avbench.errors import InputError
from avbench.metrics.sed.bootstrap import confidence_intervals
from avbench.metrics.sed.io import SedPredictions
from avbench.metrics.sed.files import evaluate_files

IDS = ["intersection_f1", "psds1", "psds2", "segment_f1", "event_f1"]


def _case(n_clips=30, seed=3):
    """Clips of an hour (events in the first 10 s), so that eFPR stays in the PSD-ROC's range."""
    ref, ops, labels = random_operating_points(seed, n_clips=n_clips, n_ops=6)
    return ref, ops, labels, dict.fromkeys(ref, 3600.0)


@pytest.mark.parametrize("metric_id", IDS)
@pytest.mark.parametrize("form", ["operating_points", "events"])
def test_per_clip_statistics_equal_recomputing_every_replicate(metric_id, form):
    ref, ops, labels, dur = _case(n_clips=12)
    pred = SedPredictions(operating_points=ops) if form == "operating_points" else SedPredictions(events=ops[0.3])
    params = {"threshold": 0.3} if metric_id in ("intersection_f1", "segment_f1", "event_f1") and form != "events" else {}
    if metric_id.startswith("psds"):
        params = {"max_efpr": 1e4}  # the case's cross-trigger rates are high: keep PSDS2 away from 0
    cfg = registry.metric(metric_id)
    kw = dict(durations=dur, labels=labels, params=params, n_bootstrap=12, seed=5)
    fast = confidence_intervals(cfg, ref, pred, **kw)
    slow = confidence_intervals(cfg, ref, pred, recompute=True, **kw)
    assert fast and set(fast) == set(slow)
    assert len({fast[k]["low"] for k in fast} | {fast[k]["high"] for k in fast}) > 1  # not all zero
    for key in fast:
        assert fast[key]["method"].endswith("per-clip statistics") and slow[key]["method"].endswith("recomputed")
        for bound in ("low", "high", "std_err"):
            assert fast[key][bound] == pytest.approx(slow[key][bound], abs=1e-12), (key, bound)


def test_deterministic_for_a_seed_and_contains_the_point_estimate():
    ref, ops, labels, dur = _case()
    pred = SedPredictions(operating_points=ops)
    for metric_id in ("psds1", "intersection_f1"):
        cfg = registry.metric(metric_id)
        params = {"threshold": 0.3} if metric_id == "intersection_f1" else {}
        point = cfg(ref, pred, durations=dur, labels=labels, **params).overall[cfg.primary]
        kw = dict(durations=dur, labels=labels, params=params, n_bootstrap=100)
        a = confidence_intervals(cfg, ref, pred, seed=1, **kw)[cfg.primary]
        assert a == confidence_intervals(cfg, ref, pred, seed=1, **kw)[cfg.primary]
        assert a != confidence_intervals(cfg, ref, pred, seed=2, **kw)[cfg.primary]
        assert a["low"] < point < a["high"] and a["std_err"] > 0  # non-degenerate: a real spread
        assert (a["confidence"], a["n_bootstrap"], a["seed"]) == (0.95, 100, 1)


def test_score_table_metrics_are_recomputed():
    case = json.loads((Path(__file__).parent / "data" / "psds" / "scores_cases.json").read_text())[0]
    from sed_fixtures import events as _ev, score_tables as _tables

    ci = confidence_intervals(registry.metric("segment_f1_best"), _ev(case["reference"]),
                              SedPredictions(scores=_tables(case)), durations=case["durations"], labels=case["labels"],
                              params={}, n_bootstrap=5, seed=0)
    assert ci["f1_macro"]["method"].endswith("recomputed") and 0 <= ci["f1_macro"]["low"] <= ci["f1_macro"]["high"] <= 1


def test_bad_settings_are_refused():
    ref, ops, labels, dur = _case(n_clips=3)
    cfg, pred = registry.metric("psds1"), SedPredictions(operating_points=ops)
    for bad in ({"n_bootstrap": 1}, {"n_bootstrap": 10, "confidence": 1.5}, {"n_bootstrap": 10, "seed": -1}):
        with pytest.raises(InputError, match="bootstrap"):
            confidence_intervals(cfg, ref, pred, durations=dur, labels=labels, params={}, **bad)


def _files(tmp_path: Path, ref, ops, dur) -> tuple[Path, Path, Path]:
    gt = tmp_path / "gt.tsv"
    gt.write_text("filename\tonset\toffset\tevent_label\n" + "".join(
        f"{c}\t{e.onset}\t{e.offset}\t{e.label}\n" for c, evs in ref.items() for e in evs))
    (tmp_path / "ops").mkdir()
    for th, op in ops.items():
        (tmp_path / "ops" / f"det_{th:.1f}.tsv").write_text("filename\tonset\toffset\tevent_label\n" + "".join(
            f"{c}\t{e.onset}\t{e.offset}\t{e.label}\n" if evs else "" for c, evs in op.items() for e in evs))
    du = tmp_path / "dur.tsv"
    du.write_text("filename\tduration\n" + "".join(f"{c}\t{d}\n" for c, d in dur.items()))
    return gt, tmp_path / "ops", du


def test_cli_options_write_intervals_and_leave_values_unchanged(tmp_path):
    ref, ops, labels, dur = _case()
    gt, op_dir, du = _files(tmp_path, ref, ops, dur)
    kw = dict(reference=gt, predictions=op_dir, durations=du, allow_missing=False, plots_dir=None)
    base = {"intersection_f1.threshold": "0.3"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = evaluate_files(["psds1", "intersection_f1"], options=base, **kw)
        boot = evaluate_files(["psds1", "intersection_f1"], options={**base, "bootstrap": "40", "bootstrap_seed": "3",
                                                                      "bootstrap_confidence": "0.9",
                                                                      "intersection_f1.bootstrap": "0"}, **kw)
    for a, b in zip(plain.results, boot.results):
        assert a.overall == b.overall and a.class_wise == b.class_wise  # intervals never move the values
    ci = boot.results[0].to_dict()["extra"]["confidence_intervals"]["psds"]
    assert {k: ci[k] for k in ("confidence", "n_bootstrap", "seed")} == {"confidence": 0.9, "n_bootstrap": 40, "seed": 3}
    assert ci["low"] <= boot.results[0].overall["psds"] <= ci["high"]
    assert "confidence_intervals" not in boot.results[1].extra  # switched off for this metric
    with pytest.raises(InputError, match="bootstrap"):
        evaluate_files(["psds1"], options={"bootstrap": "1"}, **kw)
