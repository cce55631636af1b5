"""AVE feature mode: lazy, memory-mapped access to the released VGGish and VGG-19 feature arrays.

The released files (``data/audio_feature.h5`` ``[4143, 10, 128]`` and ``data/visual_feature.h5``
``[4143, 10, 7, 7, 512]``, dataset ``avadataset``, rows in ``Annotations.txt`` order) are plain
HDF5. A contiguous, unfiltered dataset is mapped straight from the file at
``dset.id.get_offset()`` (``mmap`` + :func:`numpy.frombuffer`): an item is a view, nothing is read
until it is touched, and iterating releases the pages of the items already given
(``madvise(MADV_DONTNEED)``), so walking the train split keeps resident memory small instead of
pulling the 4 GB visual array in. A chunked or compressed dataset falls back to lazy h5py reads
(a copy per item). The dtype is the file's (the release is probably float64: its 7.7 GB fits
float64, not float32).

Example:
    >>> import tempfile, pathlib, h5py, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.h5"
    >>> with h5py.File(p, "w") as f:
    ...     _ = f.create_dataset("avadataset", data=np.arange(24, dtype=np.float32).reshape(3, 2, 4))
    >>> a = FeatureArray(p)
    >>> a.shape, a.mapped, a[2][1].tolist()
    ((3, 2, 4), True, [20.0, 21.0, 22.0, 23.0])
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from avbench.errors import DataNotFoundError, InputError
from avbench.extras import require

__all__ = ["FeatureArray", "AveItem", "AveFeatures", "FEATURE_FILES"]

FEATURE_FILES = {
    "audio": "data/audio_feature.h5",
    "visual": "data/visual_feature.h5",
    "audio_noisy": "data/audio_feature_noisy.h5",
    "visual_noisy": "data/visual_feature_noisy.h5",
}


class FeatureArray:
    """One ``[N, ...]`` HDF5 dataset, indexable by row without loading the file.

    Args:
        path: the ``.h5`` file.
        key: the dataset name (``avadataset`` in the AVE release).

    Raises:
        DataNotFoundError: the file does not exist.
        InputError: the file is not HDF5 or has no dataset ``key``.
        MissingExtraError: h5py is not installed (extra ``features``).
    """

    def __init__(self, path: str | Path, key: str = "avadataset") -> None:
        self.path, self.key = Path(path), key
        self._open()

    def _open(self) -> None:
        h5py = require("h5py", "features")
        if not self.path.is_file():
            raise DataNotFoundError(f"no feature file {self.path}: run `avbench download ave --parts features`")
        try:
            fh = h5py.File(self.path, "r")
        except OSError:
            raise InputError(f"{self.path}: not an HDF5 file; delete it and download it again") from None
        if self.key not in fh:
            fh.close()
            raise InputError(f"{self.path}: no dataset {self.key!r} (has {', '.join(fh.keys()) or 'none'})")
        dset = fh[self.key]
        self.shape: tuple[int, ...] = tuple(dset.shape)
        self.dtype = np.dtype(dset.dtype)
        offset = None
        if dset.chunks is None and dset.compression is None and self.dtype.kind in "fiu" and dset.size:
            offset = dset.id.get_offset()
        self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        if offset is None:
            self._h5, self._dset, self._mm, self._array = fh, dset, None, None
            return
        fh.close()
        self._h5 = self._dset = None
        with open(self.path, "rb") as raw:
            self._mm = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
        self._offset = int(offset)
        count = int(np.prod(self.shape, dtype=np.int64))
        self._array = np.frombuffer(self._mm, self.dtype, count=count, offset=self._offset).reshape(self.shape)

    @property
    def mapped(self) -> bool:
        """Whether rows are memory-mapped views (``False``: h5py reads)."""
        return self._mm is not None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, row: int) -> np.ndarray:
        if self._array is not None:
            return self._array[row]
        return self._dset[row]

    def release(self, row: int) -> None:
        """Drop the mapped pages of ``row`` from this process (re-read from the file if touched)."""
        if self._mm is None:
            return
        start = self._offset + row * self._row_bytes
        aligned = start - start % mmap.PAGESIZE
        self._mm.madvise(mmap.MADV_DONTNEED, aligned, start + self._row_bytes - aligned)

    def close(self) -> None:
        """Close the file; views already handed out stay valid (the mapping goes with the last one)."""
        self._array = None
        if self._mm is not None:
            with contextlib.suppress(BufferError):  # views still alive: they keep the mapping
                self._mm.close()
            self._mm = None
        if self._h5 is not None:
            self._h5.close()
            self._h5 = self._dset = None

    def __getstate__(self) -> dict[str, Any]:  # DataLoader workers re-open the file
        return {"path": self.path, "key": self.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.key = state["path"], state["key"]
        self._open()


class AveItem(NamedTuple):
    """One clip in feature mode."""

    clip_id: str
    audio: np.ndarray  # [10, 128]
    visual: np.ndarray  # [10, 7, 7, 512]
    labels: np.ndarray  # int64 [10], background = 28
    weak_label: int  # clip-level class index (28 for the background-only videos)
    has_video: bool


class AveFeatures:
    """The released features of one AVE split, as a lazy sequence of :class:`AveItem`.

    Args:
        root: the AVE data directory.
        split: ``train``, ``val``, ``test``, ``cml_*``, ``noisy`` (the 178 background-only videos of
            the weakly-supervised setting, read from the ``*_noisy.h5`` files) or ``None`` (all rows).
        release: (keyword) drop the pages of items already yielded while iterating (default True).

    Raises:
        InputError: a feature file whose shape does not fit the annotation rows.
    """

    def __init__(self, root: str | Path, split: str | None = None, *, release: bool = True) -> None:
        from avbench.recipes.ave import RECIPE

        self.root, self.split, self._release = Path(root), split, bool(release)
        clips = list(RECIPE.load(self.root, split=split).values())
        noisy = split == "noisy"
        self.ids = [c.id for c in clips]
        self.rows = np.array([c.meta["row"] for c in clips], np.int64)
        self.labels = np.array([c.segment_labels for c in clips], np.int64).reshape(len(clips), 10)
        n_classes = len(RECIPE.classes)
        self.weak = np.array([RECIPE.classes.index(c.clip_labels[0]) if c.clip_labels else n_classes
                              for c in clips], np.int64)
        self.has_video = np.array([c.has_video for c in clips], bool)
        self.audio = FeatureArray(self.root / FEATURE_FILES["audio_noisy" if noisy else "audio"])
        self.visual = FeatureArray(self.root / FEATURE_FILES["visual_noisy" if noisy else "visual"])
        for arr, tail in ((self.audio, (10, 128)), (self.visual, (10, 7, 7, 512))):
            if arr.shape[1:] != tail or (len(self.rows) and arr.shape[0] <= int(self.rows.max())):
                raise InputError(
                    f"{arr.path}: shape {arr.shape} does not fit {len(self.rows)} AVE rows up to "
                    f"{int(self.rows.max()) if len(self.rows) else -1} with [..., {', '.join(map(str, tail))}]"
                )

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> AveItem:
        if not -len(self) <= i < len(self):
            raise IndexError(f"AVE {self.split} has {len(self)} clips, index {i} is out of range")
        r = int(self.rows[i])
        return AveItem(self.ids[i], self.audio[r], self.visual[r], self.labels[i], int(self.weak[i]),
                       bool(self.has_video[i]))

    def __iter__(self) -> Iterator[AveItem]:
        prev = None
        for i in range(len(self)):
            if prev is not None and self._release:
                self.audio.release(prev)
                self.visual.release(prev)
            yield self[i]
            prev = int(self.rows[i])
        if prev is not None and self._release:
            self.audio.release(prev)
            self.visual.release(prev)

    def close(self) -> None:
        self.audio.close()
        self.visual.close()

    def __enter__(self) -> AveFeatures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
