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

``f_formula="sed_eval"`` (set by the ``sed_eval`` profile) gives sed_eval 0.2.1's values instead, to the
bit: NaN precision / recall / F1 where it divides by zero, ``numpy.nanmean`` class-wise averages (NaN
when no class is defined), rates over ``n_ref + 2.2e-16`` and accuracies over ``n + 2.2e-16``; each
cause of a NaN is flagged (JSON reports write NaN as ``null``, tables as ``NaN``).

Example:
    >>> c = SedCounts(("a", "b"), tp=np.array([1, 0]), n_ref=np.array([2, 0]), n_sys=np.array([1, 3]),
    ...               subs=0, dels=1, ins=3)
    >>> f1, p, r, flags = prf(c.tp, c.n_ref, c.n_sys)
    >>> f1.round(3).tolist(), p.round(3).tolist(), r.tolist()
    ([0.667, 0.0], [1.0, 0.0], [0.5, 0.0])
    >>> f1, p, r, _ = prf(c.tp, c.n_ref, c.n_sys, "sed_eval")
    >>> f1.round(3).tolist(), p.round(3).tolist(), r.tolist()
    ([0.667, nan], [1.0, 0.0], [0.5, nan])
"""

from __future__ import annotations

import math
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
    """F1, precision, recall and a bool mask of classes with an undefined part.

    ``f_formula="counts"``: ``F1 = 2 TP / (Nref + Nsys)``, 0 where undefined; ``"sed_eval"``: sed_eval
    0.2.1's arithmetic, ``P = TP / Nsys`` (NaN when ``Nsys == 0``), ``R = TP / Nref`` (NaN when
    ``Nref == 0``), ``F1 = 0`` when ``P == R == 0``, else ``2 P R / (P + R)`` in its order of float
    operations (NaN when P or R is; equal to the counts formula in exact arithmetic).
    """
    tp, n_ref, n_sys = (np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (tp, n_ref, n_sys))
    undefined = (n_ref == 0) | (n_sys == 0)
    if f_formula == "sed_eval":
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n_sys == 0, np.nan, tp / np.where(n_sys == 0, 1.0, n_sys))
            r = np.where(n_ref == 0, np.nan, tp / np.where(n_ref == 0, 1.0, n_ref))
            f = np.where((p == 0) & (r == 0), 0.0, 2.0 * p * r / (p + r))
        return f, p, r, undefined
    p, r = _div(tp, n_sys), _div(tp, n_ref)
    if f_formula == "counts":
        f = _div(2 * tp, n_ref + n_sys)
    else:
        raise InputError(f"f_formula must be one of {', '.join(F_FORMULAS)}, got {f_formula!r}")
    return f, p, r, undefined


def rates(n_ref: Any, *counts: Any, f_formula: str = "counts") -> list[np.ndarray]:
    """Each count divided by ``n_ref``, or by 1 where ``n_ref == 0``.

    ``f_formula="sed_eval"`` divides by ``n_ref + 2.2e-16`` (sed_eval's ``numpy.spacing(1)`` guard)
    everywhere: the same number except in the last bit when ``n_ref == 1``, and ``count / 2.2e-16``
    (about 4.5e15 per error) when ``n_ref == 0``, as sed_eval reports it.
    """
    n = np.asarray(n_ref, dtype=np.float64)
    den = np.maximum(n, 1.0)
    if f_formula == "sed_eval":
        den = n + np.spacing(1.0)
    return [np.asarray(c, dtype=np.float64) / den for c in counts]


def _nanmean(x: np.ndarray) -> float:
    """``numpy.nanmean`` as sed_eval calls it (NaN replaced by 0 in place, summed, divided by the count of
    the others; NaN when every value is NaN), without numpy's RuntimeWarning."""
    x = np.asarray(x, dtype=np.float64)
    keep = ~np.isnan(x)
    n = int(keep.sum())
    return float(np.sum(np.where(keep, x, 0.0)) / n) if n else float("nan")


def _nan_flags(c: SedCounts, overall: Mapping[str, float], unit: str) -> list[str]:
    """Why sed_eval's arithmetic gave NaN (or an epsilon-sized denominator) where it did, one flag per cause."""
    out = []
    no_ref = [n for n, k in zip(c.labels, c.n_ref) if k == 0]
    no_sys = [n for n, k in zip(c.labels, c.n_sys) if k == 0]
    if no_sys:
        out.append(f"sed_eval arithmetic: {len(no_sys)} class(es) without predicted {unit} "
                   f"({', '.join(no_sys[:5])}{', ...' if len(no_sys) > 5 else ''}): precision NaN (Nsys = 0), "
                   "F1 NaN unless recall is 0 too (avbench's rule: 0)")
    if no_ref:
        out.append(f"sed_eval arithmetic: {len(no_ref)} class(es) without reference {unit} "
                   f"({', '.join(no_ref[:5])}{', ...' if len(no_ref) > 5 else ''}): recall and F1 NaN (Nref = 0), "
                   "error rates = errors / 2.2e-16 (avbench's rule: 0 and errors / 1)")
    dropped = [k for k in ("f1_macro", "precision_macro", "recall_macro") if not math.isnan(overall[k])]
    if (no_ref or no_sys) and dropped:
        out.append("sed_eval arithmetic: the class-wise averages are numpy.nanmean over the classes whose value is "
                   "defined (NaN classes left out; avbench's rule: every class counts, as 0)")
    nan_all = [k for k, v in overall.items() if isinstance(v, float) and math.isnan(v)]
    if nan_all:
        out.append(f"sed_eval arithmetic: {', '.join(nan_all)} NaN (no {unit} on the side the value divides by, "
                   "or no class with a defined value)")
    if int(c.n_ref.sum()) == 0:
        out.append(f"sed_eval arithmetic: no reference {unit} at all: overall rates = errors / 2.2e-16")
    return out


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
    mean = _nanmean if f_formula == "sed_eval" else np.mean
    overall: dict[str, float] = {
        "f1": float(of1[0]),
        "precision": float(op[0]),
        "recall": float(orr[0]),
        "error_rate": float(s_r + d_r + i_r),
        "substitution_rate": float(s_r),
        "deletion_rate": float(d_r),
        "insertion_rate": float(i_r),
        "f1_macro": mean(f1),
        "precision_macro": mean(p),
        "recall_macro": mean(r),
        "error_rate_macro": mean(cw_er),
        "deletion_rate_macro": mean(er_d),
        "insertion_rate_macro": mean(er_i),
    }
    overall = {k: float(v) for k, v in overall.items()}
    class_wise: dict[str, dict[str, float]] = {}
    for k, name in enumerate(c.labels):
        class_wise[name] = {
            "f1": float(f1[k]), "precision": float(p[k]), "recall": float(r[k]),
            "error_rate": float(cw_er[k]), "deletion_rate": float(er_d[k]), "insertion_rate": float(er_i[k]),
            "n_ref": int(c.n_ref[k]), "n_sys": int(c.n_sys[k]), "tp": int(c.tp[k]),
        }
    all_flags = list(flags)
    if f_formula == "sed_eval":
        all_flags += _nan_flags(c, overall, unit)
    else:
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
        if f_formula == "sed_eval":  # sed_eval's eps-guarded denominators and its order of operations
            eps = np.spacing(1.0)
            sens = float(np.float64(tp_all) / (tp_all + fn_all + eps))
            spec = float(np.float64(tn_all) / (tn_all + fp_all + eps))
            acc = float(np.float64(tp_all + tn_all) / (tp_all + tn_all + fn_all + fp_all + eps))
            bacc = float((1 - 0.5) * sens + 0.5 * spec)
        else:
            sens, spec, acc = (float(x[0]) for x in (
                _div(np.array([tp_all]), np.array([tp_all + fn_all])),
                _div(np.array([tn_all]), np.array([tn_all + fp_all])),
                _div(np.array([tp_all + tn_all]), np.array([tp_all + tn_all + fp_all + fn_all])),
            ))
            bacc = 0.5 * (sens + spec)
        overall.update(accuracy=acc, balanced_accuracy=bacc, sensitivity=sens, specificity=spec)
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
