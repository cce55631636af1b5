"""Differential suite: avbench's reference profiles against the real peer tools, on generated hostile cases.

    python benchmarks/peers/differential.py --build /tmp/peers/venv     # build the pinned peer venv once
    python benchmarks/peers/differential.py --peer-python /tmp/peers/venv/bin/python [--seeds 20]

``--build`` makes a virtual environment outside the repository with the versions the peers need
(:data:`PINS`: sed_eval 0.2.1 + dcase_util 0.2.20, psds_eval 0.5.3, sed_scores_eval 0.0.4 on numpy
1.26.4 / pandas 1.5.3; psds_eval 0.5.3 fails under numpy >= 2.4). The suite then generates seeded
cases of every hostile kind below, runs the peers in that venv (this same file, ``--peer`` mode,
JSON on stdin/stdout) and avbench here, and asserts equality per profile:

- ``sed_eval`` profile (event_f1, event_f1_sed_eval, event_f1_onset, segment_f1): onsets exactly at the collar in floats (``1.2 - 1.0``
  a hit, ``2.5 - 2.3`` a miss), touching and overlapping reference events, zero system output for a
  class, classes without reference, crowded clips where a leftover event has several cross-class
  partners and several maximum matchings exist (events given in shuffled order: sed_eval's substitution
  count depends on its own matching and on input order), and hostile cases (:func:`hostile_case`:
  zero-length events on and between segment boundaries, duplicated rows, empty classes, clips without
  detections, detections and references at and past the clip end with durations, and whole cases with
  no detections, no references or neither). Compared: every value sed_eval reports that avbench
  reports too (overall, class-wise and class-wise averaged P/R/F and error rates, segment accuracies,
  per-class TP/Nref/Nsys, the substitution count), all with ``==``, NaN only equal to NaN.
- ``psds_eval`` profile (psds1, psds2 from operating points): a class without reference events,
  exact duplicate detection rows, detections starting at the clip end (padding), criterion ties.
- ``sed_scores_eval`` profile (psds1, psds2 exact from score tables; intersection F1 at a fixed
  threshold): scores quantised to 0.1 so that many frames equal the threshold (the ``score > t`` rule);
  segment-based mpAUC / mAUC (``segment_based.auroc``, 1 s, max_fpr 0.1 / None, class-wise and mean) on
  :func:`segment_score_case` (partial last segments, tables past the duration, odd frame hops, ties).

Exit status 1 when a profile does not reproduce its tool on some case; the table printed lists
every comparison. Frozen outputs of such runs live beside the tests (``tests/metrics/sed/data/``)
for machines without the peers; nothing here is needed by the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

PINS = ["numpy==1.26.4", "pandas==1.5.3", "sed_eval==0.2.1", "dcase_util==0.2.20", "psds_eval==0.5.3",
        "sed_scores_eval==0.0.4"]
PSDS = {"psds1": dict(dtc=0.7, gtc=0.7, cttc=None, alpha_ct=0.0, alpha_st=1.0),
        "psds2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0)}
LABELS = ["a", "b", "c", "d"]
EVENT_SETTINGS = {  # avbench's registered event-based ids and the sed_eval EventBasedMetrics settings they match
    "event_f1": dict(t_collar=0.2, percentage_of_length=0.2),
    "event_f1_sed_eval": dict(t_collar=0.2, percentage_of_length=0.5),
    "event_f1_onset": dict(t_collar=0.2, percentage_of_length=0.5, evaluate_offset=False),
}


# ---------------------------------------------------------------- case generation (numpy only)

def event_case(rng: np.random.Generator) -> dict:
    """Reference and detections on a 0.1 s grid (float collar ties), touching refs, an unpredicted class."""
    ref, est = {}, {}
    for i in range(12):
        clip = f"c{i}.wav"
        r, e = [], []
        for lab in LABELS[:3]:
            t = round(float(rng.uniform(0, 2)), 1)
            while t < 8 and rng.random() < 0.7:
                off = round(t + float(rng.integers(3, 20)) / 10, 1)
                r.append([t, off, lab])
                if lab != "c" or rng.random() < 0.3:
                    d_on = float(rng.choice([0.0, 0.1, 0.2, 0.2, 0.3]))
                    d_off = float(rng.choice([-0.2, 0.0, 0.2, 0.4]))
                    on_e = round(max(0.0, t + d_on * rng.choice([-1, 1])), 1)
                    off_e = round(max(on_e + 0.1, off + d_off), 1)
                    e.append([on_e, off_e, lab])
                t = off if rng.random() < 0.25 else round(off + float(rng.integers(1, 15)) / 10, 1)  # touching
        if rng.random() < 0.3:
            on = round(float(rng.uniform(0, 9)), 1)
            e.append([on, round(on + 0.5, 1), "d"])  # class 'd' has no reference at all
        ref[clip], est[clip] = r, _no_overlap(e)
    return {"labels": LABELS, "reference": ref, "estimated": est}


def crowded_case(rng: np.random.Generator) -> dict:
    """Clusters of events of several classes within one collar of each other, in shuffled input order.

    Each cluster holds 2-4 reference and 2-4 system events with onsets and offsets on a 0.1 s grid
    within 0.3 s of a common point, labels drawn from 3 classes: same-class hits with several maximum
    matchings, leftovers with several cross-class partners, float collar ties. Reference and system
    lists are shuffled, so sed_eval's input-order substitution count is exercised.
    """
    ref, est = {}, {}
    for i in range(10):
        r, e = [], []
        t = 0.5
        while t < 9:
            length = float(rng.integers(5, 15)) / 10
            for out, n in ((r, int(rng.integers(2, 5))), (e, int(rng.integers(2, 5)))):
                for _ in range(n):
                    on = round(t + float(rng.integers(-3, 4)) / 10, 1)
                    off = round(max(on + 0.1, t + length + float(rng.integers(-3, 4)) / 10), 1)
                    out.append([max(on, 0.0), off, LABELS[int(rng.integers(0, 3))]])
            t += length + float(rng.integers(5, 20)) / 10
        rng.shuffle(r)
        rng.shuffle(e)
        ref[f"x{i}.wav"], est[f"x{i}.wav"] = r, e
    return {"labels": LABELS, "reference": ref, "estimated": est}


def hostile_case(rng: np.random.Generator, variant: int = 0) -> dict:
    """Zero-length events, duplicated rows, empty classes, clips without detections, events past the clip end.

    On a 0.5 s grid (so zero-length events fall on and between 1 s segment boundaries). Class ``d``
    never occurs; ``c`` only in the reference or only in the detections. Half the cases give durations
    (9.5 or 10 s) with detections and reference events at and past the end. ``variant`` 1: no detections
    at all; 2: no reference events at all; 3: neither (every value undefined).
    """
    ref, est, dur = {}, {}, {}
    with_durations = bool(rng.random() < 0.5)
    for i in range(8):
        clip = f"h{i}.wav"
        d = float(rng.choice([9.5, 10.0]))
        r, e = [], []
        for lab in LABELS[:3]:
            for _ in range(int(rng.integers(0, 4))):
                on = float(rng.integers(0, 22)) / 2
                ln = float(rng.choice([0.0, 0.0, 0.5, 1.0, 2.5]))  # zero-length rows on both sides
                if lab == "c" and i % 2:
                    continue  # c: only in even clips' reference ...
                r.append([on, on + ln, lab])
                if rng.random() < 0.7:
                    d_on = float(rng.choice([0.0, 0.0, 0.5, -0.5]))
                    ev = [max(0.0, on + d_on), max(0.0, on + d_on) + float(rng.choice([0.0, ln, ln + 0.5])), lab]
                    e.append(ev)
                    if rng.random() < 0.3:
                        e.append(list(ev))  # an exact duplicate row
            if lab == "c" and i % 2 and rng.random() < 0.6:
                on = float(rng.integers(0, 20)) / 2
                e.append([on, on + float(rng.choice([0.0, 1.0])), "c"])  # ... and in odd clips' detections
        if r and rng.random() < 0.3:
            r.append(list(r[0]))  # a duplicated reference row
        if rng.random() < 0.3:
            e = []  # a clip without detections
        if with_durations:
            dur[clip] = d
            if rng.random() < 0.5:
                e.append([d, d + 0.5, "a"])  # starts at the end (padding)
                e.append([d - 0.5, d + 1.0, "b"])  # runs past the end
        if variant in (1, 3):
            e = []
        if variant in (2, 3):
            r = []
        rng.shuffle(r)
        rng.shuffle(e)
        ref[clip], est[clip] = r, e
    return {"labels": LABELS, "reference": ref, "estimated": est, "durations": dur or None}


def _no_overlap(evs: list) -> list:
    evs = sorted(evs, key=lambda x: (x[2], x[0]))
    out: list = []
    for ev in evs:
        if out and out[-1][2] == ev[2] and ev[0] < out[-1][1]:
            continue
        out.append(ev)
    return out


def op_case(rng: np.random.Generator) -> dict:
    """Operating points with duplicates, padding detections and a class without reference."""
    gt, dur = [], {}
    for i in range(15):
        f = f"c{i}.wav"
        dur[f] = 10.0
        for lab in LABELS[:3]:
            if rng.random() < 0.7:
                on = round(float(rng.uniform(0, 6)), 2)
                gt.append([f, on, round(on + float(rng.uniform(0.4, 3)), 2), lab])
    ops = {}
    for th in (0.2, 0.35, 0.5, 0.65, 0.8):
        det = [[f, max(0.0, round(a + float(rng.normal(0, 0.2)), 2)), b, lab] for f, a, b, lab in gt
               if rng.random() > th * 0.7]
        for i in range(15):
            for lab in LABELS:
                if rng.random() < (1 - th) * 0.3:
                    on = round(float(rng.uniform(0, 9)), 2)
                    det.append([f"c{i}.wav", on, round(on + float(rng.uniform(0.2, 1)), 2), lab])
        det = [[f, a, b, lab] for f, a, b, lab in det if b > a]
        det.sort(key=lambda r: (r[0], r[3], r[1]))
        clean: list = []
        for r in det:
            if clean and clean[-1][0] == r[0] and clean[-1][3] == r[3] and r[1] < clean[-1][2]:
                continue
            clean.append(r)
        if clean:
            clean.append(list(clean[0]))  # an exact duplicate row
        clean.append(["c0.wav", 10.0, 10.5, "a"])  # padding: starts at the clip end
        ops[str(th)] = clean
    return {"labels": LABELS, "gt": gt, "durations": dur, "ops": ops}


def score_case(rng: np.random.Generator) -> dict:
    """Score tables quantised to 0.1 (many frames equal to the threshold); every class has reference."""
    labels = LABELS[:3]
    ref, dur, scores = {}, {}, {}
    for i in range(10):
        clip = f"c{i}"
        dur[clip] = 10.0
        ts = np.round(np.arange(101) * 0.1, 6)
        sc = rng.random((100, len(labels))) * 0.5
        evs = []
        for c, lab in enumerate(labels):
            if rng.random() < 0.8 or i == c:
                on = round(float(rng.uniform(0, 6)), 1)
                off = round(on + float(rng.uniform(0.5, 3)), 1)
                evs.append([on, off, lab])
                sc[(ts[:-1] < off) & (ts[1:] > on), c] += 0.45
        ref[clip] = evs
        scores[clip] = {"timestamps": ts.tolist(), "values": np.round(sc, 1).tolist()}
    return {"labels": labels, "reference": ref, "durations": dur, "scores": scores}


def segment_score_case(rng: np.random.Generator) -> dict:
    """Score tables for the segment-based (partial) AUC: durations that are not a whole number of segments,
    tables running past the duration (their frames after the end change the last segment's score under
    ``padding="keep"``), frame hops that do not divide the 1 s segments, scores quantised to 0.05 (ties in
    FPR and TPR), reference events on a 0.01 s grid; every class has reference events (sed_scores_eval's
    rule)."""
    labels = LABELS[:3]
    ref, dur, scores = {}, {}, {}
    for i in range(12):
        clip = f"s{i}"
        d = float(rng.choice([10.0, 9.5, 7.3]))
        hop = float(rng.choice([0.1, 0.16, 0.25]))
        n = int(np.ceil((d + float(rng.choice([0.0, 0.6]))) / hop))
        ts = np.round(np.arange(n + 1) * hop, 6)
        sc = rng.random((n, len(labels))) * 0.6
        evs = []
        for c, lab in enumerate(labels):
            if rng.random() < 0.7 or i == c:
                on = round(float(rng.uniform(0, d - 0.5)), 2)
                off = round(min(d + 0.3, on + float(rng.uniform(0.3, 3))), 2)
                evs.append([on, off, lab])
                sc[(ts[:-1] < off) & (ts[1:] > on), c] += float(rng.choice([0.1, 0.3]))
        ref[clip] = evs
        dur[clip] = d
        scores[clip] = {"timestamps": ts.tolist(), "values": (np.round(sc * 20) / 20).tolist()}
    return {"labels": labels, "reference": ref, "durations": dur, "scores": scores}


def segment_tie_case(rng: np.random.Generator, noise: np.random.Generator) -> dict:
    """:func:`segment_score_case` with near-continuous scores and every clip given 6 times: long ROC curves
    (hundreds of points) with many equal FPRs, where sed_scores_eval 0.0.4's unstable re-sort shows."""
    c = segment_score_case(rng)
    for v in c["scores"].values():
        v["values"] = np.round(np.array(v["values"]) + noise.random(np.shape(v["values"])) * 1e-3, 4).tolist()
    return {"labels": c["labels"], **{key: {f"{k}_{r}": v for r in range(6) for k, v in c[key].items()}
                                      for key in ("reference", "durations", "scores")}}


