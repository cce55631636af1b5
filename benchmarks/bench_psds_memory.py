"""Peak memory of exact PSDS2 (with cross-triggers) at AudioSet-strong scale: 15,000 clips x 400 classes.

avbench streams the score tables through :class:`avbench.metrics.sed._psd.accum.IntersectionAccumulator`
in chunks of 16 clips (a prescan pass over the top scores first), so no clips x thresholds x classes
array ever exists. Synthetic seeded data: 10-s clips, 156 frames, 0-4 reference classes per clip,
scores float32 (as a model emits them, not quantised). Each run happens in a fresh subprocess and
reports its own peak RSS (``ru_maxrss``).

sed_scores_eval is reported to need more than 150 GB here (fgnt/sed_scores_eval#5); it is not run
at this scale. ``--peer-scaling`` runs it (PSDS2, same generator; every class given reference
events, which sed_scores_eval 0.0.4 requires) at small sizes to show how its peak RSS grows with
clips and classes, next to avbench at the same sizes.

    .venv/bin/python benchmarks/bench_psds_memory.py [--clips 15000] [--classes 400] [--peer-scaling]

Measured (December 2026, 2 cores shared with other jobs, load average 7-9): 15,000 x 400 in 780 s
of computing (+ 207 s generating the synthetic scores), peak RSS 0.53 GB. With the frames at or
below each class's false-positive floor left out of the detection trees (2 December 2026, load
average 4-6): 15,000 x 400 in 62.6 s of computing (+ 176.6 s generating), peak RSS 0.42 GB;
2,000 x 400 (load 9-10) 10.1 s and 0.11 GB, against 128.9 s and 0.29 GB for the code before, same
222,781 points.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

AVBENCH = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[4])
import numpy as np
from _psds_synth import clip_scores, synth_reference
from avbench.metrics.sed._psd.roc import SECONDS_PER_UNIT
from avbench.metrics.sed._psd.accum import IntersectionAccumulator
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed.io import ScoreTable
from avbench.metrics.sed.psd import psds_from_counts
n, k, chunk, cover = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[5] == "1"
labels = [f"class{i:03d}" for i in range(k)]
ref, dur = synth_reference(n, labels, seed=1, max_classes=4, cover_all=cover)
t0 = time.perf_counter()
ri = RefIndex.build(ref, dur, labels)
acc = IntersectionAccumulator(ri, dtc=0.1, gtc=0.1, cttc=0.3, fp_budget=100.0 * ri.duration / 3600.0)
clips = list(dur)
gen = [0.0]
def tables(i):
    t = time.perf_counter()
    rng = np.random.default_rng(1000 + i)
    out = {}
    for c in clips[i:i + chunk]:
        ts, v = clip_scores(rng, ref[c], labels, dtype=np.float32)
        out[c] = ScoreTable(ts, v, tuple(labels))
    gen[0] += time.perf_counter() - t
    return out
for i in range(0, n, chunk):
    acc.prescan(tables(i))
for i in range(0, n, chunk):
    acc.add(tables(i))
cur = acc.curves()
res = psds_from_counts(ri, [c.tp for c in cur], [c.fp for c in cur], [c.ct for c in cur], alpha_ct=0.5,
                       alpha_st=1.0, max_efpr=100.0, duration_unit="hour", cross_trigger_mean="other_classes")
total = time.perf_counter() - t0
print(json.dumps({"psds2": res["psds"], "seconds": total - gen[0], "generation_seconds": gen[0],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "points": int(sum(c.scores.size for c in cur))}))
'''

PEER = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
import numpy as np
from sed_scores_eval import intersection_based
from sed_scores_eval.base_modules.scores import create_score_dataframe
from _psds_synth import clip_scores, synth_reference
n, k = int(sys.argv[1]), int(sys.argv[2])
labels = [f"class{i:03d}" for i in range(k)]
ref, dur = synth_reference(n, labels, seed=1, max_classes=4, cover_all=True)
scores = {}
clips = list(dur)
for i in range(0, n, 16):
    rng = np.random.default_rng(1000 + i)
    for c in clips[i:i + 16]:
        ts, v = clip_scores(rng, ref[c], labels, dtype=np.float32)
        scores[c[:-4]] = create_score_dataframe(v.astype(np.float64), ts, labels)
gt = {c[:-4]: [(e.onset, e.offset, e.label) for e in evs] for c, evs in ref.items()}
du = {c[:-4]: d for c, d in dur.items()}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
v = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=du, dtc_threshold=.1, gtc_threshold=.1,
                            cttc_threshold=.3, alpha_ct=.5, alpha_st=1., max_efpr=100.)[0]
print(json.dumps({"psds2": v, "seconds": time.perf_counter() - t0, "inputs_rss_mb": base,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run(cmd: list[str]) -> dict:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=15000)
    ap.add_argument("--classes", type=int, default=400)
    ap.add_argument("--peer-scaling", action="store_true")
    ap.add_argument("--skip-main", action="store_true", help="only the small peer-scaling runs")
    ap.add_argument("--peer-python", default="/tmp/peers/venv/bin/python",
                    help="python of the peer venv (built by benchmarks/peers/differential.py --build /tmp/peers/venv)")
    args = ap.parse_args()
    if args.peer_scaling:
        for n, kk in ((25, 50), (50, 50), (100, 50), (50, 100), (50, 200)):
            a = run([sys.executable, "-c", AVBENCH, str(n), str(kk), "16", str(HERE), "1"])
            p = run([args.peer_python, "-c", PEER, str(n), str(kk), str(HERE)])
            print(f"{n:>6} clips x {kk}: avbench {a.get('peak_rss_mb', 0):8.0f} MB {a.get('seconds', 0):7.1f} s"
                  f" PSDS2 {a.get('psds2', float('nan')):.6f} | sed_scores_eval {p.get('peak_rss_mb', 0):8.0f} MB peak"
                  f" ({p.get('inputs_rss_mb', 0):.0f} MB with inputs) {p.get('seconds', 0):7.1f} s"
                  f" PSDS2 {p.get('psds2', float('nan')):.6f} {p.get('error', '')}")
    if args.skip_main:
        return
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    a = run([sys.executable, "-c", AVBENCH, str(args.clips), str(args.classes), "16", str(HERE), "0"])
    print(f"avbench PSDS2 (cttc 0.3, alpha_ct 0.5) on {args.clips} clips x {args.classes} classes: {a}")
    if "peak_rss_mb" in a:
        print(f"avbench: {a['seconds']:.1f} s computing (+ {a['generation_seconds']:.1f} s generating the synthetic "
              f"scores), peak RSS {a['peak_rss_mb'] / 1024:.2f} GB (target < 2 GB): "
              f"{'OK' if a['peak_rss_mb'] < 2048 else 'OVER'}")
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
