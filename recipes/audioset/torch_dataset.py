"""PyTorch adapter for AudioSet (extra ``baselines``): weak labels, strong events, missing media.

``torch_dataset(root, split)`` is :func:`avbench.torch.dataset` over the clips of ``split`` with
the targets of :func:`avbench.torch.labelled`: ``weak_labels`` float32 ``[527]`` multi-hot in
the order of ``class_labels_indices.csv`` (the tagging task's order), ``events`` float32
``[E, 3]`` (onset, offset in seconds, index into the 456-label strong vocabulary of
``mid_to_display_name.tsv``), ``has_strong`` (the clip is in a strong-label split, or has strong
events), and the availability masks: a copy from YouTube or a Hub mirror lacks clips, so by
default only clips whose audio is on disk are kept (``require_audio``; the others are in
``dropped``), and a clip without video (missing or unknown) has ``has_video`` False and an empty
visual slot (``video`` ``None``, zeros in a batch) whose file is never opened. Audio in the
source codec (m4a, webm from YouTube) is decoded by the ``youtube`` extra's ffmpeg.
Batch with :func:`collate` (:func:`avbench.torch.collate_labelled`).

Example:
    >>> import tempfile, pathlib
    >>> from avbench.recipes.audioset import RECIPE
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "audioset"
    >>> RECIPE.make_toy(root)
    >>> ds = torch_dataset(root, "eval", audio="logmel")
    >>> len(ds), len(ds.dropped)  # the toy's other clips: removed, private, rate-limited or never fetched
    (1, 4)
    >>> item = ds.arrays(0)  # numpy; ds[0] gives the same as tensors
    >>> item["weak_labels"].shape, int(item["weak_labels"].sum()), bool(item["has_video"]), item["video"] is None
    ((527,), 4, False, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench.torch import LabelledDataset, collate_labelled, dataset, labelled

__all__ = ["torch_dataset", "collate"]

collate = collate_labelled


def torch_dataset(root: str | Path, split: str, *, audio: str | None = "logmel", video: str | None = None,
                  require_audio: bool = True, **options: Any) -> LabelledDataset:
    """The AudioSet clips of ``split`` as tensors with weak / strong targets and masks (module docstring).

    Args:
        root: the AudioSet data directory.
        split: ``eval``, ``balanced_train``, ``unbalanced_train``, ``strong_eval``, ``strong_train``.
        audio, video: representations (:func:`avbench.torch.dataset`); ``None`` for none.
        require_audio: keep only clips whose audio is on disk.
        **options: ``channels``, ``n_segments``, ``cache``, ``stride`` of :func:`avbench.torch.dataset`.

    Raises:
        InputError: an unknown split or representation.
        DataNotFoundError: no AudioSet metadata under ``root``.
        MissingExtraError: torch (extra ``baselines``) is missing when an item is made.
    """
    from avbench.recipes.audioset.metadata import classes, strong_vocabulary

    base = dataset("audioset", split, root=root, audio=audio, video=video, **options)
    strong = split.startswith("strong_")
    return labelled(base, weak_classes=[n for _, n in classes()], strong_classes=[n for _, n in strong_vocabulary()],
                    has_weak=lambda c: True, has_strong=lambda c: strong or bool(c.events),
                    require_audio=require_audio)
