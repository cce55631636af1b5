"""SELD's own exact solvers against scipy: the linear assignment and the Student-t quantile.

Both exist so that scoring SELD files does not import scipy.optimize / scipy.stats (about 1 s of
start-up); scipy is the oracle here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa
from scipy.stats import t as scipy_t

from avbench.metrics.seld import _common
from avbench.metrics.seld._assignment import linear_sum_assignment
from avbench.metrics.seld._common import match_groups, student_t_quantile


def _matrices(rng: np.random.Generator, n: int):
    for k in range(n):
        r, c = (int(v) for v in rng.integers(1, 8, size=2))
        kind = k % 5
        if kind == 0:  # continuous: a unique optimum
            m = rng.random((r, c)) * 180
        elif kind == 1:  # small integers: many tied optima
            m = rng.integers(0, 3, (r, c)).astype(float)
        elif kind == 2:  # a duplicated row and column (two identical sources in one frame)
            m = rng.integers(0, 180, (r, c)).astype(float)
            m[int(rng.integers(0, r))] = m[0]
            m[:, int(rng.integers(0, c))] = m[:, 0]
        elif kind == 3:  # constant matrix: every assignment ties
            m = np.full((r, c), float(rng.integers(0, 5)))
        else:  # signed, rounded to 0.1 (angles as written in CSVs)
            m = np.round(rng.random((r, c)) * 40, 1) * rng.choice([1.0, -1.0])
        yield m


def test_assignment_equals_scipy_on_random_and_tied_matrices() -> None:
    rng = np.random.default_rng(2026)
    n = 0
    for m in _matrices(rng, 6000):
        a, b = scipy_lsa(m)
        got = linear_sum_assignment(m)
        assert got == (a.tolist(), b.tolist()), m
        n += 1
    assert n == 6000


def test_assignment_edge_shapes_and_bad_input() -> None:
    assert linear_sum_assignment([]) == ([], [])
    assert linear_sum_assignment([[]]) == ([], [])
    assert linear_sum_assignment([[3.0]]) == ([0], [0])
    assert linear_sum_assignment([[1.0, 0.0, 0.0]]) == ([0], [1])  # first of tied free columns, as scipy
    with pytest.raises(ValueError, match="NaN or infinite"):
        linear_sum_assignment([[1.0, float("nan")]])
    with pytest.raises(ValueError, match="rectangular"):
        linear_sum_assignment([[1.0, 2.0], [1.0]])


def test_match_groups_solver_path_equals_scipy_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups sent to the solver (enumeration off) give scipy's pairs on tie-heavy integer angles."""
    monkeypatch.setattr(_common, "_ENUMERATED", 0)
    rng = np.random.default_rng(7)
    rk = rng.integers(0, 300, 4000)
    pk = rng.integers(0, 300, 4000)
    ra = rng.integers(0, 4, 4000).astype(float) * 10
    pa = rng.integers(0, 4, 4000).astype(float) * 10
    r, p, c = match_groups(rk, pk, lambda i, j: np.abs(ra[i] - pa[j]))
    got = {(int(k), int(i), int(j)) for k, i, j in zip(rk[r], r, p)}
    want = set()
    for k in np.intersect1d(rk, pk):
        rr, pp = np.flatnonzero(rk == k), np.flatnonzero(pk == k)
        a, b = scipy_lsa(np.abs(ra[rr][:, None] - pa[pp][None, :]))
        want |= {(int(k), int(rr[i]), int(pp[j])) for i, j in zip(a, b)}
    assert got == want


@pytest.mark.parametrize("p", [0.975, 0.995, 0.95, 0.9, 0.999, 0.025])
def test_student_t_quantile_equals_scipy(p: float) -> None:
    dfs = np.r_[np.arange(1, 301), np.arange(301, 1300, 7), [1500, 2000, 5000, 10_000, 100_000]]
    got = np.array([student_t_quantile(p, int(d)) for d in dfs])
    want = scipy_t.ppf(p, dfs)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_student_t_quantile_refuses_out_of_range() -> None:
    assert student_t_quantile(0.5, 7) == 0.0
    assert student_t_quantile(0.025, 9) == -student_t_quantile(0.975, 9)
    for p, df in ((0.0, 3), (1.0, 3), (0.9, 0)):
        with pytest.raises(ValueError, match="0 < p < 1 and df >= 1"):
            student_t_quantile(p, df)
