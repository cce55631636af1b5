"""PyTorch adapter for DESED / DCASE Task 4 (extra ``baselines``): weak and strong targets, frame
targets, missing video.

``torch_dataset(root, split)`` is :func:`avbench.torch.dataset` over the clips of ``split`` with
the targets of :func:`avbench.torch.labelled` over the 10 classes (:data:`~avbench.recipes.desed.CLASSES`
order): ``weak_labels`` float32 ``[10]`` multi-hot (the weak set's labels; the classes of the events
elsewhere), ``has_weak`` (False for ``unlabel_in_domain``), ``events`` float32 ``[E, 3]``
(onset, offset s, class index), ``has_strong`` (False for ``weak`` and ``unlabel_in_domain``:
mask their frame loss), ``frame_targets`` float32 ``[F, 10]`` on a ``frame_hop`` grid (20 ms by
default, the grid of :func:`avbench.audio.logmel`; ``F = round(duration / frame_hop)``), and the
availability masks: by default only clips whose audio is on disk are kept (``require_audio``;
the rest are in ``dropped``); a clip without video (synthetic soundscapes, removed videos,
never-fetched ones) has ``has_video`` False and an empty visual slot (``video`` ``None``, zeros
in a batch), as the partial-visual model of paper 002 needs. Batch with :func:`collate`.

Example:
    >>> import tempfile, pathlib
    >>> from avbench.recipes.desed import RECIPE
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "desed"
    >>> RECIPE.make_toy(root)
    >>> ds = torch_dataset(root, "validation", audio="logmel", video=None)
    >>> ds.clip_ids, ds.dropped  # the third clip's audio is missing
    (['Y00pbt6aJV8Y_350.000_360.000', 'Y00pK0GMmE9s_70.000_80.000'], ['Y01TVBl2a8lQ_30.000_40.000'])
    >>> item = ds.arrays(1)
    >>> item["frame_targets"].shape, item["events"].tolist()
    ((500, 10), [[0.0, 10.0, 9.0], [2.5, 3.25, 8.0]])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench.audio import HOP_SECONDS
from avbench.torch import LabelledDataset, collate_labelled, dataset, labelled

__all__ = ["torch_dataset", "collate"]

collate = collate_labelled
_NOT_STRONG = ("weak", "unlabel_in_domain")


def torch_dataset(root: str | Path, split: str, *, audio: str | None = "logmel", video: str | None = None,
                  frame_hop: float = HOP_SECONDS, require_audio: bool = True, **options: Any) -> LabelledDataset:
    """The DESED clips of ``split`` as tensors with weak / strong / frame targets and masks (module docstring).

    Args:
        root: the DESED data directory (or one indexed with ``--from``).
        split: ``weak``, ``unlabel_in_domain``, ``validation``, ``synthetic_train``,
            ``synthetic_validation``, ``public_eval`` (those on disk).
        audio, video: representations (:func:`avbench.torch.dataset`); ``None`` for none.
        frame_hop: seconds per frame of ``frame_targets``.
        require_audio: keep only clips whose audio is on disk.
        **options: ``channels``, ``n_segments``, ``cache``, ``stride`` of :func:`avbench.torch.dataset`.

    Raises:
        InputError: an unknown split or representation, a bad ``frame_hop``.
        DataNotFoundError: no DESED metadata under ``root``.
        MissingExtraError: torch (extra ``baselines``) is missing when an item is made.
    """
    from avbench.recipes.desed import CLASSES

    base = dataset("desed", split, root=root, audio=audio, video=video, **options)
    return labelled(base, weak_classes=CLASSES, strong_classes=CLASSES, frame_hop=frame_hop,
                    has_weak=lambda c: c.meta.get("split") != "unlabel_in_domain",
                    has_strong=lambda c: c.meta.get("split") not in _NOT_STRONG, require_audio=require_audio)
