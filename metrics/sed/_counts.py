"""Sufficient statistics of SED F1 / error-rate metrics and the values derived from them.

Both segment-based and event-based metrics reduce a set of clips to :class:`SedCounts`: per class
``tp``, ``n_ref``, ``n_sys`` (and ``tn`` for segments), plus overall substitutions, deletions and
insertions. Counts of disjoint clip sets add up (``a + b``), so scoring clips in chunks gives
exactly what one call gives.

Formulas (Mesaros et al. 2016; sed_eval):

- precision ``P = tp / n_sys``, recall ``R = tp / n_ref``, ``F1 = 2 tp / (n_ref + n_sys)``;
- overall error rate ``ER = (S + D + I) / n_ref`` with substitution / deletion / insertion rates
  ``S / n_ref`` ...; class-wise ``ER = (fn + fp) / n_ref`` (no substitutions within one class);
- macro (class-wise average): plain mean over **all** classes of the label set.

Edge policies (each flagged in ``MetricResult.flags``; sed_eval differs as noted):

- ``n_sys == 0``: precision 0 (sed_eval: NaN, unless ``empty_system_output_handling='zero_score'``);
- ``n_ref == 0``: recall 0; F1 is then 0 (sed_eval: NaN, dropped from its ``nanmean`` macro);
- ``n_ref + n_sys == 0``: F1 0;
- rates with ``n_ref == 0`` divide by 1, i.e. they are the raw counts (sed_eval divides by
  ``n_ref + 2.2e-16``, giving error rates around 4.5e15).

Example:
    >>> c = SedCounts(("a", "b"), tp=np.array([1, 0]), n_ref=np.array([2, 0]), n_sys=np.array([1, 3]),
    ...               subs=0, dels=1, ins=3)
    >>> f1, p, r, flags = prf(c.tp, c.n_ref, c.n_sys)
    >>> f1.round(3).tolist(), p.round(3).tolist(), r.tolist()
    ([0.667, 0.0], [1.0, 0.0], [0.5, 0.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.results import MetricResult

__all__ = ["SedCounts", "prf", "rates", "counts_to_result"]


@dataclass(frozen=True)
class SedCounts:
    """Summed statistics of a set of clips (arrays are int64 ``[C]``, in ``labels`` order).

    Attributes:
        labels: class names.
        tp, n_ref, n_sys: per class true positives, reference and system counts (events or
            active segments).
        subs, dels, ins: overall substitutions, deletions, insertions.
        tn: per class true negatives (segment-based only, else ``None``).
        n_clips: clips counted.
        length: evaluated length in seconds (as sed_eval reports it).
    """

    labels: tuple[str, ...]
    tp: np.ndarray
    n_ref: np.ndarray
    n_sys: np.ndarray
    subs: int
    dels: int
    ins: int
    tn: np.ndarray | None = None
    n_clips: int = 0
    length: float = 0.0

    def __add__(self, other: SedCounts) -> SedCounts:
        if not isinstance(other, SedCounts) or other.labels != self.labels:
            raise InputError("SED counts can only be added for the same label set")
        tn = None if self.tn is None or other.tn is None else self.tn + other.tn
        return SedCounts(
            self.labels, self.tp + other.tp, self.n_ref + other.n_ref, self.n_sys + other.n_sys,
            self.subs + other.subs, self.dels + other.dels, self.ins + other.ins, tn,
            self.n_clips + other.n_clips, self.length + other.length,
        )


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


F_FORMULAS = ("counts", "sed_eval")


def prf(tp: Any, n_ref: Any, n_sys: Any, f_formula: str = "counts"
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """F1, precision, recall (0 where undefined) and a bool mask of classes with an undefined part.

    ``f_formula="counts"``: ``F1 = 2 TP / (Nref + Nsys)``; ``"sed_eval"``: ``F1 = 2 P R / (P + R)`` in
    sed_eval's order of float operations (equal in exact arithmetic, can differ in the last bit).
    """
    tp, n_ref, n_sys = (np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (tp, n_ref, n_sys))
    p, r = _div(tp, n_sys), _div(tp, n_ref)
    if f_formula == "sed_eval":
        f = _div(2.0 * p * r, p + r)
    elif f_formula == "counts":
        f = _div(2 * tp, n_ref + n_sys)
    else:
        raise InputError(f"f_formula must be one of {', '.join(F_FORMULAS)}, got {f_formula!r}")
    return f, p, r, (n_ref == 0) | (n_sys == 0)


def rates(n_ref: Any, *counts: Any, f_formula: str = "counts") -> list[np.ndarray]:
    """Each count divided by ``n_ref``, or by 1 where ``n_ref == 0``.

    ``f_formula="sed_eval"`` divides by ``n_ref + 2.2e-16`` (sed_eval's ``numpy.spacing(1)`` guard)
    where ``n_ref > 0``: the same number except in the last bit when ``n_ref == 1``.
    """
    n = np.asarray(n_ref, dtype=np.float64)
    den = np.maximum(n, 1.0)
    if f_formula == "sed_eval":
        den = np.where(n > 0, n + np.spacing(1.0), den)
    return [np.asarray(c, dtype=np.float64) / den for c in counts]


def counts_to_result(
    counts: SedCounts,
    *,
    metric_id: str,
    version: str,
    params: Mapping[str, Any],
    flags: Sequence[str] = (),
    unit: str = "events",
    extra: Mapping[str, Any] | None = None,
    f_formula: str = "counts",
) -> MetricResult:
    """Derive overall (micro), macro and class-wise values from ``counts`` (module policies)."""
    c = counts
    fn = c.n_ref - c.tp
    fp = c.n_sys - c.tp
    f1, p, r, undefined = prf(c.tp, c.n_ref, c.n_sys, f_formula)
    er_d, er_i = rates(c.n_ref, fn, fp, f_formula=f_formula)
    cw_er = er_d + er_i
    tp_all, ref_all, sys_all = int(c.tp.sum()), int(c.n_ref.sum()), int(c.n_sys.sum())
    of1, op, orr, _ = prf(tp_all, ref_all, sys_all, f_formula)
    s_r, d_r, i_r = rates(ref_all, c.subs, c.dels, c.ins, f_formula=f_formula)
    overall: dict[str, float] = {
        "f1": float(of1[0]),
        "precision": float(op[0]),
        "recall": float(orr[0]),
        "error_rate": float(s_r + d_r + i_r),
        "substitution_rate": float(s_r),
        "deletion_rate": float(d_r),
        "insertion_rate": float(i_r),
        "f1_macro": float(f1.mean()),
        "precision_macro": float(p.mean()),
        "recall_macro": float(r.mean()),
        "error_rate_macro": float(cw_er.mean()),
        "deletion_rate_macro": float(er_d.mean()),
        "insertion_rate_macro": float(er_i.mean()),
    }
    class_wise: dict[str, dict[str, float]] = {}
    for k, name in enumerate(c.labels):
        class_wise[name] = {
            "f1": float(f1[k]), "precision": float(p[k]), "recall": float(r[k]),
            "error_rate": float(cw_er[k]), "deletion_rate": float(er_d[k]), "insertion_rate": float(er_i[k]),
            "n_ref": int(c.n_ref[k]), "n_sys": int(c.n_sys[k]), "tp": int(c.tp[k]),
        }
    all_flags = list(flags)
    for k in np.flatnonzero(undefined):
        name = c.labels[k]
        if c.n_ref[k] == 0 and c.n_sys[k] == 0:
            all_flags.append(f"class {name!r} has no reference and no predicted {unit}: F1, precision, recall set to 0")
        elif c.n_ref[k] == 0:
            all_flags.append(
                f"class {name!r} has no reference {unit}: recall and F1 set to 0, error rates divided by 1"
            )
        else:
            all_flags.append(f"class {name!r} has no predicted {unit}: precision and F1 set to 0")
    if ref_all == 0:
        all_flags.append(f"no reference {unit} at all: overall rates divided by 1")
    if c.tn is not None:
        tn_all = int(c.tn.sum())
        fp_all, fn_all = sys_all - tp_all, ref_all - tp_all
        sens, spec, acc = (float(x[0]) for x in (
            _div(np.array([tp_all]), np.array([tp_all + fn_all])),
            _div(np.array([tn_all]), np.array([tn_all + fp_all])),
            _div(np.array([tp_all + tn_all]), np.array([tp_all + tn_all + fp_all + fn_all])),
        ))
        overall.update(accuracy=acc, balanced_accuracy=0.5 * (sens + spec), sensitivity=sens, specificity=spec)
    ex: dict[str, Any] = {
        "counts": {
            "n_ref": ref_all, "n_sys": sys_all, "tp": tp_all, "fp": sys_all - tp_all, "fn": ref_all - tp_all,
            "substitutions": int(c.subs), "deletions": int(c.dels), "insertions": int(c.ins),
            **({"tn": int(c.tn.sum())} if c.tn is not None else {}),
        },
        "n_clips": int(c.n_clips),
        "evaluated_length_s": float(c.length),
        "unit": unit,
    }
    ex.update(extra or {})
    return MetricResult(metric_id, version, dict(params), overall, class_wise, tuple(all_flags), ex)