# ---------------------------------------------------------------- peer side (runs in the peer venv)

SED_EVAL_KEYS = {  # sed_eval results() path -> avbench key (overall, or class_wise with "class.")
    ("overall", "f_measure", "f_measure"): "f1", ("overall", "f_measure", "precision"): "precision",
    ("overall", "f_measure", "recall"): "recall",
    **{("overall", "error_rate", k): k for k in ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate")},
    ("class_wise_average", "f_measure", "f_measure"): "f1_macro",
    ("class_wise_average", "f_measure", "precision"): "precision_macro",
    ("class_wise_average", "f_measure", "recall"): "recall_macro",
    **{("class_wise_average", "error_rate", k): f"{k}_macro" for k in ("error_rate", "deletion_rate", "insertion_rate")},
}
SEGMENT_KEYS = {("overall", "accuracy", k): k for k in ("accuracy", "balanced_accuracy", "sensitivity", "specificity")}
CLASS_KEYS = {("f_measure", "f_measure"): "f1", ("f_measure", "precision"): "precision", ("f_measure", "recall"): "recall",
              **{("error_rate", k): k for k in ("error_rate", "deletion_rate", "insertion_rate")}}


def _flat_sed_eval(m, labels: list, segment: bool) -> dict:
    """Every value sed_eval reports that avbench reports too, as ``{avbench key: value}`` (NaN kept)."""
    res = m.results()
    out = {key: float(res[a][b][c]) for (a, b, c), key in {**SED_EVAL_KEYS, **(SEGMENT_KEYS if segment else {})}.items()}
    for lab in labels:
        out.update({f"class.{lab}.{key}": float(res["class_wise"][lab][a][b]) for (a, b), key in CLASS_KEYS.items()})
        out.update({f"class.{lab}.{k}": float(m.class_wise[lab][n]) for k, n in
                    (("tp", "Ntp"), ("n_ref", "Nref"), ("n_sys", "Nsys"))})
    out["substitutions"] = float(m.overall["S"] if segment else m.overall["Nsubs"])
    return out


def _peer(cases: dict) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    out: dict = {"events": [], "ops": [], "scores": []}
    import dcase_util
    import sed_eval

    for case in cases["events"]:
        res = {}
        dur = case.get("durations")
        for name, kw in {**EVENT_SETTINGS, "segment_f1": None}.items():
            m = (sed_eval.sound_event.EventBasedMetrics(event_label_list=case["labels"], **kw) if kw
                 else sed_eval.sound_event.SegmentBasedMetrics(event_label_list=case["labels"], time_resolution=1.0))
            for clip in case["reference"]:
                r = dcase_util.containers.MetaDataContainer(
                    [{"filename": clip, "onset": a, "offset": b, "event_label": lab} for a, b, lab in case["reference"][clip]])
                e = dcase_util.containers.MetaDataContainer(
                    [{"filename": clip, "onset": a, "offset": b, "event_label": lab} for a, b, lab in case["estimated"][clip]])
                if kw is None and dur:
                    m.evaluate(r, e, evaluated_length_seconds=dur[clip])
                else:
                    m.evaluate(r, e)  # sed_eval's event-based metrics take no durations
            res[name] = _flat_sed_eval(m, case["labels"], segment=kw is None)
        out["events"].append(res)
    import pandas as pd
    from psds_eval import PSDSEval

    cols = ["filename", "onset", "offset", "event_label"]
    for case in cases["ops"]:
        gt = pd.DataFrame(case["gt"], columns=cols)
        meta = pd.DataFrame(list(case["durations"].items()), columns=["filename", "duration"])
        res = {}
        for name, cfg in PSDS.items():
            ev = PSDSEval(cfg["dtc"], cfg["gtc"], cfg["cttc"] or 0.3, ground_truth=gt, metadata=meta)
            for th, det in case["ops"].items():
                ev.add_operating_point(pd.DataFrame(det, columns=cols), info={"threshold": float(th)})
            res[name] = float(ev.psds(cfg["alpha_ct"], cfg["alpha_st"], 100.0).value)
        out["ops"].append(res)
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    for case in cases["scores"]:
        sdf = {c: create_score_dataframe(np.array(s["values"]), np.array(s["timestamps"]), case["labels"])
               for c, s in case["scores"].items()}
        gt = {c: [tuple(e) for e in evs] for c, evs in case["reference"].items()}
        res = {}
        for name, cfg in PSDS.items():
            v = intersection_based.psds(scores=sdf, ground_truth=gt, audio_durations=case["durations"],
                                        dtc_threshold=cfg["dtc"], gtc_threshold=cfg["gtc"],
                                        cttc_threshold=cfg["cttc"], alpha_ct=cfg["alpha_ct"],
                                        alpha_st=cfg["alpha_st"], max_efpr=100.0)[0]
            res[name] = float(v)
        f, _, _, _ = intersection_based.fscore(sdf, gt, 0.5, dtc_threshold=0.5, gtc_threshold=0.5)
        res["intersection_f1@0.5"] = {k: float(x) for k, x in f.items()}
        out["scores"].append(res)
    out["segment_auc"] = [_peer_segment_auc(case) for case in cases.get("segment_auc", [])]
    out["segment_auc_ties"] = [{"stable": _peer_segment_auc(case, stable=True), "default": _peer_segment_auc(case)}
                               for case in cases.get("segment_auc_ties", [])]
    return out


def _peer_segment_auc(case: dict, stable: bool = False) -> dict:
    """sed_scores_eval 0.0.4 ``segment_based.auroc`` (1 s segments), full and up to FPR 0.1, class-wise and mean.

    ``stable``: with its curve sort made stable (``numpy.argsort(kind="stable")`` in
    ``base_modules.curves``): the staircase definition. By default sed_scores_eval re-sorts the FPRs with
    numpy's default argsort, which (numpy 1.26, AVX-512) may reorder equal FPRs of curves of 100 or more
    points and then take a lower TPR than the highest for the next width.
    """
    import types

    import sed_scores_eval.base_modules.curves as curves
    from sed_scores_eval import segment_based
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    sdf = {c: create_score_dataframe(np.array(s["values"]), np.array(s["timestamps"]), case["labels"])
           for c, s in case["scores"].items()}
    gt = {c: [tuple(e) for e in evs] for c, evs in case["reference"].items()}
    if stable:
        shim = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
        shim.argsort = lambda x: np.argsort(x, kind="stable")
        curves.np = shim
    try:
        return {mid: {k: float(v) for k, v in segment_based.auroc(sdf, gt, case["durations"], segment_length=1.0,
                                                                  max_fpr=m)[0].items()}
                for mid, m in (("segment_mpauc", 0.1), ("segment_mauc", None))}
    finally:
        curves.np = np


# ---------------------------------------------------------------- avbench side

def _events(d: dict) -> dict:
    """``{clip: [Event]}`` from ``[onset, offset, label]`` rows; ``onset == offset`` rows as a reader keeping them gives them."""
    from avbench.metrics.sed._zero_length import ZeroLengthEvent
    from avbench.model import Event

    return {c: [(ZeroLengthEvent if a == b else Event)(a, b, lab) for a, b, lab in evs] for c, evs in d.items()}


def _ours(cases: dict) -> dict:
    from avbench import registry
    from avbench.metrics.sed.io import ScoreTable, SedPredictions
    from avbench.metrics.sed.profiles import profile_params

    def run(mid: str, profile: str, ref, pred, **kw):
        import inspect

        cfg = registry.metric(mid)
        acc = set(inspect.signature(cfg.compute).parameters)
        return cfg(ref, pred, **{**profile_params(profile, mid, acc), **kw})

    out: dict = {"events": [], "ops": [], "scores": []}
    for case in cases["events"]:
        ref, est = _events(case["reference"]), SedPredictions(events=_events(case["estimated"]))
        res = {}
        for mid in (*EVENT_SETTINGS, "segment_f1"):
            r = run(mid, "sed_eval", ref, est, labels=case["labels"], durations=case.get("durations"))
            flat = {key: float(r.overall[key]) for key in (*SED_EVAL_KEYS.values(),
                                                           *(SEGMENT_KEYS.values() if mid == "segment_f1" else ()))}
            for lab in case["labels"]:
                flat.update({f"class.{lab}.{k}": float(r.class_wise[lab][k])
                             for k in (*CLASS_KEYS.values(), "tp", "n_ref", "n_sys")})
            flat["substitutions"] = float(r.extra["counts"]["substitutions"])
            res[mid] = flat
        out["events"].append(res)
    for case in cases["ops"]:
        ref: dict = {}
        for f, a, b, lab in case["gt"]:
            ref.setdefault(f, []).append(_events({f: [[a, b, lab]]})[f][0])
        ops = {float(t): _group(det) for t, det in case["ops"].items()}
        pred = SedPredictions(operating_points=ops)
        out["ops"].append({mid: run(mid, "psds_eval", ref, pred, labels=case["labels"],
                                    durations=case["durations"]).overall["psds"] for mid in PSDS})
    for case in cases["scores"]:
        ref = _events(case["reference"])
        pred = SedPredictions(scores={c: ScoreTable(s["timestamps"], s["values"], tuple(case["labels"]))
                                      for c, s in case["scores"].items()})
        res = {mid: run(mid, "sed_scores_eval", ref, pred, labels=case["labels"],
                        durations=case["durations"]).overall["psds"] for mid in PSDS}
        f = run("intersection_f1", "sed_scores_eval", ref, pred, labels=case["labels"], durations=case["durations"],
                threshold=0.5, dtc=0.5, gtc=0.5)
        res["intersection_f1@0.5"] = {**{c: f.class_wise[c]["f1"] for c in case["labels"]},
                                      "macro_average": f.overall["f1_macro"], "micro_average": f.overall["f1_micro"]}
        out["scores"].append(res)
    for kind in ("segment_auc", "segment_auc_ties"):
        out[kind] = []
        for case in cases.get(kind, []):
            ref = _events(case["reference"])
            pred = SedPredictions(scores={c: ScoreTable(s["timestamps"], s["values"], tuple(case["labels"]))
                                          for c, s in case["scores"].items()})
            res = {}
            for mid in ("segment_mpauc", "segment_mauc"):
                r = run(mid, "sed_scores_eval", ref, pred, labels=case["labels"], durations=case["durations"])
                res[mid] = {**{c: r.class_wise[c]["auc"] for c in case["labels"]}, "mean": r.overall["auc_macro"]}
            out[kind].append(res)
    return out


def _group(rows: list) -> dict:
    from avbench.model import Event

    out: dict = {}
    for f, a, b, lab in rows:
        out.setdefault(f, []).append(Event(a, b, lab))
    return out


def _same(a, b) -> bool:
    """Equal to the bit, NaN equal to NaN only (the profiles give the tool's NaN where it gives one)."""
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", metavar="VENV", help="create the pinned peer venv at VENV and exit")
    ap.add_argument("--peer-python", default="/tmp/peers/venv/bin/python")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.peer:
        json.dump(_peer(json.load(sys.stdin)), sys.stdout)
        return 0
    if args.build:
        subprocess.run([sys.executable, "-m", "venv", args.build], check=True)
        subprocess.run([str(Path(args.build) / "bin" / "python"), "-m", "pip", "install", "-q", *PINS], check=True)
        print(f"peer venv ready: {args.build}/bin/python ({', '.join(PINS)})")
        return 0
    cases = {"events": [], "ops": [], "scores": [], "segment_auc": [], "segment_auc_ties": []}
    for s in range(args.seeds):
        rng = np.random.default_rng(1000 + s)
        cases["events"].append(event_case(rng))
        cases["events"].append(crowded_case(np.random.default_rng(5000 + s)))
        cases["events"].append(hostile_case(np.random.default_rng(7000 + s), variant=s % 4))
        cases["ops"].append(op_case(rng))
        cases["scores"].append(score_case(rng))
        cases["segment_auc"].append(segment_score_case(np.random.default_rng(9000 + s)))
        cases["segment_auc_ties"].append(segment_tie_case(np.random.default_rng(9500 + s), np.random.default_rng(s)))
    proc = subprocess.run([args.peer_python, __file__, "--peer"], input=json.dumps(cases), capture_output=True,
                          text=True)
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
        return 2
    peer, ours = json.loads(proc.stdout), _ours(cases)
    failures, n, worst = 0, 0, 0.0
    for kind, profile in (("events", "sed_eval"), ("ops", "psds_eval"), ("scores", "sed_scores_eval"),
                          ("segment_auc", "sed_scores_eval")):
        for k, (p, o) in enumerate(zip(peer[kind], ours[kind])):
            for mid in p:
                pv, ov = p[mid], o[mid]
                if isinstance(pv, dict):
                    items = [(x, pv[x], ov[x]) for x in pv]
                else:
                    items = [("value", pv, ov)]
                for key, a, b in items:
                    pairs = [(a[x], b[x]) for x in a] if isinstance(a, dict) else [(a, b)]
                    ok = all(_same(x, y) for x, y in pairs)
                    n += 1
                    if not ok:
                        failures += 1
                        worst = max([worst] + [abs(x - y) for x, y in pairs
                                               if isinstance(x, float) and not math.isnan(x)])
                        print(f"MISMATCH {profile:16s} case {k:2d} {mid:22s} {key:17s} peer {a} avbench {b}")
    # long curves with equal FPRs: avbench equals sed_scores_eval with a stable sort (the staircase definition)
    # to the bit, and is never below sed_scores_eval's own value (which takes some TPR of a tie, not the highest)
    n_lower = 0
    for k, (p, o) in enumerate(zip(peer["segment_auc_ties"], ours["segment_auc_ties"])):
        for mid in o:
            for key, v in o[mid].items():
                n += 1
                if v != p["stable"][mid][key] or v < p["default"][mid][key]:
                    failures += 1
                    print(f"MISMATCH sed_scores_eval  ties case {k:2d} {mid:22s} {key:17s} stable sort "
                          f"{p['stable'][mid][key]} default {p['default'][mid][key]} avbench {v}")
                n_lower += v > p["default"][mid][key]
    print(f"segment AUC on long tied curves: {n_lower} value(s) where sed_scores_eval 0.0.4's unstable re-sort "
          "gave less than the staircase (avbench = sed_scores_eval with a stable sort, to the bit)")
    n_subs = sum(1 for p in peer["events"] for mid in p if p[mid]["substitutions"] > 0)
    n_nan = sum(1 for p in peer["events"] for mid in p for v in p[mid].values() if isinstance(v, float) and math.isnan(v))
    print(f"{n} comparisons over {args.seeds} seeds x 4 case kinds (+ crowded substitution and hostile cases): "
          f"{failures} mismatches (largest |difference| {worst:.3g}); {n_subs} event/segment results with "
          f"substitutions; {n_nan} sed_eval NaN values, each compared with avbench's")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
