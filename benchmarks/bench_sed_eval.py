"""Speed of segment-based + event-based F1: avbench vs sed_eval 0.2.1 on the same inputs, same run.

Inputs: DESED-validation scale, synthetic and seeded: 1,168 clips of 10 s, 10 classes, about 3.6
reference events per clip (lengths 0.3-10 s) and system events derived from them (jittered
boundaries, some label swaps, misses and false alarms). Both tools compute segment-based (1 s) and
event-based (collar 0.2 s, 20 %) F1 with sed_eval's rules (avbench ``-o profile=sed_eval``), and
the values are checked equal. Two figures, each the median over ``--rounds`` interleaved rounds
(the tools alternate, so load changes hit both), with the load average printed:

- **end to end**, as a user runs it: ``avbench evaluate -r gt.tsv -p det.tsv -m segment_f1,event_f1
  -o profile=sed_eval --json out.json`` against the script a sed_eval user writes (``python
  peer.py gt.tsv det.tsv``: ``sed_eval.io.load_event_list`` on both files, the events grouped by
  file in one pass, ``SegmentBasedMetrics`` / ``EventBasedMetrics`` per file, the overall F printed),
  each a fresh interpreter (start-up, imports and reading included). avbench's default profile
  (its own definitions, with sed_eval's values computed beside them where a deviation fired) is
  timed too;
- **in-process**, compute only: the two metrics on events already in memory (avbench:
  ``{clip: [Event]}``; sed_eval: per-file lists of dicts), reading and start-up excluded.

sed_eval runs in its own venv (``--peer-python``, built by ``python benchmarks/peers/differential.py
--build /tmp/peers/venv``); without it the peer part is skipped with a message.

Run: ``python benchmarks/bench_sed_eval.py [--peer-python /tmp/peers/venv/bin/python] [--rounds 5]``

Measured on 2 December 2026 (2 cores, load average 0.5-0.8, ``--rounds 9``): end to end avbench
``-o profile=sed_eval`` 0.151 s vs the sed_eval script 1.535-1.551 s (10.2-10.3x wall, 11.0-11.1x
CPU; the default profile the same), in-process 17.4 ms vs 1,178 ms (68x), values equal. Of
avbench's 0.15 s, about 0.02 s is the interpreter, 0.05 s numpy's import, 0.04 s the CLI and
report modules and 0.04 s reading and scoring; before this stop's start-up work (lazy command
modules, one OpenBLAS thread, no interpreter teardown, no file hashing for the catalogue, no
``tempfile``) it was 0.168 s (8.5x) at load 0.8.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _e2e import avbench_cli, catalogue_note, interleaved, last_json, load, row  # noqa: E402

from avbench.metrics.sed.event import event_based  # noqa: E402
from avbench.metrics.sed.segment import segment_based  # noqa: E402
from avbench.model import Event  # noqa: E402

LABELS = ["Alarm_bell_ringing", "Blender", "Cat", "Dishes", "Dog", "Electric_shaver_toothbrush", "Frying",
          "Running_water", "Speech", "Vacuum_cleaner"]

PEER = r"""
import json, sys, time
import sed_eval
data = json.load(open(sys.argv[1]))
labels, ref, est = data["labels"], data["reference"], data["estimated"]
def recs(clip, rows):
    return [{"filename": clip, "onset": a, "offset": b, "event_label": c} for a, b, c in rows]
files = [(recs(c, ref[c]), recs(c, est.get(c, []))) for c in ref]
t = time.perf_counter()
seg = sed_eval.sound_event.SegmentBasedMetrics(labels, time_resolution=1.0)
ev = sed_eval.sound_event.EventBasedMetrics(labels, t_collar=0.2, percentage_of_length=0.2)
for r, e in files:
    seg.evaluate(r, e)
    ev.evaluate(r, e)
