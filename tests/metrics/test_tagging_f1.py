"""Multi-label F1 at a threshold (``f1_multilabel_micro`` / ``_macro``): hand-computed cases, edge
policies and scikit-learn's ``f1_score`` on thresholded scores."""

from __future__ import annotations

import numpy as np
import pytest

from avbench import registry
from avbench.errors import InputError
from avbench.metrics.tagging import multilabel_f1


def test_hand_computed_micro_and_macro() -> None:
    # item 0: true {a},    predicted {a}      (TP a)
    # item 1: true {a, b}, predicted {b, c}   (FN a, TP b, FP c)
    # item 2: true {},     predicted {}       (nothing)
    t = [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    s = [[0.9, 0.1, 0.5], [0.2, 0.8, 0.6], [0.0, 0.5, 0.1]]  # 0.5 is not above the threshold
    micro = multilabel_f1(t, s, labels=["a", "b", "c"])
    assert micro.overall["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    macro = multilabel_f1(t, s, labels=["a", "b", "c"], average="macro")
    assert macro.overall["f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert macro.class_wise["c"] == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "support": 0}


def test_zero_over_zero_is_zero_and_flagged() -> None:
    r = multilabel_f1([[0, 0]], [[0.1, 0.2]], labels=["a", "b"])
    assert r.overall["f1"] == 0.0 and any("no class is true or predicted" in f for f in r.flags)
    assert sum("never true and never predicted" in f for f in r.flags) == 2


def test_equals_scikit_learn_on_thresholded_scores() -> None:
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    t = rng.random((200, 6)) < 0.3
    t[:, 5] = False  # a class never true
    s = rng.random((200, 6))
    for avg in ("micro", "macro"):
        ours = registry.metric(f"f1_multilabel_{avg}").compute(t.astype(int), s, labels=list("abcdef"))
        ref = sklearn.f1_score(t, s > 0.5, average=avg, zero_division=0)
        assert ours.overall["f1"] == pytest.approx(ref, abs=1e-12)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InputError, match="average must be 'micro' or 'macro'"):
        multilabel_f1([[1]], [[0.9]], labels=["a"], average="weighted")
    with pytest.raises(InputError, match="threshold must be a finite number"):
        multilabel_f1([[1]], [[0.9]], labels=["a"], threshold=float("nan"))
