"""MetricConfig: one number per metric id, whichever public path computes it."""

from __future__ import annotations

import inspect

import pytest

from avbench import registry
from avbench.errors import InputError
from avbench.model import Event
from avbench.results import MetricConfig


def test_compute_of_a_registered_config_applies_its_parameters() -> None:
    # reference 0-10 s, detection 0-6 s: the offset is 4 s off. DCASE event F1 (collar 0.2 s, offset
    # tolerance 20 % of 10 s = 2 s) misses it; sed_eval's own default (50 % = 5 s) would hit it.
    ref = {"a.wav": [Event(0.0, 10.0, "dog")]}
    det = {"a.wav": [Event(0.0, 6.0, "dog")]}
    cfg = registry.metric("event_f1")
    assert cfg.params["percentage_of_length"] == 0.2
    via_compute = cfg.compute(ref, det, durations=None, labels=["dog"])
    via_call = cfg(ref, det, durations=None, labels=["dog"])
    assert via_compute.overall["f1_macro"] == via_call.overall["f1_macro"] == 0.0
    bare = cfg.function(ref, det, durations=None, labels=["dog"])  # the family function's own defaults: a hit
    assert bare.overall["f1_macro"] == 1.0


@pytest.mark.parametrize("metric_id", sorted(registry.metrics()))
def test_signature_of_compute_shows_the_configuration_parameters(metric_id: str) -> None:
    cfg = registry.metric(metric_id)
    sig = inspect.signature(cfg.compute)
    for name, value in cfg.params.items():
        if name in sig.parameters:
            assert sig.parameters[name].default == value, name


def test_a_parameter_the_function_does_not_take_is_refused_at_registration() -> None:
    def f(y, *, k=1):
        return k

    with pytest.raises(InputError, match="not parameters of"):
        MetricConfig("bad", "1.0", "classification", "labels", f, {"kk": 3})