s, v = seg.results_overall_metrics(), ev.results_overall_metrics()
print(json.dumps({"seconds": time.perf_counter() - t, "segment_f1": s["f_measure"]["f_measure"],
                  "event_f1": v["f_measure"]["f_measure"]}))
"""

# What a sed_eval user writes to score two DCASE TSVs (read with sed_eval's own reader).
PEER_FILES = r"""
import json, sys
import sed_eval
ref = sed_eval.io.load_event_list(sys.argv[1])
est = sed_eval.io.load_event_list(sys.argv[2])
labels = sorted(ref.unique_event_labels)
by_file = {}
for item in ref:
    by_file.setdefault(item.filename, ([], []))[0].append(item)
for item in est:
    by_file.setdefault(item.filename, ([], []))[1].append(item)
seg = sed_eval.sound_event.SegmentBasedMetrics(labels, time_resolution=1.0)
ev = sed_eval.sound_event.EventBasedMetrics(labels, t_collar=0.2, percentage_of_length=0.2)
for r, e in by_file.values():
    r = [x for x in r if x.event_label]
    seg.evaluate(r, e)
    ev.evaluate(r, e)
print(json.dumps({"segment_f1": seg.results_overall_metrics()["f_measure"]["f_measure"],
                  "event_f1": ev.results_overall_metrics()["f_measure"]["f_measure"]}))
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


def _params(metric_id: str) -> dict:
    from avbench import registry
    from avbench.metrics.sed.profiles import profile_params

    cfg = registry.metric(metric_id)
    return profile_params("sed_eval", metric_id, set(inspect.signature(cfg.compute).parameters))


def run_avbench(ref: dict, est: dict) -> tuple[float, float, float]:
    """Seconds of one segment + event computation (events in memory, sed_eval's profile), and the two F1."""
    r = {c: [Event(a, b, lab) for a, b, lab in rows] for c, rows in ref.items()}
    e = {c: [Event(a, b, lab) for a, b, lab in rows] for c, rows in est.items()}
    ps, pe = _params("segment_f1"), _params("event_f1")
    t = time.perf_counter()
    s = segment_based(r, e, labels=LABELS, durations=None, **ps)
    v = event_based(r, e, labels=LABELS, durations=None, percentage_of_length=0.2, **pe)
    return time.perf_counter() - t, s.overall["f1"], v.overall["f1"]


def write_files(d: Path, ref: dict, est: dict) -> None:
    """``gt.tsv`` (a clip without events as a file-name-only row) and ``det.tsv``, DCASE layout."""
    head = "filename\tonset\toffset\tevent_label\n"
    (d / "gt.tsv").write_text(head + "".join(
        "".join(f"{c}\t{a}\t{b}\t{lab}\n" for a, b, lab in rows) or f"{c}\t\t\t\n" for c, rows in ref.items()))
    (d / "det.tsv").write_text(head + "".join(f"{c}\t{a}\t{b}\t{lab}\n" for c, rows in est.items()
                                              for a, b, lab in rows))


def in_process(ref: dict, est: dict, peer_python: str | None, rounds: int, tmp: Path) -> None:
    inp = tmp / "in.json"
    inp.write_text(json.dumps({"labels": LABELS, "reference": ref, "estimated": est}))
    script = tmp / "peer_inproc.py"
    script.write_text(PEER)
    av, pe, peer = [], [], None
    run_avbench(ref, est)  # warm-up: lazily imported helpers, allocator
    for _ in range(rounds):
        t_av, seg_f1, ev_f1 = run_avbench(ref, est)
        av.append(t_av)
        if peer_python:
            proc = subprocess.run([peer_python, str(script), str(inp)], capture_output=True, text=True, timeout=3600)
            if proc.returncode != 0:
                sys.exit(f"sed_eval failed: {proc.stderr.strip().splitlines()[-1:]}")
            peer = last_json(proc.stdout)
            pe.append(peer["seconds"])
    print(f"in-process avbench : {statistics.median(av) * 1000:8.1f} ms median of {rounds} "
          f"(segment F1 {seg_f1:.6f}, event F1 {ev_f1:.6f})")
    if peer is None:
        return
    print(f"in-process sed_eval: {statistics.median(pe) * 1000:8.1f} ms median of {rounds} "
          f"(segment F1 {peer['segment_f1']:.6f}, event F1 {peer['event_f1']:.6f})")
    same = peer["segment_f1"] == seg_f1 and peer["event_f1"] == ev_f1
    ratio = statistics.median(pe) / statistics.median(av)
    print(f"in-process: same values {same}; sed_eval / avbench = {ratio:.0f}x (target >= 30x: "
          f"{'met' if ratio >= 30 else 'NOT met'})")


