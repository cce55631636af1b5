"""PSDS speed: avbench vs sed_scores_eval (exact, from scores) and psds_eval (50 operating points).

DESED-validation scale: 1,168 clips of 10 s, 10 classes, score tables of 156 frames per clip (seeded
synthetic scores around the real DESED validation reference when ../shared is present, else a
synthetic reference), 50 operating points at thresholds linspace(0.01, 0.99, 50). All inputs are
written once as files; each tool reads them untimed, then the metric computation is timed:

- exact PSDS1 + PSDS2 from score tables: avbench ``mode="scores"`` vs ``sed_scores_eval.intersection_based.psds``;
- PSDS1 + PSDS2 from the 50 operating points: avbench ``mode="operating_points"`` vs ``psds_eval.PSDSEval``
  (``add_operating_point`` x 50 + ``psds``). avbench is timed twice: from the columns its file
  reader builds (``avbench evaluate``'s path; read untimed, as psds_eval's DataFrames), and from
  Python ``{threshold: {clip: [Event]}}`` (the conversion to columns timed). Reading the 50 files
  is then timed for both tools and an end-to-end ratio (read + compute) printed;
- the same on the DCASE 2021 baseline's own 50 operating-point files when ../shared is present
  (fewer, cleaner detections than the synthetic ones, so psds_eval's per-detection cost is lower).

The machine's load average is printed before and after: timings are only comparable at low load.

The peers run in their own venv (``--peer-python``, default /work/peers/psds/bin/python) via
subprocess on the same files in the same run; the values are printed next to avbench's, then the ratios.

    .venv/bin/python benchmarks/bench_psds.py [--clips 1168] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _psds_synth import synth_reference, synth_scores  # noqa: E402

from avbench.metrics.sed.io import (  # noqa: E402
    SedPredictions, clip_stem, read_durations_tsv, read_events_tsv, read_operating_points, read_score_tables)
from avbench.metrics.sed._op_files import read_operating_point_columns  # noqa: E402
from avbench.metrics.sed.psd import psds  # noqa: E402

LABELS = sorted("Alarm_bell_ringing Blender Cat Dishes Dog Electric_shaver_toothbrush Frying Running_water "
                "Speech Vacuum_cleaner".split())
P1 = dict(dtc=0.7, gtc=0.7, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
P2 = dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
DESED = Path(__file__).resolve().parents[2] / "shared/reference/desed/DCASE-REPO_DESED_task/PSDS_Eval/meta"

PEER = r'''
import glob, json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from psds_eval import PSDSEval
from sed_scores_eval import intersection_based, io
d = sys.argv[1]
gt_df = pd.read_csv(d + "/gt.tsv", sep="\t"); meta = pd.read_csv(d + "/durations.tsv", sep="\t")
scores = io.read_sed_scores(d + "/scores")
gt = io.read_ground_truth_events(d + "/gt.tsv"); dur = io.read_audio_durations(d + "/durations.tsv")
t = time.perf_counter()
ops = [pd.read_csv(f, sep="\t") for f in sorted(glob.glob(d + "/ops/*.tsv"))]
out = {"pe_read_seconds": time.perf_counter() - t}
t = time.perf_counter()
out["sse_psds1"] = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.7,
    gtc_threshold=.7, cttc_threshold=None, alpha_ct=0., alpha_st=1., max_efpr=100.)[0]
out["sse_psds2"] = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.1,
    gtc_threshold=.1, cttc_threshold=.3, alpha_ct=.5, alpha_st=1., max_efpr=100.)[0]
out["sse_seconds"] = time.perf_counter() - t
'''

PSDS_EVAL_LOOP = r'''
t = time.perf_counter()
for name, (dtc, gtc, a_ct) in {"pe_psds1": (.7, .7, 0.), "pe_psds2": (.1, .1, .5)}.items():
    ev = PSDSEval(dtc, gtc, .3, ground_truth=gt_df, metadata=meta)
    for op in ops:
        ev.add_operating_point(op)
    out[name] = ev.psds(a_ct, 1., 100.).value
out["pe_seconds"] = time.perf_counter() - t
print(json.dumps(out))
'''
PEER += PSDS_EVAL_LOOP

PEER_REAL = r'''
import glob, json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from psds_eval import PSDSEval
d = sys.argv[1]
gt_df = pd.read_csv(d + "/validation.tsv", sep="\t"); meta = pd.read_csv(d + "/validation_durations.tsv", sep="\t")
t = time.perf_counter()
ops = [pd.read_csv(f, sep="\t") for f in sorted(glob.glob(d + "/metrics_test/student/predictions_operating_points/*.tsv"))]
out = {"pe_read_seconds": time.perf_counter() - t}
'''
PEER_REAL += PSDS_EVAL_LOOP


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def op_rows(label: str, both, ref_cols, ref_events, t_read: float, peer: dict | None) -> None:
    """Time avbench from columns and from Events; print them with psds_eval's figures and ratios."""
    t_c, (c1, c2) = timed(both, lambda: SedPredictions(operating_points=ref_cols))
    t_e, (e1, e2) = timed(both, lambda: SedPredictions(operating_points=ref_events))
    print(f"{label} avbench from file columns: PSDS1 {c1:.6f} PSDS2 {c2:.6f} in {t_c:.3f} s (best of 3; "
          f"reading the files {t_read:.2f} s)")
    print(f"{label} avbench from Python Events: PSDS1 {e1:.6f} PSDS2 {e2:.6f} in {t_e:.3f} s (conversion included)")
    if peer is None:
        return
    pe = peer["pe_seconds"]
    print(f"{label} psds_eval 0.5.3: PSDS1 {peer['pe_psds1']:.6f} PSDS2 {peer['pe_psds2']:.6f} in {pe:.3f} s "
          f"(reading the files {peer['pe_read_seconds']:.2f} s)")
    print(f"{label} ratio vs psds_eval: {pe / t_c:.1f}x from file columns, {pe / t_e:.1f}x from Python Events, "
          f"{(pe + peer['pe_read_seconds']) / (t_c + t_read):.1f}x end to end (read + compute); "
          f"|dPSDS| {max(abs(c1 - peer['pe_psds1']), abs(c2 - peer['pe_psds2'])):.1e}")


