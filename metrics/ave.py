"""AVE cross-modal localization (A2V / V2A), the protocol of Tian et al. (ECCV 2018).

For a clip whose event is shorter than the clip (10 one-second segments), the query is the event
portion of one modality (``L`` segments); the model slides it over the other modality and
predicts the start segment of the matching window. A prediction is correct iff the predicted start
equals the true start (an exact match; no partial credit):

    accuracy = (1/N) sum_i [pred_start_i = true_start_i]

Inputs (``input="cml"``): ``true_start`` and ``pred_start`` int ``[N]``; a predicted start of -1
means no prediction (a miss).

Example:
    >>> cml_accuracy([2, 0, 5], [2, 1, 5]).overall["accuracy"]
    0.6666666666666666
"""

from __future__ import annotations

import numpy as np

from avbench.errors import InputError
from avbench.results import MetricConfig, MetricResult

__all__ = ["cml_accuracy", "METRICS"]


def cml_accuracy(true_start: object, pred_start: object) -> MetricResult:
    """Exact-start accuracy of cross-modal localization (see module docstring)."""
    t = np.asarray(true_start)
    p = np.asarray(pred_start)
    if t.ndim != 1 or p.shape != t.shape:
        raise InputError(f"true_start and pred_start must both be [N]; got {t.shape} and {p.shape}")
    if t.size == 0:
        raise InputError("no clips to score for cross-modal localization")
    for name, a in (("true_start", t), ("pred_start", p)):
        if not np.issubdtype(a.dtype, np.integer):
            raise InputError(f"{name} must hold integer segment indices, got dtype {a.dtype}")
    correct = int((t == p).sum())
    return MetricResult(
        "ave_cml_accuracy", "1.0", {}, {"accuracy": correct / t.size, "n": int(t.size)},
        extra={"correct": correct, "no_prediction": int((p < 0).sum())},
    )


METRICS = [
    MetricConfig("ave_cml_accuracy", "1.0", "ave", "cml", cml_accuracy,
                 description="AVE cross-modal localization: predicted start == true start", primary="accuracy"),
]
