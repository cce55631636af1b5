"""Missing video: a baseline must not read the visual input of a clip without video (one test id per
trainable baseline that takes video, from the registry).

1. A batch whose clips all lack video carries a visual input that raises when touched in any way:
   the forward pass must succeed without touching it.
2. In a batch that mixes clips with and without video, the visual input of the clips without video
   is filled with NaN: their outputs must be finite and equal to what the same clips give alone
   with no visual input at all (so nothing of that input reached them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avbench import registry
from avbench.baseline import TorchBaseline

torch = pytest.importorskip("torch", reason="the trainable baselines need the [baselines] extra (torch)")
pytestmark = pytest.mark.torch

from avbench.torch import collate, dataset  # noqa: E402
from avbench.training import TrainConfig, _spec_and_data  # noqa: E402

VISUAL = sorted(name for name, b in registry.baselines().items()
                if isinstance(b, TorchBaseline) and any(b.config_for(t).get("video") for t in b.tasks))


class Untouchable:
    """A visual input that raises if anything reads it (attribute, indexing, any torch function)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the visual input of clips without video was read (.{name})")

    def __getitem__(self, key: Any) -> Any:
        raise AssertionError("the visual input of clips without video was indexed")

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        raise AssertionError(f"the visual input of clips without video reached {func}")


def _first(out: Any) -> torch.Tensor:
    return out["logits"] if isinstance(out, dict) else out


@pytest.mark.parametrize("name", VISUAL)
def test_clips_without_video_do_not_read_their_visual_input(name: str, synth_small: Path) -> None:
    base = registry.baseline(name)
    task = registry.task(base.tasks[0])
    cfg = TrainConfig.from_dict(base.config_for(task.id))
    spec, _ = _spec_and_data(task, cfg, synth_small, "train")
    torch.manual_seed(0)
    model = base.factory(spec, **cfg.model).eval()
    ds = dataset("synth", "train", root=synth_small, audio=cfg.audio, video=cfg.video, channels=cfg.channels,
                 n_segments=task.n_segments)
    without = [i for i, c in enumerate(ds.clips) if not c.has_video][:2]
    with_v = [i for i, c in enumerate(ds.clips) if c.has_video][:2]
    assert without and with_v
    with torch.no_grad():
        alone = collate([ds[i] for i in without])
        assert alone["video"] is None
        reference = _first(model(alone))
        poisoned = dict(alone, video=Untouchable())
        assert torch.equal(_first(model(poisoned)), reference)
        mixed = collate([ds[i] for i in with_v + without])
        n = len(with_v)
        mixed["video"][n:] = 0
        mixed["video"] = mixed["video"].float()
        mixed["video"][n:] = float("nan")
        out = _first(model(mixed))[n:]
    assert torch.isfinite(out).all()
    assert torch.allclose(out, reference, atol=1e-5)
