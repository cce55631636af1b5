"""Shared helpers of the single-label classification metrics: inputs and the confusion matrix.

The confusion matrix is the sufficient statistic of every single-label count metric (accuracy,
balanced accuracy, precision/recall/F1): matrices of chunks of clips add up to the matrix of all
clips, so chunked evaluation is exact.

Example:
    >>> confusion([0, 1, 1], [0, 1, -1], 2).tolist()
    [[1, 0], [0, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from avbench.errors import InputError

__all__ = ["as_labels", "predicted_indices", "confusion", "NO_PREDICTION"]

NO_PREDICTION = -1


def as_labels(y_true: object, n_classes: int, *, name: str = "y_true") -> np.ndarray:
    """``y_true`` as an int array ``[N]`` with every value in ``0..n_classes-1``."""
    arr = np.asarray(y_true)
    if arr.ndim != 1:
        raise InputError(f"{name} must be a 1-D array of class indices, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(arr[(arr < 0) | (arr >= n_classes)][0])
        raise InputError(f"{name} holds class index {bad}, outside 0..{n_classes - 1}")
    return arr


def predicted_indices(y_score: object, n: int, n_classes: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``(y_pred [N], scores [N, C] or None)`` from scores (argmax) or predicted indices.

    A predicted index of :data:`NO_PREDICTION` (-1) means nothing was predicted for that item.
    """
    arr = np.asarray(y_score)
    if arr.ndim == 2:
        if arr.shape != (n, n_classes):
            raise InputError(f"y_score has shape {arr.shape}, expected ({n}, {n_classes})")
        scores = arr.astype(float, copy=False)
        if not np.all(np.isfinite(scores)):
            raise InputError("y_score contains NaN or infinite values")
        return scores.argmax(axis=1), scores
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"y_pred must have shape ({n},) or scores ({n}, {n_classes}), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"y_pred must hold integer class indices, got dtype {arr.dtype}")
    pred = arr.astype(np.int64, copy=False)
    if pred.size and (pred.min() < NO_PREDICTION or pred.max() >= n_classes):
        raise InputError(f"y_pred holds an index outside -1..{n_classes - 1}")
    return pred, None


def confusion(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = items of true class ``i`` predicted as ``j``; ``-1`` predictions are left out
    (they count against recall through the row totals, see :func:`row_support`)."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    keep = p >= 0
    return np.bincount(t[keep] * n_classes + p[keep], minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def support(y_true: np.ndarray, n_classes: int) -> np.ndarray:
    """Items per true class (including those with no prediction)."""
    return np.bincount(y_true, minlength=n_classes)


def check_labels(labels: Sequence[str] | None, n_classes: int | None = None) -> tuple[str, ...]:
    if labels is None:
        raise InputError("labels (the class names) are required")
    labels = tuple(str(x) for x in labels)
    if n_classes is not None and len(labels) != n_classes:
        raise InputError(f"labels has {len(labels)} names but the scores have {n_classes} columns")
    return labels
