"""SELD file rules: layouts follow the edition, needed columns are required, empty files are no detections,
missing files are errors, the 2025 options and units, and one-line errors for files of another family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.errors import InputError
from avbench.metrics.seld import files as seld_files

DATA = Path(__file__).parent / "data"
H25 = "frame,class,source,azimuth,distance,onscreen\n"


def _dirs(tmp_path: Path, ref: dict[str, str], pred: dict[str, str]) -> tuple[Path, Path]:
    for side, files in (("ref", ref), ("pred", pred)):
        (tmp_path / side).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (tmp_path / side / name).write_text(text)
    return tmp_path / "ref", tmp_path / "pred"


def _eval(metric: str, ref: Path, pred: Path, **options: str):
    return seld_files.evaluate_files([metric], reference=ref, predictions=pred, options=options).results[0]


def test_header_only_2025_prediction_is_no_detections(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": H25 + "0,3,0,30,150,1\n1,3,0,30,150,1\n"}, {"m.csv": H25})
    r = _eval("seld-dcase2025", ref, pred)
    assert r.overall["f1"] == 0.0
    (pred / "m.csv").write_text("")
    assert _eval("seld-dcase2025", ref, pred).overall["f1"] == 0.0


def test_2024_refuses_predictions_without_distance(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": "0,3,0,30,10,150\n"}, {"m.csv": "0,3,0,30,10\n"})
    with pytest.raises(InputError) as exc:
        _eval("seld-dcase2024", ref, pred)
    assert str(exc.value).startswith("seld-dcase2024: prediction file 'm.csv' has rows without distance")


def test_six_columns_follow_the_edition(tmp_path: Path) -> None:
    # 2024 polar + distance rows whose values are all <= 1 were read as Cartesian by the value-range guess
    ref, pred = _dirs(tmp_path, {"m.csv": "0,3,0,1,1,100\n"}, {"m.csv": "0,3,0,1,1,1\n"})
    r = _eval("seld-dcase2024", ref, pred)
    assert r.overall["localization_error"] == pytest.approx(0.0, abs=1e-9)  # polar: same direction
    assert r.overall["distance_error_m"] == pytest.approx(0.0, abs=1e-9)  # 100 cm reference vs 1 m prediction
    # 2022 reads six columns as Cartesian: a polar+distance file is another edition's layout, refused
    ref, pred = _dirs(tmp_path / "b", {"m.csv": "0,3,0,1,0,0\n"}, {"m.csv": "0,3,0,30,10,2.5\n"})
    with pytest.raises(InputError) as exc:
        _eval("seld-dcase2022", ref, pred)
    msg = str(exc.value)
    assert msg.startswith(f"{pred / 'm.csv'} line 1: x,y,z = 30, 10, 2.5 is not a unit vector")
    assert "-o layout=polar" in msg and "\n" not in msg
    # the explicit override reads it as polar
    (ref / "m.csv").write_text("0,3,0,30,10\n")
    assert _eval("seld-dcase2022", ref, pred, layout="polar").class_wise["3"]["f1"] == 1.0


def test_2025_require_onscreen_false_is_reachable_and_moves_the_number(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": H25 + "0,3,0,30,150,1\n"}, {"m.csv": H25 + "0,3,0,30,150,0\n"})
    assert _eval("seld-dcase2025", ref, pred).class_wise["3"]["f1"] == 0.0
    r = _eval("seld-dcase2025", ref, pred, require_onscreen="false")
    assert r.class_wise["3"]["f1"] == 1.0 and r.params["require_onscreen"] is False


def test_2025_azimuth_range_and_distance_unit(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": H25 + "0,3,0,30,150,1\n"}, {"m.csv": H25 + "0,3,0,200,150,1\n"})
    with pytest.raises(InputError) as exc:
        _eval("seld-dcase2025", ref, pred)
    assert str(exc.value) == f"{pred / 'm.csv'} line 2: azimuth 200 degrees is outside [-180, 180] (stereo 2025 layout)"
    # files are in cm; distance_error_m is in metres: 150 cm vs 250 cm = 1 m
    (pred / "m.csv").write_text(H25 + "0,3,0,30,250,1\n")
    r = _eval("seld-dcase2025", ref, pred)
    assert r.overall["distance_error_m"] == pytest.approx(1.0)


def test_2025_official_absolute_distance_error_in_metres(tmp_path: Path) -> None:
    """The official 2025 code reports the absolute distance error in the files' cm; avbench in m."""
    case = json.loads((DATA / "official_2025.json").read_text())["cases"][0]
    files = {n: t for n, t in case["files"].items()}
    ref, pred = _dirs(tmp_path, {n: t["ref"] for n, t in files.items()},
                      {n: t["pred"] for n, t in files.items() if n not in case["missing"]})
    r = seld_files.evaluate_files(["seld-dcase2025"], reference=ref, predictions=pred, allow_missing=True,
                                  options={"profile": "official"}).results[0]
    assert r.overall["distance_error_m"] * 100 == pytest.approx(case["official"]["distance_error_abs"], abs=1e-9)


def test_frame_error_prints_a_plain_number(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": "0,3,0,30,10\n"}, {"m.csv": "-1,3,0,30,10\n"})
    with pytest.raises(InputError) as exc:
        _eval("seld-dcase2022", ref, pred)
    assert str(exc.value) == f"{pred / 'm.csv'} line 1: frame -1 must be a non-negative integer"


def test_sed_tsv_given_to_a_seld_metric(tmp_path: Path) -> None:
    """#9: a DCASE SED TSV said "interval format needs 5 or 6 columns, got 1"."""
    ref, pred = _dirs(tmp_path, {"m.csv": "0,3,0,30,10\n"},
                      {"m.csv": "filename\tonset\toffset\tevent_label\nm.wav\t0.0\t1.0\tdog\n"})
    with pytest.raises(InputError) as exc:
        _eval("seld-dcase2022", ref, pred)
    msg = str(exc.value)
    assert msg.startswith(f"{pred / 'm.csv'} line 1: 'filename\\tonset\\toffset\\tevent_label' looks like a DCASE "
                          "sound event detection TSV")
    assert "SELD metrics read comma-separated rows frame,class,track,azimuth,elevation[,distance]" in msg


def test_profile_is_the_option_and_compat_its_alias(tmp_path: Path) -> None:
    ref, pred = _dirs(tmp_path, {"m.csv": "".join(f"{k},3,0,30,10\n" for k in range(20))},
                      {"m.csv": "".join(f"{k},3,0,50,10\n" for k in range(20))})
    rep = seld_files.evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, options={"profile": "official"})
    alias = seld_files.evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, options={"compat": "official"})
    assert rep.results[0].overall == alias.results[0].overall and rep.header["profile"] == "official"
    assert seld_files.evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred,
                                     options={}).header["profile"] == "avbench"
    with pytest.raises(InputError, match="unknown SELD profile; known: avbench, official, official-2024-launch"):
        seld_files.evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, options={"profile": "dcase"})
