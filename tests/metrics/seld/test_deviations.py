"""SELD deviation accounting: the rules where avbench differs from the official code that fired, with the
official value beside avbench's (and avbench's beside the official one under ``-o profile=official``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.metrics.seld.files import evaluate_files

DATA = Path(__file__).parent / "data"


def _case(tmp_path: Path) -> tuple[Path, Path]:
    """a.csv: reference class 0 in frames 0-4, prediction in frames 0-6 (30 degrees off); b.csv: no prediction."""
    ref, pred = tmp_path / "ref", tmp_path / "pred"
    ref.mkdir()
    pred.mkdir()
    (ref / "a.csv").write_text("".join(f"{k},0,0,10,0\n" for k in range(5)))
    (ref / "b.csv").write_text("0,1,0,10,0\n")
    (pred / "a.csv").write_text("".join(f"{k},0,0,30,0\n" for k in range(7)))
    return ref, pred


def test_default_lists_the_deviations_that_fired_and_the_official_value(tmp_path: Path) -> None:
    ref, pred = _case(tmp_path)
    r = evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, allow_missing=True).results[0]
    fired = [f for f in r.flags if f.startswith(("deviation", "differs"))]
    assert fired == [
        "deviation from the official code: missing prediction files (1; e.g. b.csv: scored as empty by avbench, "
        "left out by the official code)",
        "deviation from the official code: scored frames (1; e.g. a.csv: avbench scores frames [0, 7), the official "
        "code [0, 4); 1 reference and 3 prediction row(s) in all files lie in frames only one of them scores)",
        "differs from profile official: seld_score 0.819444 here, 0.694444 with the official code, 2 value(s) "
        "differ; 2 deviation(s) fired",
    ]
    official = evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, allow_missing=True,
                              options={"profile": "official"}).results[0]
    assert r.extra["reference_profile"]["overall"] == official.overall
    assert [d["rule"] for d in r.extra["reference_profile"]["deviations"]] == ["missing prediction files",
                                                                             "scored frames"]


@pytest.mark.parametrize("option", ["profile", "compat"])
def test_official_profile_shows_avbench_beside(tmp_path: Path, option: str) -> None:
    ref, pred = _case(tmp_path)
    rep = evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, allow_missing=True,
                         options={option: "official"})
    r = rep.results[0]
    assert rep.header["profile"] == "official"
    assert r.extra["avbench_value"]["overall"]["seld_score"] == pytest.approx(0.8194444444444444, abs=1e-15)
    assert ("profile official (the tool's number, as published): seld_score 0.694444 here, 0.819444 with avbench's "
            "definitions, 2 value(s) differ") in r.flags


def test_table_shows_the_other_profile_beside(tmp_path: Path) -> None:
    from rich.console import Console

    ref, pred = _case(tmp_path)
    rep = evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred, allow_missing=True)
    console = Console(width=300, record=True)
    rep.render(console)
    text = console.export_text()
    assert "other profile" in text and "official: 0.6944" in text and "official: 0.0000" in text


def test_a_deviation_without_effect_is_listed_without_a_value_beside(tmp_path: Path) -> None:
    """Prediction equal to the reference: only the scored-frames rule fires (the official code never scores
    the last annotated frame), the values agree, so no official value is shown beside avbench's."""
    ref, pred = _case(tmp_path)
    (ref / "b.csv").unlink()
    (pred / "a.csv").write_text((ref / "a.csv").read_text())
    r = evaluate_files(["seld-dcase2022"], reference=ref, predictions=pred).results[0]
    rules = [d["rule"] for d in r.extra["reference_profile"]["deviations"]]
    assert rules == ["scored frames"]
    assert not any(f.startswith("differs from profile official") for f in r.flags)  # same values either way


@pytest.mark.parametrize("edition", ["2019", "2024"])
def test_official_value_beside_equals_the_frozen_official_output(tmp_path: Path, edition: str) -> None:
    case = json.loads((DATA / f"official_{edition}.json").read_text())["cases"][0]
    ref, pred = tmp_path / "ref", tmp_path / "pred"
    ref.mkdir()
    pred.mkdir()
    for name, v in case["files"].items():
        (ref / name).write_text(v["ref"])
        if v.get("pred") is not None:
            (pred / name).write_text(v["pred"])
    r = evaluate_files([f"seld-dcase{edition}"], reference=ref, predictions=pred, allow_missing=True).results[0]
    beside = r.extra["reference_profile"]
    assert beside["overall"]["seld_score"] == pytest.approx(case["official"]["seld_score"], abs=1e-12)
    rules = {d["rule"] for d in beside["deviations"]}
    assert rules == ({"scored frames", "2019 direction grid"} if edition == "2019" else {"scored frames", "angle formula"})
