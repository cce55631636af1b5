"""PyTorch adapter for AVE (extra ``baselines``): a ``torch.utils.data.Dataset`` over either mode.

``torch_dataset(root, split, mode="features")`` wraps :class:`~avbench.recipes.ave.features.AveFeatures`
(memory-mapped; workers re-open the files) and ``mode="raw"`` wraps
:class:`~avbench.recipes.ave.media.AveMedia` (decoding options as keywords). Items are dicts of
tensors: ``audio`` float32, ``visual`` (features) or ``frames`` uint8 (raw), ``labels`` int64 ``[10]``,
``weak_label`` int64 (features), ``has_video`` bool, plus ``clip_id``; :func:`collate` stacks them
(the default collate does the same, this one keeps ``clip_id`` a list).

Torch is imported only when a dataset is made; without it a
:class:`~avbench.errors.MissingExtraError` names the ``baselines`` extra.

Example:
    >>> import numpy as np
    >>> as_float32(np.arange(3, dtype=np.float16)).dtype
    dtype('float32')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require

__all__ = ["torch_dataset", "collate", "as_float32"]

_RAW_OPTIONS = ("fps", "size", "sample_rate")


def as_float32(x: np.ndarray) -> np.ndarray:
    """A writable float32 C-contiguous copy (a tensor must not alias the read-only file mapping)."""
    return np.array(x, dtype=np.float32, order="C")


def _dataset_class(torch: Any) -> type:
    class AveTorchDataset(torch.utils.data.Dataset):
        """AVE clips as dicts of tensors (see :mod:`avbench.recipes.ave.torch_dataset`)."""

        def __init__(self, source: Any, mode: str) -> None:
            self.source, self.mode = source, mode

        def __len__(self) -> int:
            return len(self.source)

        def __getitem__(self, i: int) -> dict[str, Any]:
            item = self.source[i]
            if self.mode == "features":
                return {
                    "clip_id": item.clip_id,
                    "audio": torch.from_numpy(as_float32(item.audio)),
                    "visual": torch.from_numpy(as_float32(item.visual)),
                    "labels": torch.from_numpy(np.asarray(item.labels, np.int64)),
                    "weak_label": torch.tensor(item.weak_label, dtype=torch.int64),
                    "has_video": torch.tensor(item.has_video),
                }
            return {
                "clip_id": item["clip_id"],
                "audio": torch.from_numpy(item["audio"]),
                "frames": torch.from_numpy(item["frames"]),
                "labels": torch.from_numpy(item["labels"]),
                "has_video": torch.tensor(item["has_video"]),
            }

    return AveTorchDataset


def torch_dataset(root: str | Path, split: str | None = None, *, mode: str = "features", **options: Any) -> Any:
    """A ``torch.utils.data.Dataset`` of the AVE clips of ``split``.

    Args:
        root: the AVE data directory.
        split: ``train``, ``val``, ``test``, ``cml_*``, ``noisy`` (features only) or ``None``.
        mode: ``"features"`` (released VGGish / VGG-19 arrays) or ``"raw"`` (decoded video and audio).
        **options: for ``raw`` only: ``fps``, ``size``, ``sample_rate`` (see
            :func:`avbench.recipes.ave.media.decode_clip`).

    Raises:
        MissingExtraError: torch is not installed (extra ``baselines``).
        InputError: an unknown mode or option.
    """
    torch = require("torch", "baselines")
    if mode == "features":
        if options:
            raise InputError(f"torch_dataset: feature mode takes no options, got {', '.join(sorted(options))}")
        from avbench.recipes.ave.features import AveFeatures

        source: Any = AveFeatures(root, split)
    elif mode == "raw":
        unknown = sorted(set(options) - set(_RAW_OPTIONS))
        if unknown:
            raise InputError(f"torch_dataset: unknown raw-mode option(s) {', '.join(unknown)}; "
                             f"known: {', '.join(_RAW_OPTIONS)}")
        from avbench.recipes.ave.media import AveMedia

        source = AveMedia(root, split, **options)
    else:
        raise InputError(f"torch_dataset: mode must be 'features' or 'raw', got {mode!r}")
    return _dataset_class(torch)(source, mode)


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack a list of items into a batch; ``clip_id`` stays a list of strings."""
    torch = require("torch", "baselines")
    return {k: [it[k] for it in items] if k == "clip_id" else torch.stack([it[k] for it in items])
            for k in items[0]}
