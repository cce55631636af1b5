"""Missing modalities (one test id per trainable baseline, from the registry).

Video: a baseline must not read the visual input of a clip without video.

1. A batch whose clips all lack video carries a visual input that raises when touched in any way:
   the forward pass must succeed without touching it.
2. In a batch that mixes clips with and without video, the visual input of the clips without video
   is filled with NaN: their outputs must be finite and equal to what the same clips give alone
   with no visual input at all (so nothing of that input reached them).

Audio: a split whose clips have no audio on disk (``has_audio`` False; :func:`avbench.torch.collate`
gives ``audio`` None when no clip of a batch has any) is predicted by every baseline: each clip gets
a valid prediction from zeros in place of its audio, the same as it gets beside clips that have
audio, and the file lists it in ``model.clips_without_audio``; in training such clips contribute no
loss and a batch of them none at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from avbench import registry
from avbench.baseline import TorchBaseline

torch = pytest.importorskip("torch", reason="the trainable baselines need the [baselines] extra (torch)")
pytestmark = pytest.mark.torch

from avbench.torch import collate, dataset  # noqa: E402
from avbench.training import TrainConfig, Trained, _heard, _spec_and_data, predict  # noqa: E402

TRAINABLE = sorted(name for name, b in registry.baselines().items() if isinstance(b, TorchBaseline))

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


def _silenced(ds: Any, ids: set[str]) -> Any:
    """``ds`` with the clips ``ids`` marked as without audio (``has_audio`` False, as a recipe marks a
    clip whose audio is not on disk)."""
    from dataclasses import replace

    ds.clips = [replace(c, has_audio=False) if c.id in ids else c for c in ds.clips]
    ds._memo.clear()
    return ds


def _scores(content: dict[str, Any]) -> Any:
    return next((content[k] for k in ("segment_scores", "clip_scores") if k in content),
                content.get("frame_scores", {}).get("values", content.get("events")))


@pytest.mark.parametrize("name", TRAINABLE)
def test_clips_without_audio_are_predicted_and_listed(name: str, synth_small: Path) -> None:
    base = registry.baseline(name)
    task = registry.task(base.tasks[0])
    cfg = TrainConfig.from_dict({**base.config_for(task.id), "batch_size": 4})
    spec, _ = _spec_and_data(task, cfg, synth_small, "train")
    torch.manual_seed(0)
    model = base.factory(spec, **cfg.model)
    _, ds = _spec_and_data(task, cfg, synth_small, cfg.val_split)
    ds.clips, ds.clip_ids = ds.clips[:8], ds.clip_ids[:8]  # two batches
    every, heard = list(ds.clip_ids), list(ds.clips)
    trained = Trained(model, spec, task, cfg, synth_small, None, -1, [])
    trained.val_data = _silenced(ds, set(every))  # every batch: audio None
    assert collate([ds[0], ds[1]])["audio"] is None
    alone = predict(trained, cfg.val_split)
    alone.validate(task)
    assert set(alone.clips) == set(every) and alone.model["clips_without_audio"] == every
    ds.clips = heard
    some = set(every[1::2])  # every batch of 4 mixes clips with and without audio
    trained.val_data = _silenced(ds, some)
    mixed = predict(trained, cfg.val_split)
    mixed.validate(task)
    assert mixed.model["clips_without_audio"] == [c for c in every if c in some]
    for cid in some:  # zeros in place of the audio, whether or not the batch has other audio
        a, b = _scores(alone.clips[cid]), _scores(mixed.clips[cid])
        if task.kind.value == "event-localization":
            continue  # events decoded from thresholds: only validity is compared
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), atol=1e-4), cid


def test_a_training_batch_keeps_its_clips_with_audio_only(synth_small: Path) -> None:
    base = registry.baseline("scene-avmlp")
    task = registry.task("synth-scene")
    cfg = TrainConfig.from_dict(base.config_for(task.id))
    spec, ds = _spec_and_data(task, cfg, synth_small, "train")
    with_v = [c.id for c in ds.clips if c.has_video][:2]
    without_v = [c.id for c in ds.clips if not c.has_video][:2]
    ids = with_v + without_v
    _silenced(ds, set(ids[:2] + ids[3:]))  # the clips with video, and one without, lose their audio
    batch = collate([ds[ds.clip_ids.index(c)] for c in ids])
    kept = _heard(torch, batch, spec)
    assert kept["clip_id"] == [ids[2]] and kept["index"].tolist() == [ds.clip_ids.index(ids[2])]
    assert kept["audio"].shape[0] == 1 and kept["has_audio"].tolist() == [True]
    assert kept["video"] is None and kept["video_lengths"] is None  # no kept clip has video
    _silenced(ds, set(ids))
    assert _heard(torch, collate([ds[ds.clip_ids.index(c)] for c in ids]), spec) is None  # no loss at all
    assert _heard(torch, batch, dataclasses_replace(spec, audio=None)) is batch  # a model without audio: as is


def dataclasses_replace(obj: Any, **kw: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **kw)
