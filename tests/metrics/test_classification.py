"""Classification, tagging and AVE localization metrics: against scikit-learn on randomized inputs,
plus the named edge policies."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from avbench.errors import InputError
from avbench.metrics import ave as ave_localization, classification as cls, tagging
from avbench.metrics._confusion import confusion

NAMES = [f"c{i}" for i in range(7)]
SEEDS = range(12)


def _random_case(seed: int, n: int = 200, c: int = 7):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c - 1 if seed % 3 == 0 else c, size=n)  # every third case: last class has no items
    scores = rng.random((n, c)) + np.eye(c)[y] * rng.random() * 2
    return y, scores


@pytest.mark.parametrize("seed", SEEDS)
def test_counts_match_sklearn(seed: int) -> None:
    y, s = _random_case(seed)
    pred = s.argmax(axis=1)
    labels = list(range(len(NAMES)))
    assert cls.accuracy(y, s, labels=NAMES).overall["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert cls.balanced_accuracy(y, s, labels=NAMES).overall["balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y, pred), abs=1e-12)
    for avg in ("micro", "macro", "weighted"):
        r = cls.f1(y, s, labels=NAMES, average=avg)
        p, rc, f, _ = skm.precision_recall_fscore_support(y, pred, labels=labels, average=avg, zero_division=0)
        assert (r.overall["precision"], r.overall["recall"], r.overall["f1"]) == pytest.approx((p, rc, f), abs=1e-12)
    p, rc, f, sup = skm.precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
    cw = cls.f1(y, s, labels=NAMES).class_wise
    assert [cw[n]["f1"] for n in NAMES] == pytest.approx(f, abs=1e-12)
    assert [cw[n]["support"] for n in NAMES] == list(sup)
    cm = cls.confusion_matrix(y, s, labels=NAMES).extra["matrix"]
    assert np.array_equal(cm, skm.confusion_matrix(y, pred, labels=labels))


@pytest.mark.parametrize("seed", SEEDS)
def test_top_k_and_log_loss_match_sklearn(seed: int) -> None:
    y, s = _random_case(seed)
    labels = list(range(len(NAMES)))
    for k in (1, 3, 5):
        ours = cls.top_k_accuracy(y, s, labels=NAMES, k=k).overall["top_k_accuracy"]
        assert ours == pytest.approx(skm.top_k_accuracy_score(y, s, k=k, labels=labels), abs=1e-12)
    prob = s / s.sum(axis=1, keepdims=True)
    micro = cls.log_loss(y, prob, labels=NAMES, average="micro").overall["log_loss"]
    assert micro == pytest.approx(skm.log_loss(y, prob, labels=labels), abs=1e-10)
    macro = cls.log_loss(y, prob, labels=NAMES, average="macro").overall["log_loss"]
    present = np.unique(y)
    expected = np.mean([skm.log_loss(y[y == c], prob[y == c], labels=labels) for c in present])
    assert macro == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_tagging_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    t = (rng.random((150, 6)) < 0.2).astype(int)
    s = np.round(rng.random((150, 6)) + t * 0.5, 1)  # rounding creates ties
    t[:, 0] = 0 if seed % 4 == 0 else t[:, 0]  # sometimes a class without positives
    names = NAMES[:6]
    r = tagging.mean_average_precision(t, s, labels=names)
    for c, name in enumerate(names):
        if t[:, c].any():
            assert r.class_wise[name]["ap"] == pytest.approx(skm.average_precision_score(t[:, c], s[:, c]), abs=1e-12)
    a = tagging.auc_dprime(t, s, labels=names)
    for c, name in enumerate(names):
        if 0 < t[:, c].sum() < len(t):
            assert a.class_wise[name]["roc_auc"] == pytest.approx(skm.roc_auc_score(t[:, c], s[:, c]), abs=1e-12)


def test_policy_class_without_items_or_predictions_scores_zero_and_is_flagged() -> None:
    # true:  a a b b      (class c has no items)
    # pred:  a b b b      (class c never predicted)
    r = cls.f1([0, 0, 1, 1], [0, 1, 1, 1], labels=["a", "b", "c"], average="macro")
    assert r.class_wise["c"] == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "support": 0}
    # macro keeps c: (2/3 + 4/5 + 0) / 3
    assert r.overall["f1"] == pytest.approx((2 / 3 + 0.8 + 0) / 3, abs=1e-12)
    assert any("'c' has no reference" in f for f in r.flags)
    assert any("'c' is never predicted" in f for f in r.flags)


def test_policy_no_prediction_is_a_miss_not_a_false_positive() -> None:
    # item 2 has no prediction (-1): recall of b drops, nobody's precision does
    r = cls.f1([0, 1, 1], [0, 1, -1], labels=["a", "b"], average="macro")
    assert r.class_wise["b"]["precision"] == 1.0
    assert r.class_wise["b"]["recall"] == 0.5
    assert cls.accuracy([0, 1, 1], [0, 1, -1], labels=["a", "b"]).overall["accuracy"] == pytest.approx(2 / 3)


def test_policy_top_k_ties_count_against() -> None:
    assert cls.top_k_accuracy([0, 1], np.ones((2, 4)), labels=list("abcd"), k=3).overall["top_k_accuracy"] == 0.0


def test_policy_tagging_class_without_positives_scores_zero_and_is_flagged() -> None:
    r = tagging.mean_average_precision([[1, 0], [0, 0]], [[0.9, 0.1], [0.2, 0.3]], labels=["a", "b"])
    assert r.class_wise["b"]["ap"] == 0.0 and r.overall["map"] == 0.5
    assert any("'b'" in f for f in r.flags)


def test_confusion_matrix_is_additive_over_chunks() -> None:
    y, s = _random_case(3, n=301)
    pred = s.argmax(axis=1)
    whole = confusion(y, pred, 7)
    parts = sum(confusion(y[i:i + 50], pred[i:i + 50], 7) for i in range(0, 301, 50))
    assert np.array_equal(whole, parts)


def test_log_loss_refuses_labels_and_negative_scores() -> None:
    with pytest.raises(InputError, match="probabilities"):
        cls.log_loss([0, 1], [0, 1], labels=["a", "b"])
    with pytest.raises(InputError, match="non-negative"):
        cls.log_loss([0, 1], [[-1.0, 2.0], [0.5, 0.5]], labels=["a", "b"])


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(InputError, match="outside 0..1"):
        cls.accuracy([0, 2], [0, 1], labels=["a", "b"])
    with pytest.raises(InputError, match="NaN"):
        cls.accuracy([0, 1], [[0.1, np.nan], [0.2, 0.8]], labels=["a", "b"])
    with pytest.raises(InputError, match="expected"):
        cls.accuracy([0, 1], np.zeros((2, 3)), labels=["a", "b"])


def test_cml_accuracy_exact_start() -> None:
    r = ave_localization.cml_accuracy([3, 0, 7, 2], [3, 1, 7, -1])
    assert r.overall["accuracy"] == 0.5 and r.extra["no_prediction"] == 1
