"""Speed: ``avbench evaluate`` (seld-dcase2022 / seld-dcase2024) vs the official DCASE SELD code, same files, same run.

Inputs (seeded, written once per size): ``--files`` (default 96) STARSS23-shaped recordings, lengths
drawn from 450-2,200 frames of 100 ms (45-220 s: the range of the real STARSS22 development files in
``../shared/reference/seld``; STARSS lengths vary and the index does not list them), up to 3
simultaneous sources of 13 classes with moving directions. Each edition gets the CSV format its
official code reads: 2022 references ``frame,class,track,azimuth,elevation`` and Cartesian
predictions ``frame,class,track,x,y,z``; 2024 references with the distance in cm and polar
predictions with the distance in m.

Two measurements per edition, repeated ``--repeat`` times with avbench and the official code
interleaved, medians reported, each as wall time and as CPU time (user + system of the process or
subprocess: on shared cores the wall time mostly measures the other processes' load, CPU time much
less so):

- **end to end**: each tool as a user runs it, a subprocess including interpreter start and imports:
  ``avbench evaluate -r REF -p PRED -m seld-dcaseYYYY -o profile=official -q`` (default options, so
  it also computes the jackknife intervals) against a 10-line driver that does what the official
  ``cls_compute_seld_results.py`` ``__main__`` does (``parameters.get_params()``,
  ``ComputeSELDResults(params, ref_files_folder=REF).get_SELD_Results(PRED)``, no jackknife), with
  the official modules' real imports; only packages absent from the peer venv (torch, torchvision,
  cv2, imported by the 2024 video-feature module) are stubbed, and listed;
- **in process**: reading + scoring inside a warm interpreter (imports excluded): avbench's
  :func:`avbench.metrics.seld.files.evaluate_files` vs the official classes' own wall time.

Then the same at STARSS23 scale (``--starss``, one run each): the development test split (78
recordings, the default split of the ``starss23-seld`` tasks) and the whole development set (168 =
90 + 78), sizes read from ``recipes/dcase_seld/index/starss23.json`` (the 79 evaluation recordings
have no released labels, so they cannot be scored). Every line carries the load average: other
processes share the cores, and only ratios from one run compare. The values of both tools are
checked equal (max abs difference over the overall values).

Measured (2026-12-02, the SELD code of commit 27045e6, ``--repeat 3 --starss``; 2 cores shared with five other
jobs, load 6.8-12 during the run, so wall times are several times the CPU times; official code on
numpy 1.23.5 / scipy 1.10.1, avbench on numpy 2.4; both tools' values equal to <= 2.3e-14)::

    set                 edition  avbench e2e  official e2e  wall ratio  CPU ratio  in process (CPU)
    96 files            2022     6.05 s       122.9 s       20.3x       19.6x      28x
    96 files            2024     4.08 s       227.1 s       55.7x       30.8x      38x
    STARSS23 dev-test   2022     3.60 s        77.7 s       21.6x       20.4x      27x
    (78 files)          2024     4.76 s       119.3 s       25.1x       27.9x      47x
    STARSS23 dev        2022     1.59 s       130.0 s       81.7x       30.6x      28x
    (168 files)         2024     4.87 s       201.5 s       41.4x       38.2x      36x

(one run each at the STARSS23 sizes, medians of 3 at 96 files). A second run of the 96 files of 2022
alone at load 5.7-6.2: avbench 2.19 s, official 61.6 s end to end, 28.2x wall, 20.1x CPU (0.99 s
against 19.86 s), 29x CPU in process. End-to-end CPU time of ``avbench
evaluate`` on the 96 files of 2022: 1.13 s at that load, 0.70-0.86 s in separate ``/usr/bin/time`` runs
at load ~8, of which ~0.25 s is the interpreter, numpy and the CLI (one
tiny file); the official code takes 20-22 s CPU. Before commit 27045e6 (main at 622863f) the same
96 files took 1.05 s CPU end to end at load ~6 (~20x) and 14.7x wall at load 4-7.

Needs the official code checkouts and a venv they run in (see ``benchmarks/peers/make_seld_fixtures.py``;
``SELD_PEERS`` = folder of the ``owner+repo`` checkouts, ``SELD_PEER_PY`` = that venv's python)::

    SELD_PEERS=/tmp/seldpeers SELD_PEER_PY=/tmp/seldpeers/venv/bin/python \\
        .venv/bin/python benchmarks/bench_seld.py [--files 96 --repeat 3 --starss --json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("SELD_PEERS", "/work/peers/seld/src"))
PEER_PY = Path(os.environ.get("SELD_PEER_PY", "/work/peers/seld/venv/bin/python"))
REPOS = {"2022": "sharathadavanne+seld-dcase2022", "2024": "partha2409+DCASE2024_seld_baseline"}
KEYS = {"2022": ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"],
        "2024": ["error_rate", "f1", "localization_error", "distance_error_m", "distance_error",
                 "localization_recall", "seld_score"]}

# what the official __main__ does, with the two folders as arguments (the scripts hard-code them)
_OFFICIAL = r"""
import sys, time, json, types, importlib.abc, importlib.machinery
t0 = time.perf_counter()
stubbed = set()
class Stub(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'torchvision', 'cv2'):
            stubbed.add(name.split('.')[0])
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        from unittest import mock
        m = types.ModuleType(spec.name); m.__path__ = []; m.__getattr__ = lambda a: mock.MagicMock(); return m
    def exec_module(self, m): pass
