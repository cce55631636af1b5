"""Freeze the official DCASE SELD metric outputs on seeded random inputs (tests/metrics/seld/data/*.json).

Run with the old-numpy peer environment, never from the avbench venv::

    python3 -m venv /work/peers/seld/venv   # Python 3.10
    /work/peers/seld/venv/bin/pip install numpy==1.23.5 scipy==1.10.1
    # official code checkouts (not committed) under /work/peers/seld/src/<owner>+<repo>/
    /work/peers/seld/venv/bin/python benchmarks/peers/make_seld_fixtures.py [--editions 2023,2024]

For each edition it writes random reference/prediction CSVs (in the layout that edition's scripts
read) to a temporary folder, runs the official metric classes and drivers on them, and stores the
CSV texts with the official numbers. Heavy imports of the baseline repositories that play no part
in scoring (torch, librosa, cv2, IPython, sklearn, matplotlib) are replaced by inert stubs. The
2019 and 2020 drivers are scripts, so their ~10-line scoring loops are mirrored here; every metric
formula runs from the official modules.

2019 also gets ``edge_cases`` (an empty prediction set, an empty reference set, and empty predictions for
the real TAU-SSE 2019 files in ``../shared/reference``, stored by path, not copied): the official code gives
nan / inf there, stored as the strings ``"nan"`` / ``"inf"``.

Reproducibility: numpy 1.23.5 on an AVX-512 CPU uses its SIMD ``sin``/``cos``, which differ from other
builds by an ulp; through ``arccos`` near 1 this moves the 2019 DOA error between machines (measured: the
2019 cases regenerated on a Xeon with AVX-512 differ from the frozen ones by 2e-8 to 4.8e-7 degrees, ER, F
and frame recall equal). Keep frozen cases whose inputs did not change when adding new ones.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from unittest import mock

SRC = Path(os.environ.get("SELD_PEERS", "/work/peers/seld/src"))
OUT = Path(__file__).resolve().parents[2] / "tests" / "metrics" / "seld" / "data"
REPOS = {
    "2019": "sharathadavanne+seld-dcase2019",
    "2020": "sharathadavanne+seld-dcase2020",
    "2021": "sharathadavanne+seld-dcase2021",
    "2022": "sharathadavanne+seld-dcase2022",
    "2023": "sharathadavanne+seld-dcase2023",
    "2024": "partha2409+DCASE2024_seld_baseline",
    "2025": "partha2409+DCASE2025_seld_baseline",
}
STUBS = ("IPython", "librosa", "sklearn", "joblib", "matplotlib", "cv2", "PIL", "torch", "cls_vid_features",
         "tensorboard", "keras")
N_CASES = 10


class _Stubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in STUBS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        m = types.ModuleType(spec.name)
        m.__path__ = []
        m.__getattr__ = lambda attr: mock.MagicMock(name=f"{spec.name}.{attr}")
        return m

    def exec_module(self, module):
        pass


# ----------------------------------------------------------------------------- random inputs
def _events(rng, n_frames, classes, n_events, max_len):
    ev = []
    for _ in range(n_events):
        c = int(rng.choice(classes))
        s = int(rng.integers(0, n_frames - 1))
        ln = int(rng.integers(1, max_len))
        az, el = float(rng.uniform(-180, 180)), float(rng.uniform(-60, 60))
        ev.append([c, s, min(n_frames, s + ln), az, el, float(rng.uniform(50, 500)), int(rng.integers(0, 2))])
    return ev


def _perturb(rng, events, n_frames, classes):
    out = []
    for c, s, e, az, el, d, on in events:
        if rng.random() < 0.15:
            continue  # missed
        s2 = max(0, s + int(rng.integers(-2, 3)))
        e2 = min(n_frames, max(s2 + 1, e + int(rng.integers(-2, 3))))
        noise = float(rng.choice([3.0, 12.0, 35.0]))
        out.append([c, s2, e2, az + float(rng.normal(0, noise)), float(max(-89, min(89, el + rng.normal(0, noise / 2)))),
                    d * float(rng.uniform(0.3, 2.5)), on if rng.random() < 0.8 else 1 - on])
    out += _events(rng, n_frames, classes, int(rng.integers(0, 4)), 15)  # false alarms
    return out


def _rows(events, drift):
    rows = []
    for k, (c, s, e, az, el, d, on) in enumerate(events):
        for f in range(s, e):
            a = (az + drift * (f - s) + 180) % 360 - 180
            rows.append((f, c, k % 3, a, el, d, on))
    rows.sort(key=lambda r: r[0])
    return rows


def _case(rng, year):
    n_files = int(rng.integers(2, 4))
    classes = list(range(4)) if year != "2019" else list(range(11))
    files = {}
    for i in range(n_files):
        n_frames = int(rng.integers(30, 70)) if year != "2019" else int(rng.integers(150, 400))
        ref = _events(rng, n_frames, classes, int(rng.integers(2, 7)), 25 if year != "2019" else 120)
        pred = _perturb(rng, ref, n_frames, classes)
        files[f"fold4_room{i + 1}_mix00{i + 1}.csv"] = (ref, pred, n_frames)
    return files


def _fmt(rows, kind):
    import numpy as np

    lines = []
    for f, c, t, az, el, d, on in rows:
        if kind == "polar5":
            lines.append(f"{f},{c},{t},{az:.4f},{el:.4f}")
        elif kind == "polar6cm":
            lines.append(f"{f},{c},{t},{az:.4f},{el:.4f},{d:.1f}")
        elif kind == "polar6m":
            lines.append(f"{f},{c},{t},{az:.4f},{el:.4f},{d / 100:.4f}")
        elif kind in ("cart6", "cart7"):
            a, e = np.radians(az), np.radians(el)
            x, y, z = np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)
            lines.append(f"{f},{c},{t},{x:.6f},{y:.6f},{z:.6f}" + (f",{d / 100:.4f}" if kind == "cart7" else ""))
        elif kind == "stereo":
            lines.append(f"{f},{c},{t},{int(round(az))},{int(round(d))},{on}")
        elif kind == "int4":
            lines.append(f"{f},{c},{int(round(az))},{int(round(max(-40, min(40, el))))}")
    head = "frame,class,source,azimuth,distance,onscreen\n" if kind == "stereo" else ""
    return head + "".join(ln + "\n" for ln in lines)


_NAMES19 = ["knock", "drawer", "clearthroat", "phone", "keysDrop", "speech", "keyboard", "pageturn", "cough",
            "doorslam", "laughter"]


def _interval(events):
    lines = ["sound_event_recording,start_time,end_time,ele,azi,dist"]
    for c, s, e, az, el, d, on in events:
        ele = int(round(max(-40, min(40, el)) / 10) * 10)
        azi = int(round(az / 10) * 10)
        azi = -180 if azi >= 180 else azi
        lines.append(f"{_NAMES19[c]},{s * 0.02 + 0.0071:.5f},{e * 0.02 - 0.0033:.5f},{ele},{azi},2")
    return "\n".join(lines) + "\n"


LAYOUT = {"2019": ("interval", "int4"), "2020": ("polar5", "cart6"), "2021": ("polar5", "cart6"),
          "2022": ("polar5", "cart6"), "2023": ("polar6cm", "cart7"), "2024": ("polar6cm", "polar6m"),
          "2025": ("stereo", "stereo")}


# ----------------------------------------------------------------------------- official runners
def _run(year, ref_dir, pred_dir):
    sys.path.insert(0, str(SRC / REPOS[year]))
    import numpy as np

    if year in ("2022", "2023", "2024"):
        import cls_compute_seld_results as ccsr
        import parameters

        params = parameters.get_params("1")
        params["average"] = "macro"
        res = ccsr.ComputeSELDResults(params, ref_files_folder=str(ref_dir))
        if year == "2024":
            out = res.get_SELD_Results(str(pred_dir), is_jackknife=False)
            er, f, ang, dist, rel, lr, seld, cw = out
            return {"error_rate": er, "f1": f, "localization_error": ang, "distance_error_m": dist,
                    "distance_error": rel, "localization_recall": lr, "seld_score": seld,
                    "class_wise": np.asarray(cw).tolist()}
        er, f, le, lr, seld, cw = res.get_SELD_Results(str(pred_dir), is_jackknife=False)
        jk = res.get_SELD_Results(str(pred_dir), is_jackknife=True)
        return {"error_rate": er, "f1": f, "localization_error": le, "localization_recall": lr, "seld_score": seld,
                "class_wise": np.asarray(cw).tolist(),
                "jackknife": {k: list(map(float, jk[i][1])) for i, k in enumerate(
                    ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"])}}
    if year == "2021":
        import cls_compute_seld_results as ccsr
        import parameter

        params = parameter.get_params("1")
        res = ccsr.ComputeSELDResults(params, ref_files_folder=str(ref_dir))
        er, f, le, lr, seld = res.get_SELD_Results(str(pred_dir))
        return {"error_rate": er, "f1": f, "localization_error": le, "localization_recall": lr, "seld_score": seld}
    if year == "2020":
        import cls_feature_class
        import parameter
        from metrics import SELD_evaluation_metrics as sem

        params = parameter.get_params("1")
        feat = cls_feature_class.FeatureClass(params)
        ev = sem.SELDMetrics(nb_classes=feat.get_nb_classes(), doa_threshold=params["lad_doa_thresh"])
        for pf in os.listdir(pred_dir):  # mirrors calculate_dev_results_from_dcase_output.py (polar)
            pred = feat.segment_labels(feat.convert_output_format_cartesian_to_polar(
                feat.load_output_format_file(os.path.join(pred_dir, pf))), feat.get_nb_frames())
            gt = feat.segment_labels(feat.load_output_format_file(os.path.join(ref_dir, "split", pf)), feat.get_nb_frames())
            ev.update_seld_scores(pred, gt)
        er, f, de, de_f = ev.compute_seld_scores()
        seld = sem.early_stopping_metric([er, f], [de, de_f])
        return {"error_rate": er, "f1": f, "localization_error": de, "localization_f1": de_f, "seld_score": seld}
    if year == "2019":
        import cls_feature_class
        from metrics import evaluation_metrics as em

        feat = cls_feature_class.FeatureClass()
        ev = em.SELDMetrics(nb_frames_1s=feat.nb_frames_1s(), data_gen=feat)
        for pf in os.listdir(pred_dir):  # mirrors calculate_SELD_metrics.py
            pred = em.load_output_format_file(os.path.join(pred_dir, pf))
            gt = feat.get_clas_labels_for_file(feat.read_desc_file(os.path.join(ref_dir, "split", pf)))
            pl = em.output_format_dict_to_classification_labels(pred, feat)
            ev.update_sed_scores(pl.max(2), gt.max(2))
            ev.update_doa_scores(pl, gt)
        er, f = ev.compute_sed_scores()
        doa, fr = ev.compute_doa_scores()
        seld = em.compute_seld_metric([er, f], [doa, fr])
        return {"error_rate": er, "f1": f, "localization_error": doa, "frame_recall": fr, "seld_score": seld}
    if year == "2025":
        import metrics as m25

        params = {"root_dir": str(ref_dir), "lad_doa_thresh": 20, "lad_dist_thresh": float("inf"),
                  "lad_reldist_thresh": 1.0, "lad_req_onscreen": True, "modality": "audio_visual",
                  "average": "macro", "nb_classes": 13}
        res = m25.ComputeSELDResults(params, ref_files_folder=str(ref_dir))
        f, ang, dist, rel, onscr, cw = res.get_SELD_Results(str(pred_dir))
        return {"f1": f, "localization_error": ang, "distance_error_abs": dist, "distance_error": rel,
                "onscreen_accuracy": onscr, "class_wise": np.asarray(cw).tolist()}
    raise SystemExit(f"unknown edition {year}")


def one(year: str) -> list:
    import numpy as np

    sys.meta_path.insert(0, _Stubs())
    rng = np.random.default_rng(int(year) * 7919)
    cases = []
    for k in range(N_CASES):
        files = _case(rng, year)
        rk, pk = LAYOUT[year]
        texts = {}
        for name, (ref, pred, n) in files.items():
            drift = float(rng.choice([0.0, 0.7]))
            rt = _interval(ref) if rk == "interval" else _fmt(_rows(ref, drift), rk)
            texts[name] = {"ref": rt, "pred": _fmt(_rows(pred, drift), pk)}
        names = sorted(texts)
        missing = [names[-1]] if k % 4 == 3 else []  # some cases: a reference without prediction
        expected = _run_texts(year, texts, missing)
        cases.append({"files": texts, "missing": missing, "official": _clean(expected)})
    return {"cases": cases, "edge_cases": _edges(year, cases[0]["files"]) if year == "2019" else []}



def _run_texts(year, texts, missing=()):
    """The official code's output on ``{name: {"ref": text, "pred": text}}`` written as its folders
    (references under ``ref/split/``, predictions flat), leaving out the predictions named in ``missing``."""
    with tempfile.TemporaryDirectory() as tmp:
        ref_dir, pred_dir = Path(tmp, "ref"), Path(tmp, "pred")
        (ref_dir / "split").mkdir(parents=True)
        pred_dir.mkdir()
        for name, t in texts.items():
            (ref_dir / "split" / name).write_text(t["ref"])
            if name not in missing:
                (pred_dir / name).write_text(t["pred"])
        return _run(year, ref_dir, pred_dir)


SHARED = Path(os.environ.get("AVBENCH_REFERENCE", Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"))
REAL19 = "seld/sharathadavanne_seld-dcase2019/test_files"  # real TAU-SSE 2019 metadata (not copied here)


def _edges(year, files):
    """2019 inputs with an empty side: what the official code prints there (NaN / inf kept as strings)."""
    header = _interval([])
    edges = [("empty predictions", {n: {"ref": t["ref"], "pred": ""} for n, t in files.items()}, None),
             ("empty reference", {n: {"ref": header, "pred": t["pred"]} for n, t in files.items()}, None)]
    real = SHARED / REAL19
    if real.is_dir():
        names = sorted(x.name for x in real.iterdir())
        edges.append(("empty predictions, real metadata",
                      {n: {"ref": (real / n).read_text(), "pred": ""} for n in names}, [f"{REAL19}/{n}" for n in names]))
    out = []
    for name, texts, real_paths in edges:
        expected = _run_texts(year, texts)
        case = {"name": name, "official": _clean(expected, keep_nonfinite=True)}
        if real_paths:  # the reference texts stay in ../shared; an empty prediction file per reference file
            case["reference_files"] = real_paths
        else:
            case["files"], case["missing"] = texts, []
        out.append(case)
    return out


def _clean(v, keep_nonfinite=False):
    import numpy as np

    if isinstance(v, dict):
        return {k: _clean(x, keep_nonfinite) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x, keep_nonfinite) for x in v]
    if isinstance(v, (np.floating, float)):
        if not np.isfinite(v):
            return repr(float(v)) if keep_nonfinite else None  # "nan", "inf"
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--editions", default=",".join(REPOS))
    ap.add_argument("--one", default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.one:  # the official scripts print to stdout: results go to a file
        Path(a.out).write_text(json.dumps(one(a.one)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for year in a.editions.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            res = Path(tmp, "out.json")
            proc = subprocess.run([sys.executable, __file__, "--one", year, "--out", str(res)], capture_output=True,
                                  text=True, cwd=SRC / REPOS[year])
            if proc.returncode:
                print(f"{year}: official code failed:\n{proc.stderr[-3000:]}")
                continue
            made = json.loads(res.read_text())
        src = REPOS[year].replace("+", "/")
        doc = {"edition": year, "source": src, "generator": "benchmarks/peers/make_seld_fixtures.py",
               "numpy": "1.23.5", "scipy": "1.10.1", "cases": made["cases"]}
        if made["edge_cases"]:
            doc["edge_cases"] = made["edge_cases"]
        (OUT / f"official_{year}.json").write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n")
        print(f"{year}: {len(made['cases'])} cases, {len(made['edge_cases'])} edge cases written")


if __name__ == "__main__":
    main()
