"""PSDS speed: avbench vs sed_scores_eval (exact, from score tables) and psds_eval (50 operating points).

DESED-validation scale: 1,168 clips, 10 classes, score tables of 156 frames per clip (seeded
synthetic scores around the real DESED validation reference when ../shared is present, else a
synthetic reference; each table ends with the frame that holds its clip's end, so that both tools
see the same frames), and the DCASE 2021 baseline's own 50 operating-point files of DESED
validation (../shared; "real-shaped": its detections, not synthetic ones). Every figure is the
median over ``--rounds`` interleaved rounds (the tools alternate, so a change of load hits both),
with the load average printed; both tools' values are printed and compared.

- **reading 1,168 score tables**: the reader as it was when issue #10 was filed (``--baseline-rev``,
  default ``bcd261f``, unpacked from git and run in its own interpreter, timed inside it), the
  per-file reader avbench still falls back to (split and strip every cell in Python), the current
  reader on a cold cache (the first read of a directory: numpy's C parser) and on a warm cache (a
  later read of unchanged files), see :mod:`avbench.metrics.sed._score_files`; the tables of all
  four are compared;
- **exact PSDS1 + PSDS2 from the score tables** vs ``sed_scores_eval.intersection_based.psds``:
  in-process (tables already in memory, compute only) and end to end (``avbench evaluate -r gt.tsv
  -p scores/ --durations durations.tsv -m psds1,psds2 -o profile=sed_scores_eval --json out.json``,
  cold and warm cache, against the script a sed_scores_eval user writes: ``io.read_sed_scores``,
  ``read_ground_truth_events``, ``read_audio_durations``, two ``psds`` calls; each a fresh
  interpreter, start-up, imports and reading included);
- **PSDS2 from the 50 real operating points** vs ``psds_eval.PSDSEval`` (``add_operating_point`` x 50,
  ``psds``): in-process (avbench from the columns its file reader builds; psds_eval from its
  DataFrames; reading untimed) and end to end (``avbench evaluate ... -m psds2 -o profile=psds_eval``
  and the default profile, against a pandas + psds_eval script reading the same files).
- ``--synthetic-ops`` adds 50 synthetic operating points derived from the score tables (2 M
  detections, far more than a real system's; psds_eval needs minutes on them), in-process.

The peers run in their own venv (``--peer-python``, built by ``python benchmarks/peers/differential.py
--build /tmp/peers/venv``), in subprocesses on the same files in the same run.

    .venv/bin/python benchmarks/bench_psds.py [--rounds 3] [--peer-python PATH] [--synthetic-ops]
        [--only read|scores|ops] [--baseline-rev REV]

Measured in-process (compute only; ``--only scores`` / ``--only ops``, medians of 3 interleaved
rounds, 2 cores shared with other jobs at load average 5-8, 2 December 2026): exact PSDS1 + PSDS2
from the 1,168 score tables, avbench 0.31 s vs sed_scores_eval 24.4 s = 80x, ``|dPSDS| = 0`` (before
the frames below each class's false-positive floor were left out: 0.78 s vs 8.56 s = 10.9x at idle;
old and new avbench interleaved at load 6-7: 2.45 s vs 0.29 s); PSDS2 from the 50 real operating
points, avbench 0.086 s vs psds_eval 6.0 s = 70x.

Reading the 1,168 score tables (``--only read --rounds 7``, in-process medians of 7 interleaved
rounds, load average 0.8-1.1, 2 December 2026): the reader as issue #10 was filed (``bcd261f``)
0.431 s, the per-file reader 0.423 s, current cold cache 0.175 s (2.5x the issue-time reader; the
``.npz`` cache before gave 0.217 s, 1.9x), warm cache 0.019 s (22x); all four give the same tables.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _e2e import avbench_cli, catalogue_note, interleaved, last_json, load, row  # noqa: E402
from _psds_synth import synth_reference, synth_scores  # noqa: E402

from avbench.metrics.sed import io as sed_io  # noqa: E402
from avbench.metrics.sed._op_files import read_operating_point_columns  # noqa: E402
from avbench.metrics.sed.io import (  # noqa: E402
    ScoreTable, SedPredictions, clip_stem, read_durations_tsv, read_events_tsv, read_score_tables)
from avbench.metrics.sed.psd import psds  # noqa: E402

LABELS = sorted("Alarm_bell_ringing Blender Cat Dishes Dog Electric_shaver_toothbrush Frying Running_water "
                "Speech Vacuum_cleaner".split())
P1 = dict(dtc=0.7, gtc=0.7, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
P2 = dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
DESED = Path(__file__).resolve().parents[2] / "shared/reference/desed/DCASE-REPO_DESED_task/PSDS_Eval/meta"
REAL_OPS = DESED / "metrics_test" / "student" / "predictions_operating_points"

# in-process sed_scores_eval: read untimed, then the two PSDS timed
PEER_SSE = r'''
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from sed_scores_eval import intersection_based, io
d = sys.argv[1]
t = time.perf_counter()
scores = io.read_sed_scores(d + "/scores")
out = {"read_seconds": time.perf_counter() - t}
gt = io.read_ground_truth_events(d + "/gt.tsv"); dur = io.read_audio_durations(d + "/durations.tsv")
t = time.perf_counter()
out["psds1"] = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.7,
    gtc_threshold=.7, cttc_threshold=None, alpha_ct=0., alpha_st=1., max_efpr=100.)[0]
out["psds2"] = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.1,
    gtc_threshold=.1, cttc_threshold=.3, alpha_ct=.5, alpha_st=1., max_efpr=100.)[0]
out["seconds"] = time.perf_counter() - t
print(json.dumps(out))
'''

# what a sed_scores_eval user writes: python sse_user.py scores_dir gt.tsv durations.tsv
PEER_SSE_USER = r'''
import json, sys
from sed_scores_eval import intersection_based, io
scores = io.read_sed_scores(sys.argv[1])
gt = io.read_ground_truth_events(sys.argv[2])
dur = io.read_audio_durations(sys.argv[3])
p1 = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.7,
    gtc_threshold=.7, cttc_threshold=None, alpha_ct=0., alpha_st=1., max_efpr=100.)[0]
p2 = intersection_based.psds(scores=scores, ground_truth=gt, audio_durations=dur, dtc_threshold=.1,
    gtc_threshold=.1, cttc_threshold=.3, alpha_ct=.5, alpha_st=1., max_efpr=100.)[0]
print(json.dumps({"psds1": p1, "psds2": p2}))
'''

# in-process psds_eval on operating-point files: python pe.py gt.tsv durations.tsv ops_dir [both]
PEER_PE = r'''
import glob, json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from psds_eval import PSDSEval
gt = pd.read_csv(sys.argv[1], sep="\t"); meta = pd.read_csv(sys.argv[2], sep="\t")
ops = [pd.read_csv(f, sep="\t") for f in sorted(glob.glob(sys.argv[3] + "/*.tsv"))]
out = {}
t = time.perf_counter()
todo = {"psds2": (.1, .1, .5)} if len(sys.argv) < 5 else {"psds1": (.7, .7, 0.), "psds2": (.1, .1, .5)}
for name, (dtc, gtc, a_ct) in todo.items():
    ev = PSDSEval(dtc, gtc, .3, ground_truth=gt, metadata=meta)
    for op in ops:
        ev.add_operating_point(op)
    out[name] = ev.psds(a_ct, 1., 100.).value
out["seconds"] = time.perf_counter() - t
print(json.dumps(out))
'''

# what a psds_eval user writes: python pe_user.py gt.tsv durations.tsv ops_dir
PEER_PE_USER = r'''
import glob, json, sys
import pandas as pd
from psds_eval import PSDSEval
gt = pd.read_csv(sys.argv[1], sep="\t"); meta = pd.read_csv(sys.argv[2], sep="\t")
ev = PSDSEval(.1, .1, .3, ground_truth=gt, metadata=meta)
for f in sorted(glob.glob(sys.argv[3] + "/*.tsv")):
    ev.add_operating_point(pd.read_csv(f, sep="\t"))
print(json.dumps({"psds2": ev.psds(.5, 1., 100.).value}))
'''


def _peer(peer_python: str | None, code: str, *args: str) -> dict | None:
    if peer_python is None:
        return None
    res = subprocess.run([peer_python, "-c", code, *args], capture_output=True, text=True, timeout=3600)
    if res.returncode != 0:
        sys.exit(f"peer failed: {res.stderr.strip().splitlines()[-1:]}")
    return last_json(res.stdout)


def ratio_line(what: str, peer_s: float, av_s: float, target: float) -> str:
    r = peer_s / av_s
    return f"{what}: {r:.1f}x (target >= {target:g}x: {'met' if r >= target else 'NOT met'})"


# the score-table reader of an older avbench revision, timed in its own interpreter:
# python -S baseline_read.py SITE SCORES_DIR  (PYTHONPATH: SITE, then this venv's numpy)
BASELINE_READ = r"""
import hashlib, json, sys, time
site, d = sys.argv[1], sys.argv[2]
from avbench.metrics.sed import io
if not io.__file__.startswith(site):
    sys.exit(f"imported {io.__file__}, not the revision under {site}")
