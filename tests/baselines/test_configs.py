"""Every shipped baseline configuration (``baselines/configs/NAME.yaml``) is a valid training config."""

from __future__ import annotations

import pytest

from avbench import registry
from avbench.baseline import TorchBaseline
from avbench.training import TrainConfig

TORCH = sorted(n for n, b in registry.baselines().items() if isinstance(b, TorchBaseline))


@pytest.mark.parametrize("name", TORCH)
def test_shipped_configs_parse_and_cover_the_synth_tasks(name: str) -> None:
    base = registry.baseline(name)
    configs = base.configs()
    assert set(base.tasks) <= set(configs), f"{name}: no config for {set(base.tasks) - set(configs)}"
    assert len(configs) > len(base.tasks), f"{name}: ships no real-data configuration"
    for task_id, cfg in configs.items():
        TrainConfig.from_dict(cfg, source=f"{name}.yaml[{task_id}]")