sys.meta_path.insert(0, Stub())
sys.path.insert(0, sys.argv[1])
import cls_compute_seld_results, parameters
params = parameters.get_params()
t1 = time.perf_counter(); c1 = time.process_time()
out = cls_compute_seld_results.ComputeSELDResults(params, ref_files_folder=sys.argv[2]).get_SELD_Results(sys.argv[3])
t2 = time.perf_counter(); c2 = time.process_time()
print(json.dumps({'import_s': t1 - t0, 'compute_s': t2 - t1, 'compute_cpu_s': c2 - c1, 'values': [float(v) for v in out[:-1]],
                  'stubbed': sorted(stubbed)}))
"""


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def make_inputs(root: Path, n_files: int, year: str, seed: int = 0) -> tuple[Path, Path, int]:
    """Write ``n_files`` reference/prediction CSVs in ``year``'s format; returns (ref dir, pred dir, rows)."""
    rng = np.random.default_rng(seed)
    ref_dir, pred_dir = root / "ref" / "dev-test", root / "pred"
    ref_dir.mkdir(parents=True)
    pred_dir.mkdir(parents=True)
    n_rows = 0
    for i in range(n_files):
        n_frames = int(rng.integers(450, 2200))
        ref, pred = [], []
        for track in range(3):
            f = int(rng.integers(0, 50))
            while f < n_frames:
                length, cls = int(rng.integers(10, 120)), int(rng.integers(0, 13))
                az, el, dist = rng.uniform(-180, 180), rng.uniform(-50, 50), rng.uniform(50, 400)
                for k in range(f, min(n_frames, f + length)):
                    a = (az + 0.3 * (k - f) + 180) % 360 - 180
                    row = f"{k},{cls},{track},{int(round(a))},{int(round(el))}"
                    ref.append((k, row + (f",{int(round(dist))}\n" if year == "2024" else "\n")))
                    if rng.random() < 0.85:  # detected, with direction and distance errors
                        pa = (a + rng.normal(0, 12) + 180) % 360 - 180
                        pe = float(np.clip(el + rng.normal(0, 6), -89, 89))
                        if year == "2022":
                            ra, re = np.radians(pa), np.radians(pe)
                            pred.append((k, f"{k},{cls},0,{np.cos(re) * np.cos(ra):.6f},"
                                            f"{np.cos(re) * np.sin(ra):.6f},{np.sin(re):.6f}\n"))
                        else:
                            pred.append((k, f"{k},{cls},0,{pa:.4f},{pe:.4f},{dist * rng.uniform(0.7, 1.3) / 100:.4f}\n"))
                f += length + int(rng.integers(5, 80))
        name = f"fold4_room{i % 10}_mix{i:03d}.csv"
        (ref_dir / name).write_text("".join(s for _, s in sorted(ref, key=lambda x: x[0])))
        (pred_dir / name).write_text("".join(s for _, s in sorted(pred, key=lambda x: x[0])))
        n_rows += len(ref)
    return ref_dir.parent, pred_dir, n_rows


