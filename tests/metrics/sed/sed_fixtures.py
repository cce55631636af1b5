"""Helpers for the SED conformance tests: frozen sed_eval 0.2.1 outputs and how to compare with them.

The fixtures come from ``benchmarks/peers/make_sed_eval_fixtures.py`` run in the sed_eval venv.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from avbench.model import Event

DATA = Path(__file__).parent / "data" / "sed_eval"
EPS = 2.220446049250313e-16  # sed_eval's numpy.spacing(1) denominator guard
_OVERALL = {
    "f_measure": {"f_measure": "f1", "precision": "precision", "recall": "recall"},
    "error_rate": {k: k for k in ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate")},
}


def load_cases() -> dict[str, dict]:
    return {c["name"]: c for c in json.loads((DATA / "cases.json").read_text())["cases"]}


def events(rows_by_clip: dict) -> dict[str, list[Event]]:
    return {clip: [Event(on, off, lab) for on, off, lab in rows] for clip, rows in rows_by_clip.items()}


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9


def compare(ours, theirs: dict, *, same_subs: bool = True) -> None:
    """Assert our result equals sed_eval's where the definitions coincide, and the documented relation elsewhere.

    - counts per class (tp, n_ref, n_sys) equal;
    - overall F/P/R equal to 1e-9 when sed_eval's is finite; NaN there means 0 here;
    - overall rates equal when ``same_subs`` (else our ER is not larger);
    - class-wise F/P/R equal where finite, 0 here where NaN there; class-wise ER equal where the
      class has references, else sed_eval's equals ours / 2.2e-16 (its epsilon denominator);
    - macro F here = (sum of sed_eval's finite class F) / (number of classes), since sed_eval drops
      NaN classes from its mean and avbench counts them as 0.
    """
    labels = list(theirs["class_wise"])
    for lab in labels:
        cc = theirs["class_counts"][lab]
        mine = ours.class_wise[lab]
        assert (mine["tp"], mine["n_ref"], mine["n_sys"]) == (cc["Ntp"], cc["Nref"], cc["Nsys"]), lab
        cw = theirs["class_wise"][lab]
        for key, name in (("f_measure", "f1"), ("precision", "precision"), ("recall", "recall")):
            v = cw["f_measure"][key]
            assert close(mine[name], 0.0 if v is None else v), (lab, name, mine[name], v)
        er = cw["error_rate"]["error_rate"]
        if cc["Nref"] > 0:
            assert close(mine["error_rate"], er), (lab, mine["error_rate"], er)
        else:
            assert math.isclose(mine["error_rate"], er * EPS, rel_tol=1e-9), (lab, mine["error_rate"], er)
    ov = theirs["overall"]
    for group, keys in _OVERALL.items():
        for key, name in keys.items():
            v = ov[group][key]
            if group == "f_measure":
                assert close(ours.overall[name], 0.0 if v is None else v), (name, ours.overall[name], v)
            elif same_subs:
                assert close(ours.overall[name], v), (name, ours.overall[name], v)
    if not same_subs:
        assert ours.overall["error_rate"] <= ov["error_rate"]["error_rate"] + 1e-12
    finite = [theirs["class_wise"][lab]["f_measure"]["f_measure"] for lab in labels]
    assert close(ours.overall["f1_macro"], sum(v for v in finite if v is not None) / len(labels))


def random_operating_points(seed, n_clips=6, n_ops=5):
    """Reference and nested operating points: each op keeps a random subset of a shared pool of
    disjoint detections per clip/class and adds a few of its own, so many detections repeat."""
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c"]
    ref, pool = {}, {}
    for i in range(n_clips):
        clip = f"c{i}"
        ref[clip] = []
        pool[clip] = []
        for lab in labels:
            t = 0.0
            while True:
                t += float(rng.choice([0.5, 1.0, 1.5]))
                n = float(rng.choice([0.5, 1.0, 2.0]))
                if t + n > 10:
                    break
                (ref[clip] if rng.random() < 0.5 else pool[clip]).append(Event(t, t + n, lab))
                t += n
        # detections: shifted copies of reference events and of the pool (disjoint per class)
        dets = [Event(e.onset + float(rng.choice([-0.25, 0.0, 0.25])) if e.onset >= 0.25 else e.onset,
                      e.offset, e.label) for e in ref[clip]]
        pool[clip] = dets + pool[clip]
    ops = {}
    for o in range(n_ops):
        ops[round(0.1 * (o + 1), 1)] = {c: [e for e in evs if rng.random() < 0.7] for c, evs in pool.items()}
    return ref, ops, labels


def score_tables(case: dict) -> dict:
    """``{clip: ScoreTable}`` from a frozen scores case (``timestamps``, ``values`` per clip)."""
    from avbench.metrics.sed._tables import ScoreTable

    return {c: ScoreTable(np.array(s["timestamps"]), np.array(s["values"]), tuple(case["labels"]))
            for c, s in case["scores"].items()}
