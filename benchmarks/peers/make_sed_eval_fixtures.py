"""Freeze sed_eval 0.2.1 outputs on seeded random and hand-made inputs for avbench's conformance tests.

Run in a venv with the peer (not avbench's): ``python3 -m venv /work/peers/sed_eval &&
/work/peers/sed_eval/bin/pip install "numpy<2" "pandas<2" "scipy<1.13" dcase_util==0.2.20 sed_eval==0.2.1``,
then from the repository root::

    /work/peers/sed_eval/bin/python benchmarks/peers/make_sed_eval_fixtures.py [--desed ../shared/reference/desed/...]

Writes ``tests/metrics/sed/data/sed_eval/cases.json`` (inputs + sed_eval counts and values for segment-based
1 s and event-based in three settings), ``tests/metrics/sed/data/sed_eval/hostile.json`` (the hostile cases:
zero-length events, no detections, no references, neither, events past the clip end, duplicated rows,
empty classes; hand-made ones and the seeded generator of ``benchmarks/peers/differential.py``; every
value sed_eval reports that avbench reports too, for ``event_f1``, ``event_f1_sed_eval``, ``event_f1_onset``
and ``segment_f1``, which the
``sed_eval`` profile must give to the bit) and, when the DESED reference files are there,
``tests/metrics/sed/data/sed_eval/desed_student.json`` (sed_eval counts and values only; the inputs stay in
../shared). Every case is evaluated file by file, as sed_eval requires, with an empty list for a
file that has no events on one side. NaN outputs are written as ``null``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import sed_eval  # the peer: only importable in its own venv

EVENT_SETTINGS = {
    "dcase": {"t_collar": 0.2, "percentage_of_length": 0.2, "evaluate_onset": True, "evaluate_offset": True},
    "sed_eval_default": {"t_collar": 0.2, "percentage_of_length": 0.5, "evaluate_onset": True, "evaluate_offset": True},
    "onset_only": {"t_collar": 0.2, "percentage_of_length": 0.5, "evaluate_onset": True, "evaluate_offset": False},
}
OUT = Path(__file__).resolve().parents[2] / "tests" / "metrics" / "sed" / "data" / "sed_eval"


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item"):
        return _clean(x.item())
    return x


def _records(clip, rows):
    return [{"filename": clip, "onset": on, "offset": off, "event_label": lab} for on, off, lab in rows]


def run_sed_eval(ref, est, labels, durations=None):
    """sed_eval outputs for ``{clip: [[on, off, label]]}`` inputs, evaluated clip by clip."""
    seg = sed_eval.sound_event.SegmentBasedMetrics(labels, time_resolution=1.0)
    evs = {k: sed_eval.sound_event.EventBasedMetrics(labels, **v) for k, v in EVENT_SETTINGS.items()}
    for clip in ref:
        r, e = _records(clip, ref[clip]), _records(clip, est.get(clip, []))
        if durations is not None:
            seg.evaluate(r, e, evaluated_length_seconds=durations[clip])
        else:
            seg.evaluate(r, e)
        for m in evs.values():
            m.evaluate(r, e)
    out = {"segment": _summary(seg)}
    out.update({f"event_{k}": _summary(m) for k, m in evs.items()})
    return _clean(out)


def _summary(m):
    res = m.results()
    return {"counts": dict(m.overall), "class_counts": {k: dict(v) for k, v in m.class_wise.items()},
            "overall": res["overall"], "class_wise": res["class_wise"], "class_wise_average": res["class_wise_average"]}


def random_case(seed, n_clips=25):
    rng = random.Random(seed)
    labels = ["a", "b", "c", "d"]  # 'd' never in the reference; 'c' never predicted in odd seeds
    ref, est = {}, {}
    for i in range(n_clips):
        clip = f"clip{i:02d}.wav"
        rows = []
        for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
            on = round(rng.uniform(0, 8.5), 3)
            rows.append([on, round(min(10.0, on + rng.uniform(0.1, 3.0)), 3), rng.choice(labels[:3])])
        det = []
        for on, off, lab in rows:
            if rng.random() < 0.75:
                jit = rng.choice([0.2, -0.2]) if rng.random() < 0.15 else rng.gauss(0, 0.15)
                lab2 = lab if rng.random() < 0.8 else rng.choice(labels)
                o2 = max(0.0, round(on + jit, 3))
                f2 = round(max(o2 + 0.05, off + rng.gauss(0, 0.3)), 3)
                det.append([o2, f2, lab2])
        for _ in range(rng.choice([0, 0, 1, 2])):
            on = round(rng.uniform(0, 9), 3)
            det.append([on, round(min(10.0, on + rng.uniform(0.1, 2.0)), 3), rng.choice(labels)])
        if seed % 2:
            det = [d for d in det if d[2] != "c"]
        ref[clip], est[clip] = rows, det
    return labels, ref, est


HAND = {
    # |1.2 - 1.0| = 0.19999999999999996 (a hit for sed_eval), |2.5 - 2.3| = 0.20000000000000018 and
    # |0.9 - 0.7| = 0.20000000000000007 (misses for sed_eval); all exactly at the 0.2 s collar.
    "float_boundary": (["x"], {"f.wav": [[1.0, 2.0, "x"], [2.3, 3.0, "x"], [0.7, 0.8, "x"]]},
                       {"f.wav": [[1.2, 2.0, "x"], [2.5, 3.0, "x"], [0.9, 0.8 + 0.2, "x"]]}),
    # Two same-class reference events that touch: sed_eval keeps two, avbench merges them by default.
    "touching_reference": (["x"], {"t.wav": [[1.0, 2.0, "x"], [2.0, 3.0, "x"]]}, {"t.wav": [[1.0, 3.0, "x"]]}),
    # Leftover substitutions: sed_eval pairs r1-e1 greedily (S=1); the best pairing is r1-e2, r2-e1 (S=2).
    "substitution_order": (["a", "b", "c"], {"s.wav": [[1.0, 2.0, "a"], [1.1, 2.1, "b"]]},
                           {"s.wav": [[1.05, 2.05, "c"], [0.85, 1.85, "c"]]}),
    # Class 'b' never predicted, class 'c' never in the reference, clip 'e.wav' without events.
    "empty_classes": (["a", "b", "c"], {"p.wav": [[0.5, 1.5, "a"], [3.0, 4.0, "b"]], "e.wav": []},
                      {"p.wav": [[0.5, 1.5, "a"], [6.0, 7.0, "c"]], "e.wav": []}),
    # Nothing predicted at all.
    "empty_system": (["a"], {"z.wav": [[0.5, 1.5, "a"]]}, {"z.wav": []}),
}


HOSTILE = {
    # Zero-length rows: [1, 1] on a segment boundary (no segment), [2.5, 2.5] inside segment 2; event-based
    # they match like any event (offset tolerance = the collar).
    "zero_length": (["x", "y"], {"z.wav": [[1.0, 1.0, "x"], [2.5, 2.5, "x"], [3.0, 4.0, "x"]]},
                    {"z.wav": [[1.0, 1.0, "x"], [2.6, 2.6, "x"], [3.05, 3.05, "y"], [5.5, 5.5, "y"]]}, None),
    # No detections at all: precision NaN everywhere.
    "no_detections": (["x", "y"], {"n.wav": [[0.5, 1.5, "x"], [2.0, 3.0, "y"]], "m.wav": [[1.0, 2.0, "x"]]},
                      {"n.wav": [], "m.wav": []}, None),
    # No reference events at all: recall NaN everywhere, error rates = errors / 2.2e-16.
    "no_references": (["x", "y"], {"n.wav": [], "m.wav": []},
                      {"n.wav": [[0.5, 1.5, "x"]], "m.wav": [[1.0, 2.0, "y"], [4.0, 4.0, "y"]]},
                      {"n.wav": 10.0, "m.wav": 10.0}),
    # Neither: every value undefined (F NaN, class-wise averages NaN, rates 0).
    "nothing": (["x"], {"e.wav": []}, {"e.wav": []}, {"e.wav": 10.0}),
    # Past the clip end (10.5 s): a detection starting at the end, one running past it, a reference past it.
    "past_end": (["x", "y"], {"p.wav": [[9.0, 11.0, "x"], [2.0, 3.0, "y"]]},
                 {"p.wav": [[10.5, 11.0, "x"], [9.9, 12.0, "y"], [9.1, 10.9, "x"], [2.0, 3.0, "y"]]}, {"p.wav": 10.5}),
    # Duplicated rows on both sides.
    "duplicates": (["x"], {"d.wav": [[1.0, 2.0, "x"], [1.0, 2.0, "x"], [5.0, 6.0, "x"]]},
                   {"d.wav": [[1.0, 2.0, "x"], [1.0, 2.0, "x"], [1.0, 2.0, "x"], [7.0, 8.0, "x"]]}, None),
    # Empty classes: 'b' never predicted, 'c' never in the reference, 'd' in neither.
    "empty_classes": (["a", "b", "c", "d"], {"q.wav": [[0.5, 1.5, "a"], [3.0, 4.0, "b"]]},
                      {"q.wav": [[0.5, 1.5, "a"], [6.0, 7.0, "c"]]}, None),
}


def hostile_cases() -> list:
    """The hand-made hostile cases, then 8 of the differential suite's seeded ones (4 variants x 2 seeds)."""
    import sys

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from differential import EVENT_SETTINGS as ids, _flat_sed_eval, hostile_case

    def run(labels, ref, est, durations):
        evs = {mid: sed_eval.sound_event.EventBasedMetrics(labels, **kw) for mid, kw in ids.items()}
        seg = sed_eval.sound_event.SegmentBasedMetrics(labels, time_resolution=1.0)
        for clip in ref:
            r, e = _records(clip, ref[clip]), _records(clip, est.get(clip, []))
            for ev in evs.values():
                ev.evaluate(r, e)  # no durations in sed_eval's event-based metrics
            seg.evaluate(r, e, **({"evaluated_length_seconds": durations[clip]} if durations else {}))
        return _clean({**{mid: _flat_sed_eval(ev, labels, segment=False) for mid, ev in evs.items()},
                       "segment_f1": _flat_sed_eval(seg, labels, segment=True)})

    inputs = [(name, *case) for name, case in HOSTILE.items()]
    for seed in range(2):
        for variant in range(4):
            c = hostile_case(np.random.default_rng(7100 + 4 * seed + variant), variant=variant)
            inputs.append((f"generated{seed}_{variant}", c["labels"], c["reference"], c["estimated"], c["durations"]))
    return [{"name": name, "labels": labels, "reference": ref, "estimated": est, "durations": durations,
             "sed_eval": run(labels, ref, est, durations)} for name, labels, ref, est, durations in inputs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--desed", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "reference" / "desed"
                    / "DCASE-REPO_DESED_task" / "PSDS_Eval" / "meta")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    for seed in range(6):
        labels, ref, est = random_case(seed)
        durations = {c: 10.0 for c in ref} if seed % 3 == 0 else None
        cases.append({"name": f"random{seed}", "labels": labels, "reference": ref, "estimated": est,
                      "durations": durations, "sed_eval": run_sed_eval(ref, est, labels, durations)})
    for name, (labels, ref, est) in HAND.items():
        cases.append({"name": name, "labels": labels, "reference": ref, "estimated": est, "durations": None,
                      "sed_eval": run_sed_eval(ref, est, labels)})
    meta = {"peer": "sed_eval 0.2.1", "generator": "benchmarks/peers/make_sed_eval_fixtures.py",
            "event_settings": EVENT_SETTINGS, "segment_time_resolution": 1.0}
    (OUT / "cases.json").write_text(json.dumps({"meta": meta, "cases": cases}, allow_nan=False) + "\n")
    hostile_meta = {"peer": "sed_eval 0.2.1 (dcase_util 0.2.20)", "generator": "benchmarks/peers/make_sed_eval_fixtures.py",
                    "event_settings": "differential.EVENT_SETTINGS", "segment_f1": {"time_resolution": 1.0},
                    "null": "sed_eval's NaN"}
    (OUT / "hostile.json").write_text(json.dumps({"meta": hostile_meta, "cases": hostile_cases()}, allow_nan=False)
                                      + "\n")
    if args.desed.is_dir():
        import pandas as pd

        gt = pd.read_csv(args.desed / "validation.tsv", sep="\t")
        pr = pd.read_csv(args.desed / "metrics_test" / "student" / "predictions0.5.csv", index_col=0)
        labels = sorted(gt.event_label.dropna().unique())
        ref = {f: [[r.onset, r.offset, r.event_label] for r in g.dropna().itertuples()] for f, g in gt.groupby("filename", sort=False)}
        est = {f: [[r.onset, r.offset, r.event_label] for r in g.itertuples()] for f, g in pr.groupby("filename", sort=False)}
        out = run_sed_eval(ref, est, labels)
        keep = {"segment": out["segment"], "event_dcase": out["event_dcase"]}
        (OUT / "desed_student.json").write_text(json.dumps({"meta": meta, "labels": labels, "sed_eval": keep},
                                                           indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
