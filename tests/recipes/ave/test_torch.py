"""The AVE PyTorch adapter (extra ``baselines``) on the toy dataset.

With torch installed (e.g. ``/work/peers/torchvenv``) the adapter runs through a DataLoader with two
worker processes; without torch the adapter must say which extra installs it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from avbench.errors import InputError, MissingExtraError
from avbench.recipes.ave import RECIPE

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("h5py", reason="the toy feature files need h5py (extra 'features')")
    root = tmp_path_factory.mktemp("ave_torch") / "ave"
    RECIPE.make_toy(root)
    return root


@pytest.mark.skipif(HAS_TORCH, reason="torch is installed: the missing-extra path cannot be exercised")
def test_without_torch_the_error_names_the_extra(tmp_path: Path) -> None:
    from avbench.recipes.ave.torch_dataset import torch_dataset

    with pytest.raises(MissingExtraError, match=r'avbench\[baselines\]'):
        torch_dataset(tmp_path, "train")


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch (extra 'baselines') is not installed in this environment")
def test_feature_mode_through_a_dataloader(toy: Path) -> None:
    import torch

    from avbench.recipes.ave.torch_dataset import collate, torch_dataset

    ds = torch_dataset(toy, "train")
    assert isinstance(ds, torch.utils.data.Dataset) and len(ds) == 4
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate)
    batches = list(loader)
    assert [b["clip_id"] for b in batches] == [["0005_toyAAAAAAA5", "0000_toyAAAAAAA1"],
                                               ["0003_toyAAAAAAA4", "0001_toyAAAAAAA2"]]
    b = batches[1]
    assert b["audio"].shape == (2, 10, 128) and b["audio"].dtype == torch.float32
    assert b["visual"].shape == (2, 10, 7, 7, 512) and b["labels"].dtype == torch.int64
    assert b["visual"][0, :, 0, 0, 0].tolist() == [30.0 + s for s in range(10)]  # row 3: 10 r + s
    assert b["labels"][1].tolist() == [28] * 10 and b["weak_label"].tolist() == [1, 0]
    assert batches[0]["has_video"].tolist() == [False, True]


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch (extra 'baselines') is not installed in this environment")
def test_raw_mode_and_bad_options(toy: Path) -> None:
    pytest.importorskip("av", reason="raw mode decodes with PyAV (extra 'video')")
    from avbench.recipes.ave.torch_dataset import torch_dataset

    ds = torch_dataset(toy, "test", mode="raw", fps=1, size=(4, 4), sample_rate=1000)
    item = ds[0]
    assert item["frames"].shape == (10, 1, 4, 4, 3) and item["audio"].shape == (10, 1000)
    assert bool(item["has_video"]) and not bool(ds[1]["has_video"])
    with pytest.raises(InputError, match="unknown raw-mode option"):
        torch_dataset(toy, "test", mode="raw", colour="red")
    with pytest.raises(InputError, match="mode must be 'features' or 'raw'"):
        torch_dataset(toy, "test", mode="both")