def real_desed_ops(peer_python: str) -> None:
    """The DCASE 2021 baseline's own 50 operating points (DESED validation), both tools."""
    ref = read_events_tsv(DESED / "validation.tsv")
    dur = read_durations_tsv(DESED / "validation_durations.tsv")
    op_dir = DESED / "metrics_test" / "student" / "predictions_operating_points"
    ops = read_operating_points(op_dir)
    t_read, cols = timed(lambda: read_operating_point_columns(op_dir))
    kw = dict(durations=dur, labels=LABELS, time_decimals=None)

    def both(p: SedPredictions) -> tuple[float, float]:
        return psds(ref, p, **kw, **P1).overall["psds"], psds(ref, p, **kw, **P2).overall["psds"]

    peer = None
    if Path(peer_python).exists():
        res = subprocess.run([peer_python, "-c", PEER_REAL, str(DESED)], capture_output=True, text=True, check=True)
        peer = json.loads(res.stdout.strip().splitlines()[-1])
    n_ev = sum(len(v) for op in ops.values() for v in op.values())
    op_rows(f"real DESED ops ({n_ev} detections):", both, cols, ops, t_read, peer)


def write_inputs(d: Path, n_clips: int) -> None:
    if DESED.is_dir() and n_clips >= 1168:
        warnings.simplefilter("ignore")
        ref = read_events_tsv(DESED / "validation.tsv")
        dur = read_durations_tsv(DESED / "validation_durations.tsv")
    else:
        ref, dur = synth_reference(n_clips, LABELS, seed=1)
    scores = synth_scores(ref, dur, LABELS, seed=2)
    (d / "scores").mkdir()
    (d / "ops").mkdir()
    rows = ["filename\tonset\toffset\tevent_label"]
    for clip in dur:
        evs = ref.get(clip, [])
        rows += [f"{clip}\t{e.onset}\t{e.offset}\t{e.label}" for e in evs] or [f"{clip}\t\t\t"]
    (d / "gt.tsv").write_text("\n".join(rows) + "\n")
    (d / "durations.tsv").write_text("filename\tduration\n" + "".join(f"{c}\t{v}\n" for c, v in dur.items()))
    head = "onset\toffset\t" + "\t".join(LABELS)
    ops = {th: ["filename\tonset\toffset\tevent_label"] for th in np.round(np.linspace(0.01, 0.99, 50), 2)}
    for clip, (ts, v) in scores.items():
        body = np.column_stack([ts[:-1], ts[1:], v])
        np.savetxt(d / "scores" / f"{clip_stem(clip)}.tsv", body, delimiter="\t", header=head, comments="", fmt="%.6g")
        for th, lines in ops.items():
            act = np.vstack([np.zeros((1, len(LABELS)), bool), v > th, np.zeros((1, len(LABELS)), bool)])
            for c, lab in enumerate(LABELS):
                ch = np.flatnonzero(act[1:, c] != act[:-1, c])
                lines += [f"{clip_stem(clip)}.wav\t{ts[a]:.6g}\t{ts[b]:.6g}\t{lab}" for a, b in zip(ch[::2], ch[1::2])]
    for th, lines in ops.items():
        (d / "ops" / f"predictions_th_{th:.2f}.tsv").write_text("\n".join(lines) + "\n")


