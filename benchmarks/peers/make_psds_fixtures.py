"""Freeze small seeded PSDS cases evaluated by the peer tools, for tests/test_psds.py.

Run in the peer venv (psds_eval 0.5.3, sed_scores_eval 0.0.4, pandas 1.5, numpy 1.26):

    /work/peers/psds/bin/python benchmarks/peers/make_psds_fixtures.py tests/metrics/sed/data/psds

Writes ``scores_cases.json`` (score tables + reference + sed_scores_eval PSDS values) and
``op_cases.json`` (operating points + reference + psds_eval PSDS and macro-F values). Inputs are
random but seeded; times are on a 1 ms grid and scores on a 0.01 grid so ties occur.

``--float-case`` writes only ``scores_float_case.json``: one larger case (40 clips of 6 minutes, 4 classes, 60
frames scored; hundreds of PSD-ROC points, so that the order of float additions shows in the last bits)
with sed_scores_eval's PSDS, class-wise PSDS and per-class eFPR arrays, compared with ``==``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

CONFIGS = {
    "psds1": dict(dtc=0.7, gtc=0.7, cttc=None, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0),
    "psds2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0),
    "mid": dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=1.0, alpha_st=0.0, max_efpr=400.0),
}


def make_case(rng: np.random.Generator, n_clips: int, labels: list[str], t_frames: int, hop: float,
              empty_class: bool) -> dict:
    clips, gt, dur, scores = [], {}, {}, {}
    for i in range(n_clips):
        clip = f"clip{i:02d}"
        clips.append(clip)
        d = round(t_frames * hop, 3)
        dur[clip] = d
        events = []
        for c, lab in enumerate(labels):
            if empty_class and c == len(labels) - 1:
                continue
            t = float(rng.uniform(0, 0.3 * d))
            while rng.random() < 0.6 and t < d - 0.3:
                on = round(t, 3)
                off = round(min(d, on + rng.uniform(0.2, 0.4 * d)), 3)
                if off > on:
                    events.append((on, off, lab))
                t = off + rng.uniform(0.1, 0.3 * d)
        gt[clip] = events
        ts = np.round(np.arange(t_frames + 1) * hop, 6)
        sc = rng.random((t_frames, len(labels))) * 0.4
        for on, off, lab in events:
            c = labels.index(lab)
            sl = (ts[:-1] < off) & (ts[1:] > on)
            sc[sl, c] += rng.uniform(0.2, 0.6)
        k = np.ones(3) / 3
        sc = np.stack([np.convolve(sc[:, c], k, mode="same") for c in range(len(labels))], axis=1)
        scores[clip] = {"timestamps": ts.tolist(), "values": np.round(sc, 2).tolist()}
    return {"labels": labels, "durations": dur, "reference": gt, "scores": scores}


def sse_values(case: dict) -> dict:
    import pandas as pd
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    labels = case["labels"]
    sdf = {c: create_score_dataframe(np.array(s["values"]), np.array(s["timestamps"]), labels)
           for c, s in case["scores"].items()}
    gt = {c: [tuple(e) for e in evs] for c, evs in case["reference"].items()}
    out = {}
    for name, cfg in CONFIGS.items():
        cttc = cfg["cttc"] if cfg["alpha_ct"] > 0 else None
        v, cls_v, (etpr, efpr), _ = intersection_based.psds(
            scores=sdf, ground_truth=gt, audio_durations=case["durations"],
            dtc_threshold=cfg["dtc"], gtc_threshold=cfg["gtc"], cttc_threshold=cttc,
            alpha_ct=cfg["alpha_ct"], alpha_st=cfg["alpha_st"], max_efpr=cfg["max_efpr"])
        out[name] = {"psds": float(v), "class_psds": {k: float(x) for k, x in cls_v.items()}}
    from sed_scores_eval import collar_based, segment_based

    f, p, r, th, _ = collar_based.best_fscore(sdf, gt, onset_collar=0.2, offset_collar=0.2, offset_collar_rate=0.2)
    out["collar_best"] = {"f": f, "p": p, "r": r, "threshold": th}
    f, p, r, th, _ = segment_based.best_fscore(sdf, gt, case["durations"], segment_length=1.0)
    out["segment_best"] = {"f": f, "p": p, "r": r, "threshold": th}
    out["collar_best"], out["segment_best"] = (
        {k: {c: float(x) for c, x in v.items()} for k, v in d.items()} for d in (out["collar_best"], out["segment_best"]))
    del pd
    return out


def op_events(case: dict, thresholds: list[float]) -> dict:
    labels = case["labels"]
    ops = {}
    for th in thresholds:
        op = {}
        for clip, s in case["scores"].items():
            ts, v = np.array(s["timestamps"]), np.array(s["values"])
            evs = []
            for c, lab in enumerate(labels):
                act = np.r_[False, v[:, c] > th, False]
                ch = np.flatnonzero(act[1:] != act[:-1])
                evs += [(float(ts[a]), float(ts[b]), lab) for a, b in zip(ch[::2], ch[1::2])]
            op[clip] = evs
        ops[str(th)] = op
    return ops


def psds_eval_values(case: dict) -> dict:
    import pandas as pd
    from psds_eval import PSDSEval

    gt = pd.DataFrame([(c, on, off, lab) for c, evs in case["reference"].items() for on, off, lab in evs],
                      columns=["filename", "onset", "offset", "event_label"])
    meta = pd.DataFrame(list(case["durations"].items()), columns=["filename", "duration"])

    def table(op):
        return pd.DataFrame([(c, on, off, lab) for c, evs in op.items() for on, off, lab in evs],
                            columns=["filename", "onset", "offset", "event_label"])

    out = {}
    for name, cfg in CONFIGS.items():
        ev = PSDSEval(cfg["dtc"], cfg["gtc"], cfg["cttc"] or 0.3, ground_truth=gt, metadata=meta)
        for op in case["ops"].values():
            ev.add_operating_point(table(op))
        out[name] = {"psds": float(ev.psds(cfg["alpha_ct"], cfg["alpha_st"], cfg["max_efpr"]).value)}
    ev = PSDSEval(0.5, 0.5, 0.3, ground_truth=gt, metadata=meta)
    f, fd = ev.compute_macro_f_score(table(case["ops"]["0.5"]))
    out["macro_f"] = {"f1_macro": float(f), "class_f1": {k: float(x) for k, x in fd.items()}}
    return out


def main(out_dir: str) -> None:
    warnings.filterwarnings("ignore")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261122)
    labels = ["alarm", "cat", "dog"]
    score_cases, op_cases = [], []
    def full_case(i: int) -> dict:
        # sed_scores_eval 0.0.4 refuses a class without reference events: draw until all have some
        while True:
            case = make_case(rng, n_clips=int(rng.integers(3, 7)), labels=labels,
                             t_frames=int(rng.integers(15, 40)), hop=[0.1, 0.064, 0.25][i % 3], empty_class=False)
            case["reference"]["silent"] = []
            case["durations"]["silent"] = 2.0
            ts = np.round(np.arange(21) * 0.1, 6)
            case["scores"]["silent"] = {"timestamps": ts.tolist(),
                                        "values": np.round(rng.random((20, 3)) * 0.5, 2).tolist()}
            have = {e[2] for evs in case["reference"].values() for e in evs}
            if have == set(labels):
                return case

    for i in range(6):
        case = full_case(i)
        case["expected"] = sse_values(case)
        score_cases.append(case)
    for i in range(5):
        case = full_case(i)
        case["ops"] = op_events(case, [round(t, 2) for t in np.linspace(0.1, 0.9, 9)])
        del case["scores"]
        case["expected"] = psds_eval_values(case)
        op_cases.append(case)
    (out / "scores_cases.json").write_text(json.dumps(score_cases, indent=1) + "\n")
    (out / "op_cases.json").write_text(json.dumps(op_cases, indent=1) + "\n")
    print(f"wrote {len(score_cases)} score cases and {len(op_cases)} operating-point cases to {out}")


def float_case(out_dir: str) -> None:
    """One larger case whose PSDS floats depend on the order of additions (see the module docstring)."""
    warnings.filterwarnings("ignore")
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    rng = np.random.default_rng(20261202)
    labels = ["alarm", "cat", "dog", "owl"]
    case = make_case(rng, n_clips=40, labels=labels, t_frames=60, hop=0.1, empty_class=False)
    for s in case["scores"].values():  # half the bump, half noise: many false positives at every threshold
        v = np.array(s["values"])
        s["values"] = np.round(0.5 * v + 0.5 * rng.random(v.shape), 2).tolist()
    # each table covers the first 6 s of a 6-minute clip: 4 hours in all, so that up to 400 false
    # positives stay within max_efpr = 100 per hour and hundreds of thresholds reach the PSD-ROC
    case["durations"] = {c: 360.0 for c in case["durations"]}
    sdf = {c: create_score_dataframe(np.array(s["values"]), np.array(s["timestamps"]), labels)
           for c, s in case["scores"].items()}
    gt = {c: [tuple(e) for e in evs] for c, evs in case["reference"].items()}
    case["source"] = ("benchmarks/peers/make_psds_fixtures.py --float-case, scored with sed_scores_eval 0.0.4 "
                      f"(numpy {np.__version__}) when frozen")
    case["expected"] = {}
    for name in ("psds1", "psds2"):
        cfg = CONFIGS[name]
        v, cls_v, _, rocs = intersection_based.psds(
            scores=sdf, ground_truth=gt, audio_durations=case["durations"], dtc_threshold=cfg["dtc"],
            gtc_threshold=cfg["gtc"], cttc_threshold=cfg["cttc"], alpha_ct=cfg["alpha_ct"],
            alpha_st=cfg["alpha_st"], max_efpr=cfg["max_efpr"])
        case["expected"][name] = {"psds": float(v), "class_psds": {k: float(x) for k, x in cls_v.items()},
                                  "class_efpr": {k: r[1].tolist() for k, r in rocs.items()}}
    path = Path(out_dir) / "scores_float_case.json"
    path.write_text(json.dumps(case) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--float-case"]
    (float_case if "--float-case" in sys.argv else main)(args[0] if args else "tests/metrics/sed/data/psds")
