"""Metric configurations and results: what every metric returns and every report records.

A metric family module in :mod:`avbench.metrics` exposes ``METRICS``, a sequence of
:class:`MetricConfig`. Each configuration is a named, versioned entry: the id a user types
(``psds1``, ``seld-dcase2022``, ``accuracy``), a version that changes whenever the numbers it gives
could change, the parameters it fixes, and the function that computes it. Every result carries id,
version and parameters, so a results file always says exactly what was computed.

Compute signatures by ``input`` kind (what :mod:`avbench.evaluation` passes):

- ``"labels"``: ``compute(y_true, y_score, *, labels, **params)`` with ``y_true`` int ``[N]``
  (class index; background, where a task has one, is ``len(labels)``) and ``y_score`` float
  ``[N, C]`` scores or int ``[N]`` predicted indices;
- ``"multilabel"``: ``compute(y_true, y_score, *, labels, **params)``, both ``[N, C]``;
- ``"cml"``: ``compute(true_start, pred_start, **params)``, int ``[N]`` segment indices;
- ``"sed"`` and ``"seld"``: family-specific inputs (see :mod:`avbench.metrics.sed.files` and
  :mod:`avbench.metrics.seld.files`); their modules provide ``JSON_ADAPTERS[input]``, a function
  ``from_json(task, reference_clips, predicted_clips) -> (args, kwargs)`` that turns validated
  predictions JSON content into the ``compute`` arguments.

Example:
    >>> r = MetricResult("accuracy", "1.0", {}, {"accuracy": 0.5})
    >>> r.to_dict()["overall"]
    {'accuracy': 0.5}
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from avbench.errors import InputError

__all__ = ["MetricConfig", "MetricResult", "INPUT_KINDS", "jsonable", "with_avbench_beside"]

INPUT_KINDS = ("labels", "multilabel", "cml", "sed", "seld")


def jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and mappings to plain JSON types; NaN/inf become ``None``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class MetricResult:
    """The value(s) of one metric configuration on one set of clips.

    Attributes:
        id, version, params: the configuration that produced it.
        overall: named overall values (e.g. ``{"f1": 0.61, "error_rate": 0.52}``).
        class_wise: ``{class: {name: value}}``.
        flags: edge-policy notes a reader must see (e.g. ``"class 'cat' has no reference:
            F1 set to 0"``).
        extra: anything else worth keeping (counts, curves, confidence intervals).
    """

    id: str
    version: str
    params: Mapping[str, Any]
    overall: Mapping[str, float | None]
    class_wise: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "id": self.id,
                "version": self.version,
                "params": dict(self.params),
                "overall": dict(self.overall),
                "class_wise": {k: dict(v) for k, v in self.class_wise.items()},
                "flags": list(self.flags),
                **({"extra": dict(self.extra)} if self.extra else {}),
            }
        )


@dataclass(frozen=True)
class MetricConfig:
    """A named, versioned metric configuration in the registry.

    There is one number per id: :meth:`compute` (and calling the configuration) always applies the
    configuration's ``params``, and its signature shows them as the defaults, so
    ``registry.metric("event_f1").compute(ref, det, labels=...)`` is the DCASE event F1 with a
    200 ms collar and 20 % offset tolerance, exactly what ``avbench evaluate --metrics event_f1``
    computes. The bare family function is :attr:`function`, for code that wants other defaults.

    Args:
        id: what users type (lower case, ``-`` or ``_`` separated), unique across families.
        version: bump whenever the numbers for the same inputs could change.
        family: the module family (``classification``, ``sed``, ``seld``, ...).
        input: what ``compute`` takes, one of :data:`INPUT_KINDS`.
        function: the family function; called as ``function(..., **params)`` with the fixed
            ``params`` merged with the caller's keyword arguments (the caller's win).
        params: the parameters this configuration fixes; each must be a parameter of ``function``.
        description: one line for ``avbench list``.
        primary: the ``overall`` key shown first in tables.

    Raises:
        InputError: ``input`` is not a known kind, or a ``params`` key is not a parameter of
            ``function``.

    Example:
        >>> def f(y, *, k=1):
        ...     "Top-k."
        ...     return k
        >>> cfg = MetricConfig("top3", "1.0", "classification", "labels", f, {"k": 3})
        >>> cfg.compute(None), cfg(None), cfg.compute(None, k=2)
        (3, 3, 2)
        >>> import inspect; str(inspect.signature(cfg.compute))
        '(y, *, k=3)'
    """

    id: str
    version: str
    family: str
    input: str
    function: Callable[..., MetricResult]
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    primary: str = ""

    def __post_init__(self) -> None:
        if self.input not in INPUT_KINDS:
            raise InputError(f"metric {self.id!r}: input must be one of {INPUT_KINDS}, got {self.input!r}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "_compute", _with_params(self.id, self.function, self.params))

    @property
    def compute(self) -> Callable[..., MetricResult]:
        """``function`` with this configuration's ``params`` as its defaults (see the class doc)."""
        return self._compute  # type: ignore[attr-defined,no-any-return]

    def __call__(self, *args: Any, **overrides: Any) -> MetricResult:
        """Compute with the configuration's parameters, overridden by ``overrides``."""
        return self._compute(*args, **overrides)  # type: ignore[attr-defined,no-any-return]


