"""Vectorised rewrites in the SELD engine give bit-identical numbers to the per-element forms they replace."""

from __future__ import annotations

import numpy as np

from avbench.metrics.seld import dcase2024


def test_nanmean_columns_equals_per_class_nanmean() -> None:
    rng = np.random.default_rng(11)
    for _ in range(2000):
        x = rng.random((3, 13)) * rng.choice([1.0, 1e-3, 180.0], (3, 1))
        x[rng.random((3, 13)) < 0.3] = np.nan  # classes without a matched pair
        want = np.array([dcase2024._nanmean(col) for col in x.T])
        assert np.array_equal(dcase2024._nanmean_columns(x), want, equal_nan=True)


def test_row_precomputed_angle_costs_equal_the_pairwise_formulas_bit_for_bit() -> None:
    from avbench.metrics.seld._common import ANGLE_FUNCTIONS, row_angle_cost
    from avbench.metrics.seld.io import from_rows

    rng = np.random.default_rng(5)
    n = 4000
    az = np.r_[rng.uniform(-180, 180, n), [0.0, 10.0, 180.0, -180.0, 90.0]]
    el = np.r_[rng.uniform(-90, 90, n), [0.0, 0.0, 89.9999, -90.0, 90.0]]
    az2 = np.r_[az[:n] + rng.normal(0, 1, n) * rng.choice([1e-7, 1e-3, 1.0, 30.0], n), [0.0, 190.0, 0.0, 180.0, -90.0]]
    el2 = np.r_[np.clip(el[:n] + rng.normal(0, 5, n), -90, 90), [0.0, -0.0, -89.9999, 90.0, 90.0]]
    m = len(az)
    ref = from_rows(["a"], np.zeros(m), np.arange(m), np.zeros(m), az, el)
    pred = from_rows(["a"], np.zeros(m), np.arange(m), np.zeros(m), az2, el2)
    i, j = rng.integers(0, m, 3 * m), rng.integers(0, m, 3 * m)
    i[:m], j[:m] = np.arange(m), np.arange(m)  # the near pairs and the hand-picked extremes
    for name, fn in ANGLE_FUNCTIONS.items():
        got = row_angle_cost(name, ref, pred)(i, j)
        assert np.array_equal(got, fn(az[i], el[i], az2[j], el2[j])), name


def test_jackknife_leave_one_out_sums_equal_the_re_summed_ones_exactly() -> None:
    from avbench.metrics.seld._common import jackknife

    rng = np.random.default_rng(2)
    stats = {"TP": rng.integers(0, 500, (40, 13)).astype(float), "ang": rng.random((40, 13)) * 1e3,
             "N": rng.integers(1, 900, 40).astype(float)}

    def derive(s):
        return {"r": float(s["TP"].sum() / s["N"]), "a": float(s["ang"].sum() / (s["TP"].sum() + 1))}

    got = jackknife(stats, derive)
    keep = ~np.eye(40, dtype=bool)
    partial = [derive({k: v[keep[i]].sum(axis=0) for k, v in stats.items()}) for i in range(40)]
    for name, g in derive({k: v.sum(axis=0) for k, v in stats.items()}).items():
        vals = np.array([p[name] for p in partial])
        assert got[name]["bias"] == 39 * (vals.mean() - g)
        assert got[name]["std_err"] == float(np.sqrt(39 * np.mean((vals - vals.mean()) ** 2)))
