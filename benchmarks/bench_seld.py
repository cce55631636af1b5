"""Speed: avbench ``seld-dcase2023`` vs the official DCASE 2023 metric code on STARSS23-scale inputs.

Inputs (seeded): ``--files`` files (default 100) of ``--frames`` 100 ms frames (6000), up to 3
simultaneous sources of 13 classes, references in STARSS23 polar CSV (distance in cm), predictions
in the Cartesian CSV the official scorer reads. Both tools read the same files from disk and score
them (macro, 1 s segments), in this run; the official code runs in its own old-numpy venv via a
subprocess and reports its own wall time (interpreter start excluded). Prints times and the ratio,
and checks the two agree (compat="official").

    .venv/bin/python benchmarks/bench_seld.py [--files 100 --frames 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

PEER_PY = Path("/work/peers/seld/venv/bin/python")
PEER_SRC = Path("/work/peers/seld/src/sharathadavanne+seld-dcase2023")

_OFFICIAL = r"""
import sys, time, json, types, importlib.abc, importlib.machinery
from unittest import mock
class S(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, n, p=None, t=None):
        return importlib.machinery.ModuleSpec(n, self, is_package=True) if n.split('.')[0] in ('IPython','librosa','sklearn','joblib','matplotlib') else None
    def create_module(self, spec):
        m = types.ModuleType(spec.name); m.__path__ = []; m.__getattr__ = lambda a: mock.MagicMock(); return m
    def exec_module(self, m): pass
sys.meta_path.insert(0, S())
sys.path.insert(0, sys.argv[1])
import cls_compute_seld_results as c, parameters
p = parameters.get_params('1'); p['average'] = 'macro'
t0 = time.perf_counter()
r = c.ComputeSELDResults(p, ref_files_folder=sys.argv[2])
out = r.get_SELD_Results(sys.argv[3])
print(json.dumps({'seconds': time.perf_counter() - t0, 'values': [float(v) for v in out[:5]]}))
"""


def make_inputs(root: Path, n_files: int, n_frames: int, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    ref_dir, pred_dir = root / "ref" / "dev-test", root / "pred"
    ref_dir.mkdir(parents=True)
    pred_dir.mkdir()
    for i in range(n_files):
        ref_lines, pred_lines = [], []
        for track in range(3):  # each track: a sequence of events with silences
            f = int(rng.integers(0, 50))
            while f < n_frames:
                length = int(rng.integers(10, 120))
                cls = int(rng.integers(0, 13))
                az, el, dist = rng.uniform(-180, 180), rng.uniform(-50, 50), rng.uniform(50, 400)
                for k in range(f, min(n_frames, f + length)):
                    a = (az + 0.3 * (k - f) + 180) % 360 - 180
                    ref_lines.append((k, f"{k},{cls},{track},{a:.1f},{el:.1f},{dist:.0f}\n"))
                    if rng.random() < 0.85:
                        pa, pe = np.radians(a + rng.normal(0, 12)), np.radians(el + rng.normal(0, 6))
                        pred_lines.append((k, f"{k},{cls},0,{np.cos(pe) * np.cos(pa):.5f},"
                                              f"{np.cos(pe) * np.sin(pa):.5f},{np.sin(pe):.5f},{dist / 100:.2f}\n"))
                f += length + int(rng.integers(5, 80))
        name = f"fold4_room{i % 10}_mix{i:03d}.csv"
        (ref_dir / name).write_text("".join(s for _, s in sorted(ref_lines, key=lambda x: x[0])))
        (pred_dir / name).write_text("".join(s for _, s in sorted(pred_lines, key=lambda x: x[0])))
    return ref_dir.parent, pred_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--frames", type=int, default=6000)
    a = ap.parse_args()
    from avbench import registry
    from avbench.metrics.seld import files as seld_files

    registry.metrics()  # imports happen before timing, as for the official code

    with tempfile.TemporaryDirectory() as tmp:
        ref, pred = make_inputs(Path(tmp), a.files, a.frames)
        rows = sum(1 for p in ref.rglob("*.csv") for _ in p.open())
        print(f"inputs: {a.files} files x {a.frames} frames, {rows} reference rows; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        t0 = time.perf_counter()
        rep = seld_files.evaluate_files(["seld-dcase2023"], reference=ref, predictions=pred,
                                        options={"compat": "official", "jackknife": "false"})
        ours = time.perf_counter() - t0
        mine = rep.results[0].overall
        print(f"avbench seld-dcase2023 (read + score): {ours:.2f} s")
        if not PEER_PY.exists():
            print(f"official code venv not found at {PEER_PY}: ratio not measured")
            return
        proc = subprocess.run([str(PEER_PY), "-c", _OFFICIAL, str(PEER_SRC), str(ref), str(pred)],
                              capture_output=True, text=True, check=True)
        off = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"official DCASE 2023 code (read + score): {off['seconds']:.2f} s")
        print(f"speed-up: {off['seconds'] / ours:.1f}x (load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
        keys = ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"]
        diff = max(abs(mine[k] - v) for k, v in zip(keys, off["values"]))
        print(f"max |avbench - official| over ER, F, LE, LR, SELD: {diff:.2e}")


if __name__ == "__main__":
    main()
