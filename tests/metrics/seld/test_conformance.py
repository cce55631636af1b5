"""Differential tests: avbench (compat="official") equals each edition's official DCASE SELD code.

The expected numbers were produced by the official metric code (old numpy, in its own venv) via
``benchmarks/peers/make_seld_fixtures.py`` and frozen in ``tests/metrics/seld/data/official_<year>.json``
together with the seeded random CSV inputs. Here the CSVs go through the same file path a user
takes (``seld_files.evaluate_files``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.metrics.seld import files as seld_files

DATA = Path(__file__).parent / "data"
KEYS = {
    "2019": ["error_rate", "f1", "localization_error", "frame_recall", "seld_score"],
    "2020": ["error_rate", "f1", "localization_error", "localization_f1", "seld_score"],
    "2021": ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"],
    "2022": ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"],
    "2023": ["error_rate", "f1", "localization_error", "localization_recall", "seld_score"],
    "2024": ["error_rate", "f1", "localization_error", "localization_recall", "distance_error",
             "distance_error_m", "seld_score"],
    "2025": ["f1", "localization_error", "distance_error", "onscreen_accuracy"],
}
CASES = [(y, k) for y in KEYS for k in range(len(json.loads((DATA / f"official_{y}.json").read_text())["cases"]))]


def _write(tmp_path: Path, case: dict) -> tuple[Path, Path]:
    ref, pred = tmp_path / "ref" / "dev-test", tmp_path / "pred"
    ref.mkdir(parents=True)
    pred.mkdir()
    for name, texts in case["files"].items():
        (ref / name).write_text(texts["ref"])
        if name not in case["missing"]:
            (pred / name).write_text(texts["pred"])
    return ref.parent, pred


@pytest.mark.parametrize("year,k", CASES, ids=[f"{y}-case{k}" for y, k in CASES])
def test_equals_official_code(tmp_path: Path, year: str, k: int) -> None:
    case = json.loads((DATA / f"official_{year}.json").read_text())["cases"][k]
    ref, pred = _write(tmp_path, case)
    report = seld_files.evaluate_files([f"seld-dcase{year}"], reference=ref, predictions=pred,
                                       options={"compat": "official"}, allow_missing=True)
    got = report.results[0]
    for key in KEYS[year]:
        assert got.overall[key] == pytest.approx(case["official"][key], abs=1e-9, rel=0), key
    if "jackknife" in case["official"] and "confidence_intervals" in got.extra:
        for key, (lo, hi) in case["official"]["jackknife"].items():
            ci = got.extra["confidence_intervals"][key]
            # t quantiles of scipy 1.10 (official run) and today's scipy differ in the ~12th digit,
            # so intervals are compared to 1e-9 of their width
            assert (ci["low"], ci["high"]) == pytest.approx((lo, hi), rel=0, abs=1e-9 * max(1.0, hi - lo)), key
    assert report.coverage["missing_predictions"] == case["missing"]


def test_official_class_wise_2023(tmp_path: Path) -> None:
    case = json.loads((DATA / "official_2023.json").read_text())["cases"][0]
    ref, pred = _write(tmp_path, case)
    got = seld_files.evaluate_files(["seld-dcase2023"], reference=ref, predictions=pred,
                                    options={"compat": "official"}).results[0]
    er, f, le, lr, seld = case["official"]["class_wise"]
    for c in range(13):
        cw = got.class_wise[str(c)]
        assert (cw["f1"], cw["localization_error"], cw["localization_recall"], cw["seld_score"]) == pytest.approx(
            (f[c], le[c], lr[c], seld[c]), abs=1e-9)


EDGES_2019 = json.loads((DATA / "official_2019.json").read_text()).get("edge_cases", [])
SUBSTITUTE_2019 = {"localization_error": (180.0, "no predicted direction: DOA error set to 180 degrees"),
                   "error_rate": (0.0, "no reference event: error rate set to 0")}


def _check_2019_edge(got, official: dict) -> None:
    """Finite official values are reproduced; where the official code gives nan/inf, avbench's documented
    substitute is given with its flag, and the SELD score is the finite formula over the reported values."""
    for key in KEYS["2019"][:-1]:
        want = official[key]
        if isinstance(want, str):  # "nan" / "inf": the official value, frozen as text
            value, flag = SUBSTITUTE_2019[key]
            assert got.overall[key] == value and flag in got.flags, key
        else:
            assert got.overall[key] == pytest.approx(want, abs=1e-12, rel=0), key
    o = got.overall
    assert o["seld_score"] == pytest.approx(
        (o["error_rate"] + 1 - o["f1"] + o["localization_error"] / 180 + 1 - o["frame_recall"]) / 4, abs=1e-15)


@pytest.mark.parametrize("case", [c for c in EDGES_2019 if "files" in c], ids=lambda c: c["name"])
def test_2019_official_output_on_an_empty_side(tmp_path: Path, case: dict) -> None:
    """The official 2019 code on an empty side (frozen): nan DOA error and SELD score for empty predictions,
    inf error rate and SELD score for an empty reference; what avbench gives there instead."""
    want = {"empty predictions": ("nan", "nan"), "empty reference": ("error_rate", "inf")}[case["name"]]
    bad = "localization_error" if want[0] == "nan" else want[0]
    assert (case["official"][bad], case["official"]["seld_score"]) == (want[-1], want[-1])
    ref, pred = _write(tmp_path, case)
    got = seld_files.evaluate_files(["seld-dcase2019"], reference=ref, predictions=pred,
                                    options={"compat": "official"}).results[0]
    _check_2019_edge(got, case["official"])


def test_2019_official_output_on_empty_predictions_real_metadata(tmp_path: Path, reference_dir: Path) -> None:
    """Real TAU-SSE 2019 metadata (../shared), an empty prediction file for each: official DOA error nan."""
    case = next(c for c in EDGES_2019 if "reference_files" in c)
    assert case["official"]["localization_error"] == case["official"]["seld_score"] == "nan"
    ref, pred = tmp_path / "ref" / "dev", tmp_path / "pred"
    ref.mkdir(parents=True)
    pred.mkdir()
    for rel in case["reference_files"]:
        src = reference_dir / rel
        (ref / src.name).write_bytes(src.read_bytes())
        (pred / src.name).write_text("")
    for compat in ("official", "none"):
        got = seld_files.evaluate_files(["seld-dcase2019"], reference=ref.parent, predictions=pred,
                                        options={"compat": compat}).results[0]
        if compat == "official":
            _check_2019_edge(got, case["official"])
        else:  # avbench's own frame range: still 180 degrees and a finite score
            assert got.overall["localization_error"] == 180.0 and got.overall["f1"] == 0.0