def _avbench_cli(year: str, ref: Path, pred: Path) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("avbench")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "avbench"]
    t0, c0 = time.perf_counter(), _child_cpu()
    subprocess.run(cmd + ["evaluate", "-r", str(ref), "-p", str(pred), "-m", f"seld-dcase{year}",
                          "-o", "profile=official", "-q"], check=True)
    return time.perf_counter() - t0, _child_cpu() - c0


def _avbench_inprocess(year: str, ref: Path, pred: Path) -> tuple[float, float, dict[str, float]]:
    from avbench.metrics.seld import files as seld_files

    t0, c0 = time.perf_counter(), time.process_time()
    rep = seld_files.evaluate_files([f"seld-dcase{year}"], reference=ref, predictions=pred,
                                    options={"profile": "official"})
    return time.perf_counter() - t0, time.process_time() - c0, rep.results[0].overall


def _official(year: str, ref: Path, pred: Path) -> tuple[float, float, dict]:
    t0, c0 = time.perf_counter(), _child_cpu()
    proc = subprocess.run([str(PEER_PY), "-c", _OFFICIAL, str(PEERS / REPOS[year]), str(ref), str(pred)],
                          capture_output=True, text=True, cwd=PEERS / REPOS[year])
    wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
    if proc.returncode:
        raise SystemExit(f"official {year} code failed:\n{proc.stderr[-2000:]}")
    return wall, cpu, json.loads(proc.stdout.strip().splitlines()[-1])


def startup(tmp: Path, repeat: int) -> dict[str, float]:
    """Fixed costs of a run (medians): the interpreter, + numpy, and ``avbench evaluate`` on one tiny file."""
    (tmp / "one" / "ref").mkdir(parents=True)
    (tmp / "one" / "pred").mkdir()
    (tmp / "one" / "ref" / "a.csv").write_text("0,1,0,30,10,150\n1,1,0,31,10,150\n")
    (tmp / "one" / "pred" / "a.csv").write_text("0,1,0,28.5,10,1.4\n")

    def run(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t0

    exe = Path(sys.executable).with_name("avbench")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "avbench"]
    out: dict[str, list[float]] = {"python": [], "python + numpy": [], "avbench evaluate, 1 tiny file": [],
                                   "official 2024 imports (peer venv)": []}
    for _ in range(repeat):
        out["python"].append(run([sys.executable, "-c", "pass"]))
        out["python + numpy"].append(run([sys.executable, "-c", "import numpy"]))
        out["avbench evaluate, 1 tiny file"].append(run(cli + ["evaluate", "-r", str(tmp / "one" / "ref"), "-p",
                                                               str(tmp / "one" / "pred"), "-m", "seld-dcase2024", "-q"]))
        out["official 2024 imports (peer venv)"].append(run([str(PEER_PY), "-c", _OFFICIAL.split("params = ")[0] + "print('{}')",
                                                              str(PEERS / REPOS["2024"]), "-", "-"]))
    res = {k: statistics.median(v) for k, v in out.items()}
    print("start-up (median of %d, %s): " % (repeat, _load()) + ", ".join(f"{k} {v:.2f} s" for k, v in res.items()),
          flush=True)
    return res