def end_to_end(peer_python: str | None, rounds: int, tmp: Path) -> None:
    gt, det = str(tmp / "gt.tsv"), str(tmp / "det.tsv")
    cli = [*avbench_cli(), "evaluate", "-r", gt, "-p", det, "-m", "segment_f1,event_f1", "-q"]
    cmds = {"avbench -o profile=sed_eval": [*cli, "-o", "profile=sed_eval", "--json", str(tmp / "out1.json")],
            "avbench (default profile)": [*cli, "--json", str(tmp / "out2.json")]}
    if peer_python:
        (tmp / "peer_files.py").write_text(PEER_FILES)
        cmds["sed_eval script"] = [peer_python, str(tmp / "peer_files.py"), gt, det]
    cpu: dict[str, list[float]] = {}
    times, out = interleaved(cmds, rounds, cpu=cpu)
    for name, ts in times.items():
        print(row(f"end to end {name:28s}", ts, cpu[name]))
    rep = json.loads((tmp / "out1.json").read_text())
    av = {k: r["overall"]["f1"] for k, r in rep["metrics"].items()}
    print(f"avbench -o profile=sed_eval: segment F1 {av['segment_f1']:.6f}, event F1 {av['event_f1']:.6f}")
    if not peer_python:
        return
    peer = last_json(out["sed_eval script"])
    print(f"sed_eval script            : segment F1 {peer['segment_f1']:.6f}, event F1 {peer['event_f1']:.6f}")
    same = peer["segment_f1"] == av["segment_f1"] and peer["event_f1"] == av["event_f1"]
    med = {n: statistics.median(ts) for n, ts in times.items()}
    med_cpu = {n: statistics.median(ts) for n, ts in cpu.items()}
    for name in ("avbench -o profile=sed_eval", "avbench (default profile)"):
        ratio = med["sed_eval script"] / med[name]
        print(f"end to end: sed_eval script / {name} = {ratio:.1f}x wall (target >= 10x: "
              f"{'met' if ratio >= 10 else 'NOT met'}), {med_cpu['sed_eval script'] / med_cpu[name]:.1f}x CPU")
    print(f"end to end: same values (profile sed_eval) {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-python", default="/tmp/peers/venv/bin/python",
                    help="python of the peer venv (python benchmarks/peers/differential.py --build /tmp/peers/venv)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are printed")
    ap.add_argument("--clips", type=int, default=1168)
    args = ap.parse_args()
    peer = args.peer_python if Path(args.peer_python).exists() else None
    if peer is None:
        print(f"sed_eval: skipped, no peer python at {args.peer_python} (see benchmarks/peers/differential.py --build)")
    ref, est = synth(0, args.clips)
    n_ref, n_est = sum(map(len, ref.values())), sum(map(len, est.values()))
    print(f"inputs: {len(ref)} clips x 10 s, {len(LABELS)} classes, {n_ref} reference / {n_est} system events")
    print(load())
    print(catalogue_note())
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), ref, est)
        end_to_end(peer, args.rounds, Path(tmp))
        print(load())
        in_process(ref, est, peer, args.rounds, Path(tmp))
    print(load())


if __name__ == "__main__":
    main()