def _with_params(metric_id: str, fn: Callable[..., Any], params: Mapping[str, Any]) -> Callable[..., Any]:
    """``fn`` with ``params`` merged under the caller's keywords, and a signature showing them as defaults."""
    sig = inspect.signature(fn)
    has_var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    unknown = [k for k in params if k not in sig.parameters]
    if unknown and not has_var_kw:
        raise InputError(f"metric {metric_id!r}: params {unknown} are not parameters of {fn.__qualname__}")
    fixed = dict(params)

    def compute(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **{**fixed, **kwargs})

    try:
        compute.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[p.replace(default=fixed[n]) if n in fixed else p for n, p in sig.parameters.items()]
        )
    except ValueError:  # a positional parameter given a default before one without: keep the order's rules
        compute.__signature__ = sig  # type: ignore[attr-defined]
    compute.__doc__ = fn.__doc__
    compute.__name__ = compute.__qualname__ = f"compute_{metric_id.replace('-', '_')}"
    compute.__module__ = getattr(fn, "__module__", __name__)
    return compute


#: two profiles' values that differ by less than this (relative) differ only in the order of float additions
#: (e.g. sed_eval's 2PR/(P+R) against avbench's 2TP/(2TP+FP+FN): 1 ulp), not in what was counted
SAME_VALUE_RTOL = 1e-12


def differing(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """``{key: (ours, theirs)}`` for the numeric overall values that two profiles give differently.

    Values within :data:`SAME_VALUE_RTOL` of each other (relative, or 1e-15 absolute near 0) and
    NaN beside NaN are the same number; a key missing on either side or holding a non-number is left out.

    Example:
        >>> differing({"f1": 0.9503546099290779, "er": 0.1, "n": 3}, {"f1": 0.950354609929078, "er": 0.2, "n": 3})
        {'er': (0.1, 0.2)}
    """
    out = {}
    for k, v in ours.items():
        w = theirs.get(k)
        if not (isinstance(v, (int, float)) and isinstance(w, (int, float))) or isinstance(v, bool):
            continue
        if v != v and w != w:
            continue
        if v != w and not math.isclose(v, w, rel_tol=SAME_VALUE_RTOL, abs_tol=1e-15):
            out[k] = (v, w)
    return out


def with_avbench_beside(res: MetricResult, alt: MetricResult, *, profile: str, primary: str = "") -> MetricResult:
    """``res`` (scored with reference ``profile``) with avbench's own value beside it where the two differ.

    When some overall value of ``alt`` (the same inputs under avbench's documented definitions) differs,
    ``extra["avbench_value"]`` holds alt's overall values and parameters, and a flag names the primary
    (or most different) value both ways; otherwise ``res`` is returned unchanged.

    Example:
        >>> a = MetricResult("m", "1", {"compat": "official"}, {"f1": 0.5}, {}, (), {})
        >>> b = MetricResult("m", "1", {"compat": "none"}, {"f1": 0.75}, {}, (), {})
        >>> with_avbench_beside(a, b, profile="official", primary="f1").flags[0]
        "profile official (the tool's number, as published): f1 0.5 here, 0.75 with avbench's definitions, 1 value(s) differ"
    """
    diff = differing(res.overall, alt.overall)
    if not diff:
        return res
    key = primary if primary in diff else max(diff, key=lambda k: abs(diff[k][0] - diff[k][1]))
    flag = (f"profile {profile} (the tool's number, as published): {key} {diff[key][0]:.6g} here, "
            f"{diff[key][1]:.6g} with avbench's definitions, {len(diff)} value(s) differ")
    extra = {**res.extra, "avbench_value": {"params": dict(alt.params), "overall": dict(alt.overall),
                                            "flags": [f for f in alt.flags if f not in res.flags]}}
    return dataclasses.replace(res, flags=tuple(res.flags) + (flag,), extra=extra)