def measure(year: str, n_files: int, repeat: int, tmp: Path, label: str) -> dict:
    ref, pred, rows = make_inputs(tmp / f"{label}-{year}", n_files, year)
    _avbench_inprocess(year, ref, pred)  # warm: imports, as the official in-process time excludes them
    keys = ("e2e_a", "e2e_o", "ip_a", "ip_o", "cpu_e2e_a", "cpu_e2e_o", "cpu_ip_a", "cpu_ip_o", "imp_o")
    t: dict[str, list[float]] = {k: [] for k in keys}
    loads: list[float] = []
    mine: dict[str, float] = {}
    off: dict = {}
    for _ in range(repeat):  # interleaved
        loads.append(os.getloadavg()[0])
        wall, cpu = _avbench_cli(year, ref, pred)
        t["e2e_a"].append(wall)
        t["cpu_e2e_a"].append(cpu)
        wall, cpu, off = _official(year, ref, pred)
        t["e2e_o"].append(wall)
        t["cpu_e2e_o"].append(cpu)
        t["ip_o"].append(off["compute_s"])
        t["cpu_ip_o"].append(off["compute_cpu_s"])
        t["imp_o"].append(off["import_s"])
        wall, cpu, mine = _avbench_inprocess(year, ref, pred)
        t["ip_a"].append(wall)
        t["cpu_ip_a"].append(cpu)
        loads.append(os.getloadavg()[0])
    diff = max(abs(mine[k] - v) for k, v in zip(KEYS[year], off["values"]))
    m = {k: statistics.median(v) for k, v in t.items()}
    res = {"edition": year, "set": label, "files": n_files, "reference_rows": rows, "runs": repeat,
           "e2e_avbench_s": m["e2e_a"], "e2e_official_s": m["e2e_o"], "e2e_ratio": m["e2e_o"] / m["e2e_a"],
           "e2e_avbench_cpu_s": m["cpu_e2e_a"], "e2e_official_cpu_s": m["cpu_e2e_o"],
           "e2e_cpu_ratio": m["cpu_e2e_o"] / m["cpu_e2e_a"],
           "inprocess_avbench_s": m["ip_a"], "inprocess_official_s": m["ip_o"], "inprocess_ratio": m["ip_o"] / m["ip_a"],
           "inprocess_avbench_cpu_s": m["cpu_ip_a"], "inprocess_official_cpu_s": m["cpu_ip_o"],
           "inprocess_cpu_ratio": m["cpu_ip_o"] / m["cpu_ip_a"], "official_import_s": m["imp_o"],
           "official_stubbed": off["stubbed"], "max_abs_diff": diff,
           "load_min": min(loads), "load_max": max(loads), "cores": os.cpu_count()}
    print(f"{label:>14} {year}: {n_files} files ({rows} reference rows), median of {repeat}, "
          f"load {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores\n"
          f"    end to end, wall: avbench {m['e2e_a']:.2f} s, official {m['e2e_o']:.2f} s "
          f"(its imports {m['imp_o']:.2f} s) -> {res['e2e_ratio']:.1f}x\n"
          f"    end to end, CPU : avbench {m['cpu_e2e_a']:.2f} s, official {m['cpu_e2e_o']:.2f} s -> {res['e2e_cpu_ratio']:.1f}x\n"
          f"    in process, wall: avbench {m['ip_a']:.3f} s, official {m['ip_o']:.2f} s -> {res['inprocess_ratio']:.0f}x\n"
          f"    in process, CPU : avbench {m['cpu_ip_a']:.3f} s, official {m['cpu_ip_o']:.2f} s -> {res['inprocess_cpu_ratio']:.0f}x\n"
          f"    max |avbench - official| {diff:.1e}; stubbed in the official run: {off['stubbed'] or 'nothing'}",
          flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--editions", default="2022,2024")
    ap.add_argument("--starss", action="store_true", help="also STARSS23 dev-test (78) and dev (168) sizes, one run each")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    a = ap.parse_args()
    missing = [str(p) for p in (PEER_PY, *(PEERS / REPOS[y] for y in a.editions.split(","))) if not p.exists()]
    if missing:
        raise SystemExit(f"official code or its venv not found: {', '.join(missing)} (set SELD_PEERS / SELD_PEER_PY)")
    counts = json.loads((ROOT / "recipes" / "dcase_seld" / "index" / "starss23.json").read_text())["counts"]
    print(f"avbench vs official DCASE SELD code; {_load()} on {os.cpu_count()} cores; peers in {PEERS}", flush=True)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        fixed = startup(Path(tmp), a.repeat)
        for year in a.editions.split(","):
            out.append(measure(year, a.files, a.repeat, Path(tmp), f"{a.files} files"))
        if a.starss:
            for label, n in (("STARSS23 dev-test", counts["dev-test"]),
                             ("STARSS23 dev", counts["dev-train"] + counts["dev-test"])):
                for year in a.editions.split(","):
                    out.append(measure(year, n, 1, Path(tmp), label))
    if a.json:
        a.json.write_text(json.dumps({"startup_s": fixed, "runs": out}, indent=1) + "\n")
        print(f"figures written to {a.json}")


if __name__ == "__main__":
    main()
