"""Speed of segment-based + event-based F1/ER: avbench vs sed_eval 0.2.1 on the same inputs, same run.

Inputs: DESED-validation scale, synthetic and seeded: 1,168 clips of 10 s, 10 classes, about 3.6
reference events per clip (lengths 0.3-10 s) and system events derived from them (jittered
boundaries, some label swaps, misses and false alarms). Both tools get the inputs already grouped
per clip (avbench: ``{clip: [Event]}``; sed_eval: per-file lists of dicts) and compute
segment-based (1 s) and event-based (collar 0.2 s, 20 %) metrics; the timed part is the scoring
only. sed_eval runs in its own venv through a subprocess (``--peer-python``); without it the peer
part is skipped with a message.

Run: ``python benchmarks/bench_sed_eval.py [--peer-python /work/peers/sed_eval/bin/python] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from avbench.metrics.sed.event import event_based
from avbench.metrics.sed.segment import segment_based
from avbench.model import Event

LABELS = ["Alarm_bell_ringing", "Blender", "Cat", "Dishes", "Dog", "Electric_shaver_toothbrush", "Frying",
          "Running_water", "Speech", "Vacuum_cleaner"]

PEER = r"""
import json, sys, time
import sed_eval
data = json.load(open(sys.argv[1]))
labels, ref, est, repeat = data["labels"], data["reference"], data["estimated"], data["repeat"]
def recs(clip, rows):
    return [{"filename": clip, "onset": a, "offset": b, "event_label": c} for a, b, c in rows]
files = [(recs(c, ref[c]), recs(c, est.get(c, []))) for c in ref]
best = float("inf")
for _ in range(repeat):
    t = time.perf_counter()
    seg = sed_eval.sound_event.SegmentBasedMetrics(labels, time_resolution=1.0)
    ev = sed_eval.sound_event.EventBasedMetrics(labels, t_collar=0.2, percentage_of_length=0.2)
    for r, e in files:
        seg.evaluate(r, e)
        ev.evaluate(r, e)
    s, v = seg.results_overall_metrics(), ev.results_overall_metrics()
    best = min(best, time.perf_counter() - t)
print(json.dumps({"seconds": best, "segment_f1": s["f_measure"]["f_measure"], "event_f1": v["f_measure"]["f_measure"]}))
"""


def synth(seed: int = 0, n_clips: int = 1168) -> tuple[dict, dict]:
    """Seeded DESED-like reference and system events, as ``{clip: [[onset, offset, label]]}``."""
    rng = np.random.default_rng(seed)
    ref, est = {}, {}
    for i in range(n_clips):
        clip = f"Y{i:05d}_0.000_10.000.wav"
        rows = []
        for _ in range(rng.poisson(3.6)):
            on = round(float(rng.uniform(0, 9.5)), 3)
            rows.append([on, round(min(10.0, on + float(rng.uniform(0.3, 6.0))), 3), str(rng.choice(LABELS))])
        det = []
        for on, off, lab in rows:
            if rng.random() < 0.8:
                o = max(0.0, round(on + float(rng.normal(0, 0.2)), 3))
                f = round(max(o + 0.1, off + float(rng.normal(0, 0.4))), 3)
                det.append([o, f, lab if rng.random() < 0.85 else str(rng.choice(LABELS))])
        for _ in range(rng.poisson(0.8)):
            on = round(float(rng.uniform(0, 9.5)), 3)
            det.append([on, round(min(10.0, on + float(rng.uniform(0.2, 3.0))), 3), str(rng.choice(LABELS))])
        ref[clip], est[clip] = rows, det
    return ref, est


def run_avbench(ref: dict, est: dict, repeat: int) -> tuple[float, float, float]:
    r = {c: [Event(a, b, lab) for a, b, lab in rows] for c, rows in ref.items()}
    e = {c: [Event(a, b, lab) for a, b, lab in rows] for c, rows in est.items()}
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        s = segment_based(r, e, labels=LABELS, durations=None, merge_reference=False, time_decimals=None)
        v = event_based(r, e, labels=LABELS, durations=None, percentage_of_length=0.2, merge_reference=False,
                        time_decimals=None)
        best = min(best, time.perf_counter() - t)
    return best, s.overall["f1"], v.overall["f1"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-python", default="/work/peers/sed_eval/bin/python", help="python of the sed_eval venv")
    ap.add_argument("--repeat", type=int, default=5, help="best of N runs (sed_eval: best of max(1, N // 3))")
    ap.add_argument("--clips", type=int, default=1168)
    args = ap.parse_args()
    ref, est = synth(0, args.clips)
    n_ref, n_est = sum(map(len, ref.values())), sum(map(len, est.values()))
    print(f"inputs: {len(ref)} clips x 10 s, {len(LABELS)} classes, {n_ref} reference / {n_est} system events")
    t_av, seg_f1, ev_f1 = run_avbench(ref, est, args.repeat)
    print(f"avbench  segment+event: {t_av * 1000:8.1f} ms  (segment F1 {seg_f1:.6f}, event F1 {ev_f1:.6f})")
    if not Path(args.peer_python).exists():
        print(f"sed_eval: skipped, no peer python at {args.peer_python} (see benchmarks/peers/make_sed_eval_fixtures.py)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in.json"
        inp.write_text(json.dumps({"labels": LABELS, "reference": ref, "estimated": est,
                                   "repeat": max(1, args.repeat // 3)}))
        script = Path(tmp) / "peer.py"
        script.write_text(PEER)
        proc = subprocess.run([args.peer_python, str(script), str(inp)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        print(f"sed_eval: failed ({proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode})")
        sys.exit(1)
    peer = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"sed_eval segment+event: {peer['seconds'] * 1000:8.1f} ms  (segment F1 {peer['segment_f1']:.6f}, "
          f"event F1 {peer['event_f1']:.6f})")
    same = abs(peer["segment_f1"] - seg_f1) < 1e-9 and abs(peer["event_f1"] - ev_f1) < 1e-9
    print(f"same values: {same}; speed ratio sed_eval / avbench: {peer['seconds'] / t_av:.0f}x")


if __name__ == "__main__":
    main()
