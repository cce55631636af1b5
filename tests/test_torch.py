"""``avbench.torch``: the generic dataset adapter (tensors + availability masks) and its collate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.recipes.synth import RECIPE

torch = pytest.importorskip("torch", reason="avbench.torch needs the [baselines] extra (torch)")
pytestmark = pytest.mark.torch

from avbench.torch import collate, dataset  # noqa: E402


def test_items_follow_the_recipe_and_carry_masks(synth_small: Path) -> None:
    ds = dataset("synth", "val", root=synth_small, audio="logmel", video="frames", channels="mono", n_segments=10)
    clips = RECIPE.load(synth_small, split="val")
    assert ds.clip_ids == list(clips) and len(ds) == len(clips)
    for i, (cid, clip) in enumerate(clips.items()):
        item = ds[i]
        assert item["clip_id"] == cid and item["index"] == i
        assert tuple(item["audio"].shape) == (1, 500, 40) and item["audio"].dtype == torch.float32
        assert bool(item["has_video"]) == bool(clip.has_video)
        assert item["video_mask"].tolist() == clip.video_mask(10)
        if clip.has_video:
            assert tuple(item["video"].shape) == (50, 64, 64, 3) and item["video"].dtype == torch.uint8
        else:
            assert item["video"] is None


def test_clips_without_video_never_open_a_video_file(synth_small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = dataset("synth", "train", root=synth_small, audio=None, video="frames")
    without = [i for i, c in enumerate(ds.clips) if not c.has_video]
    assert without, "the small synth build has clips without video"
    opened: list[str] = []
    real = np.load
    monkeypatch.setattr(np, "load", lambda p, *a, **k: (opened.append(str(p)), real(p, *a, **k))[1])
    for i in without:
        assert ds[i]["video"] is None
    assert opened == []


def test_array_audio_and_spectrogram_shapes(synth_small: Path) -> None:
    wav = dataset("synth", "test", root=synth_small, audio="waveform", video=None)[0]["audio"]
    assert tuple(wav.shape) == (7, 160000)
    spec = dataset("synth", "test", root=synth_small, audio="spectrogram", video=None)[0]["audio"]
    assert tuple(spec.shape) == (14, 500, 321)
    assert float(spec[7:].abs().max()) <= np.pi + 1e-6  # the phase half


def test_collate_pads_and_keeps_masks(synth_small: Path) -> None:
    ds = dataset("synth", "train", root=synth_small, audio="logmel", video="frames", channels="mono")
    with_v = next(i for i, c in enumerate(ds.clips) if c.has_video)
    without = next(i for i, c in enumerate(ds.clips) if not c.has_video)
    short = dict(ds[with_v])
    short["audio"] = short["audio"][:, :300]
    batch = collate([short, ds[without]])
    assert tuple(batch["audio"].shape) == (2, 1, 500, 40)
    assert batch["audio_lengths"].tolist() == [300, 500]
    assert float(batch["audio"][0, :, 300:].abs().sum()) == 0.0
    assert batch["has_video"].tolist() == [True, False]
    assert tuple(batch["video"].shape) == (2, 50, 64, 64, 3) and batch["video_lengths"].tolist() == [50, 0]
    assert int(batch["video"][1].sum()) == 0
    only_without = collate([ds[without]])
    assert only_without["video"] is None and only_without["video_lengths"] is None


def test_a_dataloader_iterates_the_adapter(synth_small: Path) -> None:
    ds = dataset("synth", "test", root=synth_small, audio="logmel", video=None, channels="mono", cache=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=5, collate_fn=collate)
    seen = [cid for batch in loader for cid in batch["clip_id"]]
    assert seen == ds.clip_ids


def test_bad_requests_are_one_line_errors(synth_small: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="video must be one of"):
        dataset("synth", "test", root=synth_small, video="pixels")
    with pytest.raises(InputError, match="channels must be"):
        dataset("synth", "test", root=synth_small, channels="left")
    with pytest.raises(InputError, match="ships no released features"):
        dataset("synth", "test", root=synth_small, audio="features")
    with pytest.raises(InputError, match="no split"):
        dataset("synth", "nope", root=synth_small)
    with pytest.raises(InputError, match="unknown dataset"):
        dataset("no-such-set", "test", root=tmp_path)


def test_ave_released_features_feed_the_ave_baselines(tmp_path: Path) -> None:
    pytest.importorskip("h5py", reason="the AVE toy feature files need h5py (extra 'features')")
    from avbench import registry
    from avbench.recipes.ave import RECIPE as AVE
    from avbench.training import TrainConfig, _loss, _spec_and_data

    root = tmp_path / "ave"
    AVE.make_toy(root)
    ds = dataset("ave", "train", root=root, audio="features", video="features")
    item = ds[0]
    assert tuple(item["audio"].shape) == (10, 128) and tuple(item["video"].shape) == (10, 7, 7, 512)
    assert ds.clip_ids == list(AVE.load(root, split="train"))
    task = registry.task("ave-weakly-supervised")
    for name in ("ave-avatt", "ave-dmrn", "ave-audio", "ave-visual"):
        base = registry.baseline(name)
        cfg = TrainConfig.from_dict(base.config_for(task.id))
        spec, data = _spec_and_data(task, cfg, root, "train")
        model = base.factory(spec, **cfg.model)
        batch = collate([data[i] for i in range(len(data))])
        out = model(batch)
        assert tuple(out.shape) == (len(data), 10, len(task.labels) + 1)
        _loss(torch, task, cfg, out, data.clips).backward()


def test_stride_subsamples_frames_and_bins_before_caching(synth_small: Path) -> None:
    full = dataset("synth", "test", root=synth_small, audio="spectrogram", video=None)[0]["audio"]
    ds = dataset("synth", "test", root=synth_small, audio="spectrogram", video=None, stride=(5, 4), cache=True)
    assert torch.equal(ds[0]["audio"], full[:, ::5, ::4])
    assert ds.arrays(0)["audio"].shape == (14, 100, 81)
    with pytest.raises(InputError, match="stride must be two positive integers"):
        dataset("synth", "test", root=synth_small, stride=(0, 1))
