"""Contract every registered metric configuration fulfils (one test id per metric id)."""

from __future__ import annotations

import inspect
import re

import pytest

from avbench import registry
from avbench.results import INPUT_KINDS

IDS = sorted(registry.metrics())


@pytest.mark.parametrize("metric_id", IDS)
def test_configuration_is_named_versioned_and_documented(metric_id: str) -> None:
    cfg = registry.metric(metric_id)
    assert cfg.id == metric_id and re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", metric_id)
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", cfg.version), f"{metric_id}: version {cfg.version!r}"
    assert cfg.input in INPUT_KINDS and cfg.family and cfg.description
    doc = inspect.getdoc(cfg.compute) or ""
    assert len(doc) > 20, f"{metric_id}: compute needs a docstring with the formula"


@pytest.mark.parametrize("metric_id", IDS)
def test_parameters_are_keyword_only_and_unknown_ones_rejected(metric_id: str) -> None:
    cfg = registry.metric(metric_id)
    sig = inspect.signature(cfg.compute)
    kinds = {p.kind for p in sig.parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{metric_id}: compute swallows unknown keyword arguments"
    for key in cfg.params:
        assert key in sig.parameters, f"{metric_id}: fixed parameter {key!r} is not a parameter of compute"
        assert sig.parameters[key].kind is inspect.Parameter.KEYWORD_ONLY, f"{metric_id}: {key!r} must be keyword-only"
