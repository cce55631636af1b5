"""Registered ``compute`` functions of the SED family with explicit, checked signatures.

:func:`registered` wraps a metric function ``fn(reference, predictions, *, ..., metric_id)`` into
the ``compute`` of a :class:`~avbench.results.MetricConfig`: its signature is ``fn``'s without
``metric_id`` (every parameter keyword-only, no ``**kwargs``), and a call binds its arguments to
that signature first, so an unknown or misspelt parameter is a ``TypeError`` naming it before any
work is done (``avbench evaluate`` turns it into a one-line error).

Example:
    >>> def f(reference, predictions, *, durations, labels, dtc=0.5, metric_id="f"):
    ...     return metric_id, dtc
    >>> g = registered(f, "f_strict", "Strict f: ``TP / N``.")
    >>> str(inspect.signature(g))
    '(reference, predictions, *, durations, labels, dtc=0.5)'
    >>> g(None, None, durations={}, labels=[], dtc=0.7)
    ('f_strict', 0.7)
    >>> g(None, None, durations={}, labels=[], dct=0.7)
    Traceback (most recent call last):
    ...
    TypeError: got an unexpected keyword argument 'dct'
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["registered"]


def registered(fn: Callable[..., Any], metric_id: str, doc: str) -> Callable[..., Any]:
    """``fn`` with ``metric_id`` fixed, the signature of ``fn`` minus ``metric_id``, and docstring ``doc``."""
    sig = inspect.signature(fn)
    sig = sig.replace(parameters=[p for name, p in sig.parameters.items() if name != "metric_id"])

    @functools.wraps(fn)
    def compute(*args: Any, **kwargs: Any) -> Any:
        sig.bind(*args, **kwargs)
        return fn(*args, metric_id=metric_id, **kwargs)

    compute.__signature__ = sig  # type: ignore[attr-defined]
    compute.__doc__ = doc
    compute.__name__ = compute.__qualname__ = f"compute_{metric_id}"
    return compute
