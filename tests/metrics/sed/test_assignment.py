"""The clip-level assignment solver reaches scipy's optimum (the event metrics depend only on it)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from avbench.metrics.sed.matching import max_weight_assignment


@pytest.mark.parametrize("seed", range(4))
def test_max_weight_assignment_reaches_scipys_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(300):
        n, m = (int(x) for x in rng.integers(1, 14, 2))
        big = float(min(n, m) + 1)  # the event matching's weights: hit = big, substitution = 1
        w = rng.choice([0.0, 1.0, big], size=(n, m), p=[0.6, 0.25, 0.15])
        r1, c1 = linear_sum_assignment(w, maximize=True)
        r2, c2 = max_weight_assignment(w)
        assert w[r2, c2].sum() == w[r1, c1].sum()
        assert (w[r2, c2] == big).sum() == (w[r1, c1] == big).sum()
        assert len(set(r2.tolist())) == len(r2) == min(n, m) == len(set(c2.tolist()))
        assert r2.tolist() == sorted(r2.tolist())


def test_max_weight_assignment_on_a_tall_matrix_and_a_hand_case() -> None:
    #          e0  e1
    # r0:       3   1
    # r1:       3   0     the optimum takes r1-e0 (3) and r0-e1 (1): 4, not r0-e0 alone
    # r2:       1   1
    r, c = max_weight_assignment(np.array([[3.0, 1.0], [3.0, 0.0], [1.0, 1.0]]))
    assert list(zip(r.tolist(), c.tolist())) == [(0, 1), (1, 0)]
