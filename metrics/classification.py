"""Single-label classification metrics: accuracy, balanced and top-k accuracy, precision / recall /
F1 (micro, macro, weighted, class-wise), the confusion matrix and multi-class log loss.

Inputs (``input="labels"``): ``y_true`` int ``[N]`` class indices and ``y_score`` either float
``[N, C]`` scores (argmax = prediction) or int ``[N]`` predicted indices, where ``-1`` means *no
prediction* (a miss for recall and accuracy, never a false positive). ``labels`` names the ``C``
classes (for AVE-style segment tasks the last one is ``background``).

Formulas, with ``TP_c``, ``FP_c``, ``FN_c`` from the confusion matrix:

- accuracy = (1/N) sum_i [pred_i = true_i]
- balanced accuracy = mean over classes *with support* of recall_c (classes without support are
  named in ``flags``; this equals scikit-learn's definition)
- top-k accuracy = (1/N) sum_i [#{c != true_i : s_ic >= s_i,true} < k] (ties count against the
  prediction, so constant scores never look good)
- P_c = TP_c / (TP_c + FP_c), R_c = TP_c / (TP_c + FN_c), F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c);
  micro: the same on summed counts; macro: unweighted mean over *all* classes; weighted: mean
  weighted by support.

Edge policy: a class with no support or no prediction has P, R or F1 of 0 where the denominator
is 0 (scikit-learn's ``zero_division=0``); it stays in the macro average and is named in
``flags``. Nothing returns NaN.

Example:
    >>> r = accuracy([0, 1, 2, 2], [0, 1, 1, 2], labels=["a", "b", "c"])
    >>> r.overall["accuracy"]
    0.75
    >>> f1_macro = f1([0, 1, 2, 2], [0, 1, 1, 2], labels=["a", "b", "c"], average="macro")
    >>> round(f1_macro.overall["f1"], 4)
    0.7778
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics._confusion import as_labels, check_labels, confusion, predicted_indices, support
from avbench.results import MetricConfig, MetricResult

__all__ = ["accuracy", "balanced_accuracy", "top_k_accuracy", "f1", "confusion_matrix", "log_loss", "METRICS"]

_AVERAGES = ("micro", "macro", "weighted")


def _prepare(y_true: object, y_score: object, labels: Sequence[str] | None):
    names = check_labels(labels)
    t = as_labels(y_true, len(names))
    pred, scores = predicted_indices(y_score, t.shape[0], len(names))
    if t.size == 0:
        raise InputError("no items to score (y_true is empty)")
    return names, t, pred, scores


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def accuracy(y_true: object, y_score: object, *, labels: Sequence[str], metric_id: str = "accuracy") -> MetricResult:
    """Fraction of items whose predicted class equals the true class (see module docstring)."""
    names, t, pred, _ = _prepare(y_true, y_score, labels)
    correct = np.bincount(t[pred == t], minlength=len(names))
    sup = support(t, len(names))
    class_acc = _ratio(correct, sup)
    flags = tuple(f"class {n!r} has no items: its accuracy is 0" for n, s in zip(names, sup) if s == 0)
    return MetricResult(
        metric_id, "1.0", {}, {"accuracy": float(correct.sum() / t.size), "n": int(t.size)},
        {n: {"accuracy": float(a), "support": int(s)} for n, a, s in zip(names, class_acc, sup)}, flags,
    )


def balanced_accuracy(y_true: object, y_score: object, *, labels: Sequence[str]) -> MetricResult:
    """Mean recall over the classes that have items (scikit-learn ``balanced_accuracy_score``)."""
    names, t, pred, _ = _prepare(y_true, y_score, labels)
    sup = support(t, len(names))
    correct = np.bincount(t[pred == t], minlength=len(names))
    recall = _ratio(correct, sup)
    present = sup > 0
    flags = tuple(f"class {n!r} has no items: left out of the balanced accuracy" for n, s in zip(names, sup) if s == 0)
    return MetricResult(
        "balanced_accuracy", "1.0", {}, {"balanced_accuracy": float(recall[present].mean()), "n": int(t.size)},
        {n: {"recall": float(r), "support": int(s)} for n, r, s in zip(names, recall, sup)}, flags,
    )


def top_k_accuracy(y_true: object, y_score: object, *, labels: Sequence[str], k: int = 5) -> MetricResult:
    """Fraction of items whose true class is among the ``k`` highest scores (ties count against)."""
    names, t, _, scores = _prepare(y_true, y_score, labels)
    if scores is None:
        raise InputError("top-k accuracy needs scores [N, C], not predicted labels")
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    true_score = scores[np.arange(t.size), t]
    rank = (scores >= true_score[:, None]).sum(axis=1) - 1  # other classes scoring at least as high
    hit = rank < k
    return MetricResult(
        f"top{k}_accuracy", "1.0", {"k": k}, {"top_k_accuracy": float(hit.mean()), "n": int(t.size)},
    )


def f1(y_true: object, y_score: object, *, labels: Sequence[str], average: str = "macro") -> MetricResult:
    """Precision, recall and F1 with ``average`` in ``micro``, ``macro``, ``weighted``; class-wise too."""
    if average not in _AVERAGES:
        raise InputError(f"average must be one of {_AVERAGES}, got {average!r}")
    names, t, pred, _ = _prepare(y_true, y_score, labels)
    n = len(names)
    cm = confusion(t, pred, n)
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp
    sup = support(t, n)
    fn = sup - tp
    p_c, r_c, f_c = _ratio(tp, tp + fp), _ratio(tp, sup), _ratio(2 * tp, 2 * tp + fp + fn)
    if average == "micro":
        p = float(_ratio(tp.sum(), tp.sum() + fp.sum()))
        r = float(_ratio(tp.sum(), sup.sum()))
        f = float(_ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()))
    elif average == "macro":
        p, r, f = float(p_c.mean()), float(r_c.mean()), float(f_c.mean())
    else:
        w = sup / sup.sum()
        p, r, f = float(w @ p_c), float(w @ r_c), float(w @ f_c)
    flags = []
    for name, s, npred in zip(names, sup, cm.sum(axis=0)):
        if s == 0:
            flags.append(f"class {name!r} has no reference items: recall and F1 are 0")
        if npred == 0:
            flags.append(f"class {name!r} is never predicted: precision and F1 are 0")
    return MetricResult(
        f"f1_{average}", "1.0", {"average": average},
        {"f1": f, "precision": p, "recall": r, "n": int(t.size)},
        {nm: {"f1": float(fc), "precision": float(pc), "recall": float(rc), "support": int(s)}
         for nm, fc, pc, rc, s in zip(names, f_c, p_c, r_c, sup)},
        tuple(flags),
    )


def confusion_matrix(y_true: object, y_score: object, *, labels: Sequence[str]) -> MetricResult:
    """The confusion matrix (rows: true class, columns: predicted class) in ``extra``."""
    names, t, pred, _ = _prepare(y_true, y_score, labels)
    cm = confusion(t, pred, len(names))
    unpredicted = int((pred < 0).sum())
    return MetricResult(
        "confusion_matrix", "1.0", {}, {"n": int(t.size), "no_prediction": unpredicted},
        extra={"labels": list(names), "matrix": cm.tolist()},
    )


def log_loss(
    y_true: object, y_score: object, *, labels: Sequence[str], average: str = "macro",
    eps: float = 1e-15, normalize: bool = True,
) -> MetricResult:
    """Multi-class log loss (cross-entropy), natural log, in nats per item.

    ``p`` = scores, each row renormalized to sum 1 (``normalize=True``, as scikit-learn), then
    clipped to ``[eps, 1 - eps]`` (``eps`` = 1e-15 as scikit-learn and the DCASE tools). Per class
    ``c``: ``L_c = -(1/N_c) sum_{i: true_i = c} ln p_{i,c}``.

    - ``average="macro"`` (DCASE 2021 Task 1B ranking value): the mean of ``L_c`` over the classes
      with items (a class without items is named in ``flags``);
    - ``average="micro"``: ``-(1/N) sum_i ln p_{i,true_i}`` (scikit-learn ``log_loss``).

    Raises:
        InputError: predicted labels instead of scores, or negative scores.
    """
    if average not in ("macro", "micro"):
        raise InputError(f"average must be 'macro' or 'micro', got {average!r}")
    names, t, _, scores = _prepare(y_true, y_score, labels)
    if scores is None:
        raise InputError("log loss needs class probabilities [N, C], not predicted labels")
    if (scores < 0).any():
        raise InputError("log loss needs non-negative probabilities; apply softmax to logits first")
    p = scores
    if normalize:
        s = p.sum(axis=1, keepdims=True)
        if (s <= 0).any():
            raise InputError("a row of probabilities sums to 0; cannot normalize")
        p = p / s
    p = np.clip(p, eps, 1 - eps)
    nll = -np.log(p[np.arange(t.size), t])
    n = len(names)
    sums = np.bincount(t, weights=nll, minlength=n)
    sup = support(t, n)
    per_class = _ratio(sums, sup)
    present = sup > 0
    value = float(per_class[present].mean()) if average == "macro" else float(nll.mean())
    flags = tuple(f"class {nm!r} has no items: left out of the macro log loss" for nm, s in zip(names, sup) if s == 0)
    return MetricResult(
        "log_loss" if average == "macro" else "log_loss_micro", "1.0",
        {"average": average, "eps": eps, "normalize": normalize},
        {"log_loss": value, "n": int(t.size)},
        {nm: {"log_loss": float(v), "support": int(s)} for nm, v, s in zip(names, per_class, sup)}, flags,
    )


def _accuracy_as(metric_id: str):
    def compute(y_true: object, y_score: object, *, labels: Sequence[str]) -> MetricResult:
        return accuracy(y_true, y_score, labels=labels, metric_id=metric_id)

    compute.__doc__ = accuracy.__doc__
    return compute


METRICS = [
    MetricConfig("accuracy", "1.0", "classification", "labels", accuracy,
                 description="fraction of items classified correctly (micro accuracy)", primary="accuracy"),
    MetricConfig("ave_segment_accuracy", "1.0", "classification", "labels", _accuracy_as("ave_segment_accuracy"),
                 description="AVE: accuracy over all N x 10 one-second segments, 28 classes + background",
                 primary="accuracy"),
    MetricConfig("balanced_accuracy", "1.0", "classification", "labels", balanced_accuracy,
                 description="mean recall over classes with items", primary="balanced_accuracy"),
    MetricConfig("top5_accuracy", "1.0", "classification", "labels", top_k_accuracy, {"k": 5},
                 description="true class among the 5 highest scores (ties count against)", primary="top_k_accuracy"),
    *(
        MetricConfig(f"f1_{avg}", "1.0", "classification", "labels", f1, {"average": avg},
                     description=f"{avg}-averaged precision / recall / F1, class-wise too", primary="f1")
        for avg in _AVERAGES
    ),
    MetricConfig("confusion_matrix", "1.0", "classification", "labels", confusion_matrix,
                 description="confusion matrix (rows true, columns predicted)", primary="n"),
    MetricConfig("log_loss", "1.0", "classification", "labels", log_loss, {"average": "macro", "eps": 1e-15},
                 description="multi-class log loss, mean of class-wise losses (DCASE 2021 Task 1B)", primary="log_loss"),
    MetricConfig("log_loss_micro", "1.0", "classification", "labels", log_loss, {"average": "micro", "eps": 1e-15},
                 description="multi-class log loss averaged over items (scikit-learn log_loss)", primary="log_loss"),
]