io.read_score_tables(d)  # warm-up, as the in-process readers have had
a, b = time.perf_counter(), time.process_time()
tables = io.read_score_tables(d)
out = {"seconds": time.perf_counter() - a, "cpu": time.process_time() - b}
h = hashlib.blake2b()
for k, t in tables.items():
    h.update(repr((k, t.classes, t.values.shape)).encode() + t.timestamps.tobytes() + t.values.tobytes())
out["digest"] = h.hexdigest()
print(json.dumps(out))
"""


def _digest(tables: dict[str, ScoreTable]) -> str:
    """What :data:`BASELINE_READ` prints for the same tables."""
    h = hashlib.blake2b()
    for k, t in tables.items():
        h.update(repr((k, t.classes, t.values.shape)).encode() + t.timestamps.tobytes() + t.values.tobytes())
    return h.hexdigest()


def baseline_site(rev: str, tmp: Path) -> Path | str:
    """An importable copy of avbench at git revision ``rev`` under ``tmp`` (its ``site`` folder), or why not.

    ``git archive rev`` is unpacked and each package copied where that revision's
    ``pyproject.toml`` maps it (``[tool.setuptools] package-dir``: ``avbench.metrics`` is
    ``metrics/``, and so on), which is what installing it would lay out, without building a wheel.
    """
    repo = Path(__file__).resolve().parents[1]
    git = shutil.which("git")
    if git is None:
        return "git not found"
    res = subprocess.run([git, "-C", str(repo), "archive", "--format=tar", f"{rev}^{{commit}}"], capture_output=True)
    if res.returncode != 0:
        return f"git archive {rev}: {res.stderr.decode(errors='replace').strip().splitlines()[-1:]}"
    src, site = tmp / "src", tmp / "site"
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tar:
        tar.extractall(src, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    try:
        dirs = tomllib.loads((src / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as e:
        return f"{rev}: no [tool.setuptools] package-dir in its pyproject.toml ({e})"
    for pkg, folder in sorted(dirs.items(), key=lambda kv: kv[0].count(".")):  # avbench first, then into it
        shutil.copytree(src / folder, site.joinpath(*pkg.split(".")), dirs_exist_ok=True)
    return site


def bench_reading(d: Path, rounds: int, baseline_rev: str | None) -> None:
    """Reading the 1,168 score tables: the reader when issue #10 was filed, the per-file reader, cold and warm cache.

    The issue-time reader (``--baseline-rev``) runs in a fresh interpreter per round (``python -S``
    with that revision first on ``PYTHONPATH`` and this venv's numpy after it), timed inside around
    one ``read_score_tables`` call after an untimed one, interleaved with the in-process readers;
    its tables are compared with the current reader's through a digest of every clip's name,
    classes, boundaries and scores.
    """
    files = sorted(f for f in (d / "scores").iterdir() if f.suffix == ".tsv")
    cache = d / "cache"
    os.environ["XDG_CACHE_HOME"] = str(cache)
    names = ["per-file reader", "current, cold cache", "current, warm cache"]
    t: dict[str, list[float]] = {n: [] for n in names}
    c: dict[str, list[float]] = {n: [] for n in names}
    base_cmd, base_name, base_digest = None, f"issue #10 time ({baseline_rev})", None
    tmp = Path(tempfile.mkdtemp())
    try:
        site = baseline_site(baseline_rev, tmp) if baseline_rev else "no --baseline-rev"
        if isinstance(site, str):
            print(f"read: the reader as issue #10 was filed is not timed: {site}")
        else:
            (tmp / "baseline_read.py").write_text(BASELINE_READ)
            np_site = str(Path(np.__file__).resolve().parents[1])
            base_cmd = ([sys.executable, "-S", str(tmp / "baseline_read.py"), str(site), str(d / "scores")],
                        {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), np_site])})
            names.insert(0, base_name)
            t[base_name], c[base_name] = [], []

        def timed(name: str, fn):
            a, b = time.perf_counter(), time.process_time()
            out = fn()
            t[name].append(time.perf_counter() - a)
            c[name].append(time.process_time() - b)
            return out

        for _ in range(rounds):
            if base_cmd is not None:
                res = subprocess.run(base_cmd[0], env=base_cmd[1], capture_output=True, text=True, timeout=600)
                if res.returncode != 0:
                    sys.exit(f"issue-time reader failed: {res.stderr.strip().splitlines()[-1:]}")
                got = last_json(res.stdout)
                t[base_name].append(got["seconds"])
                c[base_name].append(got["cpu"])
                base_digest = got["digest"]
            before = timed(names[-3], lambda: sed_io._read_score_files(d / "scores", files))
            shutil.rmtree(cache, ignore_errors=True)
            cold = timed(names[-2], lambda: read_score_tables(d / "scores"))
            warm = timed(names[-1], lambda: read_score_tables(d / "scores"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    same = all(before[k].values.tobytes() == x[k].values.tobytes() and
               before[k].timestamps.tobytes() == x[k].timestamps.tobytes() for x in (cold, warm) for k in before)
    for name in names:
        print(row(f"read {len(files)} score tables, {name:26s}", t[name], c[name]))
    med = {k: statistics.median(v) for k, v in t.items()}
    mc = {k: statistics.median(v) for k, v in c.items()}
    same_base = "" if base_digest is None else f", same as the issue-time reader's {base_digest == _digest(cold)}"
    print(f"read: identical tables (per-file, cold, warm) {same}{same_base}")
    for old in names[:-2]:
        print(f"read: {old} / " + "; ".join(
            ratio_line(new.removeprefix("current, "), med[old], med[new], 5) + f" wall, {mc[old] / mc[new]:.1f}x CPU"
            for new in names[-2:]))


def bench_scores(d: Path, peer_python: str | None, rounds: int) -> None:
    """Exact PSDS1 + PSDS2 from score tables, in-process and end to end."""
    ref = {clip_stem(k): v for k, v in read_events_tsv(d / "gt.tsv").items()}
    dur = {clip_stem(k): v for k, v in read_durations_tsv(d / "durations.tsv").items()}
    tables = read_score_tables(d / "scores")
    kw = dict(durations=dur, labels=LABELS, time_decimals=6)  # = the sed_scores_eval profile

    def both() -> tuple[float, float]:
        # one predictions object per call: what PSDS1 builds (detection trees) serves PSDS2, as in
        # one `avbench evaluate`, but nothing carries over between calls
        pred = SedPredictions(scores=tables)
        return psds(ref, pred, **kw, **P1).overall["psds"], psds(ref, pred, **kw, **P2).overall["psds"]

    both()  # warm-up
    av, pe, peer = [], [], None
    for _ in range(rounds):
        a = time.perf_counter()
        a1, a2 = both()
        av.append(time.perf_counter() - a)
        peer = _peer(peer_python, PEER_SSE, str(d))
        if peer:
            pe.append(peer["seconds"])
    print(row(f"in-process exact PSDS1+PSDS2, avbench        (PSDS1 {a1:.6f} PSDS2 {a2:.6f})", av))
    if peer:
        print(row(f"in-process exact PSDS1+PSDS2, sed_scores_eval (PSDS1 {peer['psds1']:.6f} PSDS2 "
                  f"{peer['psds2']:.6f})", pe))
        print(f"in-process: |dPSDS| {max(abs(a1 - peer['psds1']), abs(a2 - peer['psds2'])):.1e}; "
              + ratio_line("sed_scores_eval / avbench", statistics.median(pe), statistics.median(av), 30)
              + f"; sed_scores_eval read its tables in {peer['read_seconds']:.2f} s")
    cache = d / "cache-e2e"
    cli = [*avbench_cli(), "evaluate", "-r", str(d / "gt.tsv"), "-p", str(d / "scores"), "--durations",
           str(d / "durations.tsv"), "-m", "psds1,psds2", "-o", "profile=sed_scores_eval", "-q"]
    cmds = {"avbench, cold cache (first read)": [*cli, "--json", str(d / "o1.json")],
            "avbench, warm cache": [*cli, "--json", str(d / "o2.json")]}
    env = {"avbench, cold cache (first read)": {"XDG_CACHE_HOME": str(cache / "cold")},
           "avbench, warm cache": {"XDG_CACHE_HOME": str(cache / "warm")}}
    before = {"avbench, cold cache (first read)": lambda: shutil.rmtree(cache / "cold", ignore_errors=True)}
    if peer_python:
        (d / "sse_user.py").write_text(PEER_SSE_USER)
        cmds["sed_scores_eval script"] = [peer_python, str(d / "sse_user.py"), str(d / "scores"), str(d / "gt.tsv"),
                                          str(d / "durations.tsv")]
    cpu: dict[str, list[float]] = {}
    times, out = interleaved(cmds, rounds, before=before, env=env, cpu=cpu)
    for name, ts in times.items():
        print(row(f"end to end PSDS1+PSDS2 from scores, {name:32s}", ts, cpu[name]))
    rep = json.loads((d / "o1.json").read_text())["metrics"]
    v1, v2 = rep["psds1"]["overall"]["psds"], rep["psds2"]["overall"]["psds"]
    if peer_python:
        pv = last_json(out["sed_scores_eval script"])
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"end to end: avbench PSDS1 {v1:.6f} PSDS2 {v2:.6f}, sed_scores_eval PSDS1 {pv['psds1']:.6f} PSDS2 "
              f"{pv['psds2']:.6f} (|d| {max(abs(v1 - pv['psds1']), abs(v2 - pv['psds2'])):.1e})")
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        for name in ("avbench, cold cache (first read)", "avbench, warm cache"):
            print("end to end: " + ratio_line(f"sed_scores_eval script / {name}", med["sed_scores_eval script"],
                                               med[name], 5)
                  + f" wall, {med_cpu['sed_scores_eval script'] / med_cpu[name]:.1f}x CPU")


def bench_real_ops(peer_python: str | None, rounds: int) -> None:
    """PSDS2 from the DCASE 2021 baseline's 50 operating points of DESED validation."""
    gt, durs = DESED / "validation.tsv", DESED / "validation_durations.tsv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = read_events_tsv(gt)
        dur = read_durations_tsv(durs)
    cols = read_operating_point_columns(REAL_OPS)
    kw = dict(durations=dur, labels=LABELS, time_decimals=None, no_reference_class="drop")  # the psds_eval profile

    def p2() -> float:
        return psds(ref, SedPredictions(operating_points=cols), **kw, **P2).overall["psds"]

    p2()
    av, pe, peer = [], [], None
    for _ in range(rounds):
        a = time.perf_counter()
        v = p2()
        av.append(time.perf_counter() - a)
        peer = _peer(peer_python, PEER_PE, str(gt), str(durs), str(REAL_OPS))
        if peer:
            pe.append(peer["seconds"])
    n_det = int(cols.op.size)
    print(row(f"in-process PSDS2 from 50 real DESED ops ({n_det} detections), avbench   (PSDS2 {v:.6f})", av))
    if peer:
        print(row(f"in-process PSDS2 from 50 real DESED ops ({n_det} detections), psds_eval (PSDS2 "
                  f"{peer['psds2']:.6f})", pe))
        print("in-process: " + ratio_line("psds_eval / avbench", statistics.median(pe), statistics.median(av), 30)
              + f"; |dPSDS2| {abs(v - peer['psds2']):.1e}")
    tmp = Path(tempfile.mkdtemp())
    try:
        cli = [*avbench_cli(), "evaluate", "-r", str(gt), "-p", str(REAL_OPS), "--durations", str(durs), "-m", "psds2",
               "-q"]
        cmds = {"avbench -o profile=psds_eval": [*cli, "-o", "profile=psds_eval", "--json", str(tmp / "o1.json")],
                "avbench (default profile)": [*cli, "--json", str(tmp / "o2.json")]}
        if peer_python:
            (tmp / "pe_user.py").write_text(PEER_PE_USER)
            cmds["psds_eval script"] = [peer_python, str(tmp / "pe_user.py"), str(gt), str(durs), str(REAL_OPS)]
        cpu: dict[str, list[float]] = {}
        times, out = interleaved(cmds, rounds, cpu=cpu)
        for name, ts in times.items():
            print(row(f"end to end PSDS2 from 50 real ops, {name:28s}", ts, cpu[name]))
        v1 = json.loads((tmp / "o1.json").read_text())["metrics"]["psds2"]["overall"]["psds"]
        if peer_python:
            pv = last_json(out["psds_eval script"])["psds2"]
            med = {k: statistics.median(x) for k, x in times.items()}
            print(f"end to end: avbench PSDS2 {v1:.6f}, psds_eval PSDS2 {pv:.6f} (|d| {abs(v1 - pv):.1e})")
            med_cpu = {k: statistics.median(x) for k, x in cpu.items()}
            for name in ("avbench -o profile=psds_eval", "avbench (default profile)"):
                print("end to end: " + ratio_line(f"psds_eval script / {name}", med["psds_eval script"], med[name], 10)
                      + f" wall, {med_cpu['psds_eval script'] / med_cpu[name]:.1f}x CPU")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_synthetic_ops(d: Path, peer_python: str | None) -> None:
    """PSDS1 + PSDS2 from 50 synthetic operating points (2 M detections), in-process, one round."""
    ref = {clip_stem(k): v for k, v in read_events_tsv(d / "gt.tsv").items()}
    dur = {clip_stem(k): v for k, v in read_durations_tsv(d / "durations.tsv").items()}
    a = time.perf_counter()
    cols = read_operating_point_columns(d / "ops")
    t_read = time.perf_counter() - a
    cols = cols.renamed([clip_stem(c) for c in cols.clips])
    kw = dict(durations=dur, labels=LABELS, time_decimals=None)
    a = time.perf_counter()
    pred = SedPredictions(operating_points=cols)
    v1, v2 = psds(ref, pred, **kw, **P1).overall["psds"], psds(ref, pred, **kw, **P2).overall["psds"]
    t_av = time.perf_counter() - a
    print(f"synthetic 50 ops ({cols.op.size} detections): avbench PSDS1 {v1:.6f} PSDS2 {v2:.6f} in {t_av:.2f} s "
          f"(reading {t_read:.2f} s)")
    peer = _peer(peer_python, PEER_PE, str(d / "gt.tsv"), str(d / "durations.tsv"), str(d / "ops"), "both")
    if peer:
        print(f"synthetic 50 ops: psds_eval PSDS1 {peer['psds1']:.6f} PSDS2 {peer['psds2']:.6f} in "
              f"{peer['seconds']:.2f} s; " + ratio_line("psds_eval / avbench", peer["seconds"], t_av, 30))


def write_inputs(d: Path, n_clips: int, *, ops: bool = False) -> None:
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
    op_rows = {th: ["filename\tonset\toffset\tevent_label"] for th in np.round(np.linspace(0.01, 0.99, 50), 2)}
    for clip, (ts, v) in scores.items():
        table = ScoreTable(ts, v, tuple(LABELS)).trimmed(float(dur[clip]))  # no frame starts past the clip's end
        ts, v = table.timestamps, table.values
        body = np.column_stack([ts[:-1], ts[1:], v])
        np.savetxt(d / "scores" / f"{clip_stem(clip)}.tsv", body, delimiter="\t", header=head, comments="", fmt="%.6g")
        if not ops:
            continue
        for th, lines in op_rows.items():
            act = np.vstack([np.zeros((1, len(LABELS)), bool), v > th, np.zeros((1, len(LABELS)), bool)])
            for c, lab in enumerate(LABELS):
                ch = np.flatnonzero(act[1:, c] != act[:-1, c])
                lines += [f"{clip_stem(clip)}.wav\t{ts[a]:.6g}\t{ts[b]:.6g}\t{lab}" for a, b in zip(ch[::2], ch[1::2])]
    for th, lines in op_rows.items() if ops else ():
        (d / "ops" / f"predictions_th_{th:.2f}.tsv").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=1168)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are printed")
    ap.add_argument("--peer-python", default="/tmp/peers/venv/bin/python",
                    help="python of the peer venv (python benchmarks/peers/differential.py --build /tmp/peers/venv)")
    ap.add_argument("--synthetic-ops", action="store_true", help="also 50 synthetic operating points (slow peer)")
    ap.add_argument("--only", choices=["read", "scores", "ops"], help="run one part")
    ap.add_argument("--baseline-rev", default="bcd261f",
                    help="git revision whose score-table reader is the 'before' of issue #10 (the layout commit "
                         "just before the issue was addressed); '' skips it")
    args = ap.parse_args()
    peer = args.peer_python if Path(args.peer_python).exists() else None
    if peer is None:
        print(f"peer venv {args.peer_python} not found: peers skipped (benchmarks/peers/differential.py --build)")
    print(load())
    print(catalogue_note())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_inputs(d, args.clips, ops=args.synthetic_ops)
        print(f"inputs: {args.clips} clips, {len(LABELS)} classes, 156 frames per score table")
        if args.only in (None, "read"):
            bench_reading(d, max(args.rounds, 3), args.baseline_rev or None)
            print(load())
        if args.only in (None, "scores"):
            bench_scores(d, peer, args.rounds)
            print(load())
        if args.synthetic_ops:
            bench_synthetic_ops(d, peer)
    if args.only in (None, "ops") and DESED.is_dir():
        bench_real_ops(peer, args.rounds)
        print(load())


if __name__ == "__main__":
    main()
