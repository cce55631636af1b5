"""SELD: real metadata parsing, hand-computed cases, units, jackknife, chunk invariance, CLI errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.seld import dcase2019 as seld_dcase2019, dcase2022 as seld_dcase2022, dcase2024 as seld_dcase2024, files as seld_files
from avbench.metrics.seld.io import from_rows, read_csv, read_path


def test_real_metadata_parses_and_scores_perfectly_against_itself(reference_dir: Path) -> None:
    seld = reference_dir / "seld"
    starss = read_path(seld / "nomaanakhan_seld-dcase2022" / "metadata_dev", n_classes=13)
    lines = sum(1 for p in (seld / "nomaanakhan_seld-dcase2022").rglob("*.csv") for ln in p.open() if ln.strip())
    assert len(starss) == lines and len(starss.files) == 8 and starss.cls.max() <= 12
    r = seld_dcase2022.compute(starss, starss, jackknife=False, average="micro")
    assert (r.overall["f1"], r.overall["error_rate"], r.overall["localization_recall"]) == (1.0, 0.0, 1.0)
    macro = seld_dcase2022.compute(starss, starss, jackknife=False)
    absent = sorted(set(range(13)) - set(starss.cls.tolist()))  # classes these 8 files never use
    assert macro.overall["f1"] == pytest.approx((13 - len(absent)) / 13)
    assert all(macro.class_wise[str(c)]["f1"] == 0.0 for c in absent)
    nigens = read_path(seld / "SOUNDS-RESEARCH_complex_neural_source_localization", n_classes=12)
    assert len(nigens) == 1052 and nigens.frame.max() == 599
    tau19 = read_path(seld / "sharathadavanne_seld-dcase2019", classes=seld_files.CLASSES_2019, hop=0.02)
    assert len(tau19.files) == 4 and set(np.unique(tau19.elevation)) <= set(range(-40, 50, 10))
    r19 = seld_dcase2019.compute(tau19, tau19, jackknife=False)
    assert (r19.overall["error_rate"], r19.overall["f1"], r19.overall["frame_recall"]) == (0.0, 1.0, 1.0)
    assert r19.overall["localization_error"] == pytest.approx(0.0, abs=1e-9)


def test_hand_computed_2022_two_classes() -> None:
    # one segment (frames 0..9):  class 0 ref 0 deg / pred 10 deg  -> TP, error 10
    #                             class 1 ref 0 deg / pred 30 deg  -> spatial FP, error 30
    rows_r = [(0, k, c, 0.0) for k in range(10) for c in (0, 1)]
    rows_p = [(0, k, c, 10.0 if c == 0 else 30.0) for k in range(10) for c in (0, 1)]
    ref = from_rows(["a"], *zip(*rows_r))
    pred = from_rows(["a"], *zip(*rows_p))
    r = seld_dcase2022.compute(ref, pred, n_classes=2, jackknife=False)
    # F_0 = 1, F_1 = 0 / (0 + 1) = 0; LE = (10 + 30) / 2; LR = 1; ER = I / Nref = 1 / 2
    assert r.overall["f1"] == 0.5 and r.overall["localization_recall"] == 1.0 and r.overall["error_rate"] == 0.5
    assert r.overall["localization_error"] == pytest.approx(20.0)
    assert r.overall["seld_score"] == pytest.approx((0.5 + 0.5 + 20 / 180 + 0) / 4)
    micro = seld_dcase2022.compute(ref, pred, n_classes=2, average="micro", jackknife=False)
    assert micro.overall["f1"] == pytest.approx(1 / 2)  # TP 1 / (1 + FPs 1)


def test_class_without_support_scores_zero_and_is_flagged() -> None:
    ref = from_rows(["a"], [0], [0], [0], [0.0])
    r = seld_dcase2022.compute(ref, ref, n_classes=2, jackknife=False)
    assert r.class_wise["1"]["f1"] == 0.0 and r.class_wise["1"]["localization_error"] == 180.0
    assert any("no reference and no prediction" in f for f in r.flags)


def test_polar_degrees_radians_and_cartesian_files_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    az, el = rng.uniform(-180, 180, 40), rng.uniform(-80, 80, 40)
    fr = np.repeat(np.arange(20), 2)
    a, e = np.radians(az), np.radians(el)
    deg = "".join(f"{f},{k % 3},0,{float(x)!r},{float(y)!r}\n" for k, (f, x, y) in enumerate(zip(fr, az, el)))
    rad = "".join(f"{f},{k % 3},0,{float(x)!r},{float(y)!r}\n" for k, (f, x, y) in enumerate(zip(fr, a, e)))
    cart = "".join(f"{f},{k % 3},0,{float(np.cos(y) * np.cos(x))!r},{float(np.cos(y) * np.sin(x))!r},"
                   f"{float(np.sin(y))!r},1.0\n" for k, (f, x, y) in enumerate(zip(fr, a, e)))
    for name, text in (("deg.csv", deg), ("rad.csv", rad), ("cart.csv", cart)):
        (tmp_path / name).write_text(text)
    t_deg = read_csv(tmp_path / "deg.csv", n_classes=3)
    t_rad = read_csv(tmp_path / "rad.csv", n_classes=3, angle_unit="rad")
    t_cart = read_csv(tmp_path / "cart.csv", n_classes=3)
    np.testing.assert_allclose(t_rad.azimuth, t_deg.azimuth, atol=1e-9)
    np.testing.assert_allclose(t_cart.elevation, t_deg.elevation, atol=1e-9)
    ref = from_rows(["x"], np.zeros(40), fr, np.arange(40) % 3, az + 5, el)
    vals = [seld_dcase2022.compute(ref, from_rows(["x"], t.file, t.frame, t.cls, t.azimuth, t.elevation), n_classes=3,
                                   jackknife=False).overall for t in (t_deg, t_rad, t_cart)]
    for v in vals[1:]:
        assert v == pytest.approx(vals[0], abs=1e-9)


def _two_file_tables(n_files: int = 4):
    rng = np.random.default_rng(11)
    rows_r, rows_p = [], []
    for f in range(n_files):
        for k in range(40):
            c = int(rng.integers(0, 3))
            rows_r.append((f, k, c, float(rng.uniform(-180, 180)), 2.0))
            if rng.random() < 0.8:
                rows_p.append((f, k, c, rows_r[-1][3] + float(rng.normal(0, 15)), 2.5))
    names = [f"f{i}" for i in range(n_files)]
    mk = lambda rows: from_rows(names, *list(zip(*rows))[:4], distance=[r[4] for r in rows])  # noqa: E731
    return mk(rows_r), mk(rows_p), names


@pytest.mark.parametrize("module", [seld_dcase2022, seld_dcase2024])
def test_feeding_files_in_chunks_gives_the_same_counts(module) -> None:
    ref, pred, names = _two_file_tables()
    full = module.compute(ref, pred, n_classes=3, jackknife=False).extra["counts"]
    parts = [module.compute(ref.select(ch), pred.select(ch), n_classes=3, jackknife=False).extra["counts"]
             for ch in (names[:1], names[1:])]
    for key, value in full.items():
        assert np.asarray(value) == pytest.approx(np.add(*(np.asarray(p[key]) for p in parts))), key


def test_jackknife_matches_brute_force_leave_one_file_out() -> None:
    ref, pred, names = _two_file_tables(4)
    r = seld_dcase2022.compute(ref, pred, n_classes=3)
    partial = [seld_dcase2022.compute(ref.select(names[:i] + names[i + 1:]), pred.select(names[:i] + names[i + 1:]),
                                      n_classes=3, jackknife=False).overall["f1"] for i in range(4)]
    n, g = 4, r.overall["f1"]
    est = g - (n - 1) * (np.mean(partial) - g)
    se = math.sqrt((n - 1) * np.mean((np.array(partial) - np.mean(partial)) ** 2))
    ci = r.extra["confidence_intervals"]["f1"]
    assert ci["estimate"] == pytest.approx(est) and ci["std_err"] == pytest.approx(se)
    assert ci["high"] - ci["low"] == pytest.approx(2 * 3.182446305284263 * se)  # t(0.975, 3)


@pytest.mark.parametrize("text,match", [
    ("0,1,0,nan,10\n", "line 1: column 4 is 'nan'"),
    ("0,1,0,30,10\n1,25,0,30,10\n", "line 2: class 25 is not a known class index"),
    ("0,1,0,30,10\n1,1,0,30\n", "line 2: 4 columns where earlier lines have 5"),
    ("0,1,0,400,10\n", "line 1: azimuth 400.0 / elevation 10.0 degrees out of range"),
])
def test_bad_files_give_one_line_errors_naming_file_and_line(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "mix.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as exc:
        read_csv(p, n_classes=13)
    assert "mix.csv" in str(exc.value) and "\n" not in str(exc.value)


def test_frame_past_clip_end_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "mix.csv"
    p.write_text("0,1,0,30,10\n600,1,0,30,10\n")
    with pytest.raises(InputError, match=r"mix.csv line 2: frame 600 is past the clip end \(600 frames"):
        read_csv(p, n_classes=13, n_frames=600)


def test_cli_evaluate_json_and_bad_file_exit_2(tmp_path: Path, capsys) -> None:
    from avbench.cli import main

    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "a.csv").write_text("".join(f"{k},0,0,10,0\n" for k in range(10)))
    (tmp_path / "ref" / "b.csv").write_text("".join(f"{k},1,0,50,0\n" for k in range(10)))
    (tmp_path / "pred" / "a.csv").write_text("".join(f"{k},0,0,12,0\n" for k in range(10)))
    out = tmp_path / "out.json"
    with pytest.raises(SystemExit) as ok:
        main(["evaluate", "-r", str(tmp_path / "ref"), "-p", str(tmp_path / "pred"), "-m", "seld-dcase2022",
              "--json", str(out), "-q", "--allow-missing"])
    assert ok.value.code in (0, None)
    doc = json.loads(out.read_text())
    m = doc["metrics"]["seld-dcase2022"]
    assert set(m["overall"]) >= {"error_rate", "f1", "localization_error", "localization_recall", "seld_score"}
    assert m["params"]["average"] == "macro" and m["params"]["angle_threshold"] == 20.0
    assert "confidence_intervals" in m["extra"] and doc["coverage"]["missing_predictions"] == ["b.csv"]
    with pytest.raises(SystemExit) as missing:  # without --allow-missing an absent prediction file is an error
        main(["evaluate", "-r", str(tmp_path / "ref"), "-p", str(tmp_path / "pred"), "-m", "seld-dcase2022", "-q"])
    assert missing.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "1 of 2 reference files have no prediction file (b.csv)" in err and "--allow-missing" in err
    (tmp_path / "pred" / "a.csv").write_text("0,0,0,12,0\n1,0,0,inf,0\n")
    with pytest.raises(SystemExit) as bad:
        main(["evaluate", "-r", str(tmp_path / "ref"), "-p", str(tmp_path / "pred"), "-m", "seld-dcase2022", "-q",
              "--allow-missing"])
    assert bad.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "a.csv line 2" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("costs", ["continuous", "integer-ties"])
def test_match_groups_equals_the_solver_group_by_group(costs: str) -> None:
    from scipy.optimize import linear_sum_assignment

    from avbench.metrics.seld._common import match_groups

    rng = np.random.default_rng(7)
    n_groups = 400
    rk = np.repeat(np.arange(n_groups), rng.integers(0, 6, n_groups))  # 0..5 rows a side (5 > enumerated)
    pk = np.repeat(np.arange(n_groups), rng.integers(0, 6, n_groups))
    rng.shuffle(rk), rng.shuffle(pk)
    if costs == "continuous":
        ra, pa = rng.uniform(0, 180, len(rk)), rng.uniform(0, 180, len(pk))
    else:  # few distinct values: many tied assignments, which must resolve as the solver resolves them
        ra, pa = rng.integers(0, 3, len(rk)).astype(float), rng.integers(0, 3, len(pk)).astype(float)
    cost = lambda i, j: np.abs(ra[i] - pa[j])  # noqa: E731
    r, p, c = match_groups(rk, pk, cost)
    expected = set()
    for g in range(n_groups):
        rows, cols = np.flatnonzero(rk == g), np.flatnonzero(pk == g)
        if len(rows) and len(cols):
            a, b = linear_sum_assignment(cost(np.repeat(rows, len(cols)), np.tile(cols, len(rows))).reshape(len(rows), -1))
            expected |= set(zip(rows[a].tolist(), cols[b].tolist()))
    assert set(zip(r.tolist(), p.tolist())) == expected
    assert np.array_equal(c, cost(r, p))