def timed(fn, make=None, repeat: int = 3) -> tuple[float, object]:
    """Best of ``repeat`` timings of ``fn(make())``; ``make`` (untimed) builds fresh inputs each time."""
    best, out = float("inf"), None
    for _ in range(repeat):
        arg = make() if make is not None else None
        t = time.perf_counter()
        out = fn(arg) if make is not None else fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=1168)
    ap.add_argument("--peer-python", default="/work/peers/psds/bin/python")
    args = ap.parse_args()
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_inputs(d, args.clips)
        warnings.simplefilter("ignore")
        ref = {clip_stem(k): v for k, v in read_events_tsv(d / "gt.tsv").items()}
        dur = {clip_stem(k): v for k, v in read_durations_tsv(d / "durations.tsv").items()}
        tables = read_score_tables(d / "scores")
        op_events = {t: {clip_stem(k): v for k, v in op.items()} for t, op in read_operating_points(d / "ops").items()}
        t_read, cols = timed(lambda: read_operating_point_columns(d / "ops"))
        cols = cols.renamed([clip_stem(c) for c in cols.clips])
        kw = dict(durations=dur, labels=LABELS)

        def both(pred: SedPredictions) -> tuple[float, float]:
            # one predictions object per repetition: what PSDS1 builds (detection trees, columns) may
            # serve PSDS2, as in one `avbench evaluate`, but nothing carries over between repetitions
            return psds(ref, pred, **kw, **P1).overall["psds"], psds(ref, pred, **kw, **P2).overall["psds"]

        t_sc, (a1, a2) = timed(both, lambda: SedPredictions(scores=tables))
        print(f"inputs: {len(dur)} clips, {len(LABELS)} classes, 156 frames, 50 operating points "
              f"({cols.op.size} detections, {cols.n_distinct} distinct)")
        print(f"avbench scores : PSDS1 {a1:.6f} PSDS2 {a2:.6f} in {t_sc:.3f} s (best of 3)")
        peer = None
        if Path(args.peer_python).exists():
            res = subprocess.run([args.peer_python, "-c", PEER, str(d)], capture_output=True, text=True, check=True)
            peer = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"sed_scores_eval: PSDS1 {peer['sse_psds1']:.6f} PSDS2 {peer['sse_psds2']:.6f} in "
                  f"{peer['sse_seconds']:.3f} s")
            print(f"ratio vs sed_scores_eval: {peer['sse_seconds'] / t_sc:.1f}x "
                  f"(|dPSDS| {max(abs(a1 - peer['sse_psds1']), abs(a2 - peer['sse_psds2'])):.1e})")
        else:
            print(f"peer venv {args.peer_python} not found: peers skipped")
        op_rows("synthetic 50 ops:", both, cols, op_events, t_read, peer)
    if DESED.is_dir():
        real_desed_ops(args.peer_python)
    print(load())


if __name__ == "__main__":
    main()
