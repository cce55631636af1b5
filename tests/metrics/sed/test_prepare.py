"""prepare() keeps what it derives on an EventMap reference and on SedPredictions: same values, derived once."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed import _columns
from avbench.metrics.sed._columns import EventMap, sorted_unique
from avbench.metrics.sed.event import event_based
from avbench.metrics.sed.io import SedPredictions
from avbench.metrics.sed.segment import segment_based
from avbench.model import Event

LABELS = ["a", "b"]


def _inputs(seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    ref, est = {}, {}
    for i in range(20):
        r = []
        for _ in range(rng.integers(0, 5)):
            on = round(float(rng.uniform(0, 8)), 1)
            r.append(Event(on, round(on + float(rng.uniform(0.1, 2)), 1), str(rng.choice(LABELS))))
        ref[f"c{i}"] = r
        est[f"c{i}"] = [Event(e.onset + 0.1, e.offset, e.label) for e in r if rng.random() < 0.8]
    return ref, est


@pytest.mark.filterwarnings("ignore:reference. merged")
def test_kept_forms_give_the_values_of_fresh_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    ref, est = _inputs(0)
    dur = {c: 10.0 for c in ref}
    calls = []
    real = _columns.EventColumns.from_events.__func__
    monkeypatch.setattr(_columns.EventColumns, "from_events",
                        classmethod(lambda cls, *a, **k: calls.append(k.get("what")) or real(cls, *a, **k)))
    shared_ref, shared_pred = EventMap(ref), SedPredictions(events=est)
    runs = [(segment_based, {}), (event_based, {}), (segment_based, {"time_decimals": None}),
            (event_based, {"time_decimals": None, "merge_reference": False}), (event_based, {})]
    for fn, kw in runs:
        kept = fn(shared_ref, shared_pred, durations=dur, labels=LABELS, **kw)
        fresh = fn({k: list(v) for k, v in ref.items()}, {k: list(v) for k, v in est.items()}, durations=dict(dur),
                   labels=LABELS, **kw)
        assert kept.overall == fresh.overall and kept.flags == fresh.flags and kept.to_dict() == fresh.to_dict()
    # fresh inputs: 2 per run; kept: the predictions once, the reference once per (merge, rounding) setting
    assert calls.count("predicted") == len(runs) + 1
    assert calls.count("reference") == len(runs) + 3


@pytest.mark.filterwarnings("ignore:reference. merged")
def test_errors_and_warnings_repeat_on_kept_inputs() -> None:
    ref = EventMap({"x": [Event(0, 2, "a"), Event(1, 3, "a")]})
    pred = SedPredictions(events={"x": [Event(0, 1, "zz")]})
    for _ in range(2):
        with pytest.raises(InputError, match="'zz' is not in the label set"):
            segment_based(ref, pred, durations=None, labels=LABELS)
    pred = SedPredictions(events={"x": [Event(0, 1, "a")]})
    for _ in range(2):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = event_based(ref, pred, durations=None, labels=LABELS)
        assert any("merged 1" in str(x.message) for x in w) and any("merged 1" in f for f in res.flags)
        with pytest.raises(InputError, match="overlap or touch"):
            event_based(ref, pred, durations=None, labels=LABELS, strict=True)


def test_event_map_is_read_only() -> None:
    m = EventMap({"x": [Event(0, 1, "a")]})
    with pytest.raises(TypeError):
        m["y"] = ()  # type: ignore[index]
    assert isinstance(m["x"], tuple) and list(m) == ["x"] and "x" in m and m.get("y") is None


def test_sorted_unique_is_np_unique() -> None:
    rng = np.random.default_rng(1)
    for n in (0, 1, 2, 50):
        x = rng.integers(0, 7, n)
        assert sorted_unique(x).tolist() == np.unique(x).tolist()
