"""A tiny AVE in the released on-disk layout, for contract tests and examples.

Seven rows cover the dataset's quirks: a full-length event, an empty one (``0&0``), short events,
one YouTube id carrying two rows in two splits, a missing video and an undecodable one::

    row  category                        video        event    split  video file
    0    Church bell                     toyAAAAAAA1  [0, 10)  train  ok
    1    Church bell                     toyAAAAAAA2  empty    train  ok
    2    Bark                            toyAAAAAAA3  [2, 5)   test   ok
    3    Male speech, man speaking       toyAAAAAAA4  [3, 9)   train  ok (shared with row 4)
    4    Female speech, woman speaking   toyAAAAAAA4  [0, 10)  val    ok (shared with row 3)
    5    Mandolin                        toyAAAAAAA5  [4, 10)  train  missing
    6    Cat                             toyAAAAAAA6  [1, 2)   test   undecodable (random bytes)

Videos (extra ``video``) are 32x32 at 4 fps with 8 kHz AAC audio; frame ``i`` of row ``r``'s video is
filled with ``(40 r + 6 i) % 256``. Feature files (extra ``features``) are float16 with
``audio[r, s, :] = visual[r, s, ...] = 10 r + s``; the two background-only ``noisy`` rows hold
``1000 + 10 i + s``. Without an extra the corresponding files are simply not written.

Example:
    >>> TOY_ROWS[1]
    'Church bell&toyAAAAAAA2&good&0&0'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avbench.io import atomic_write_text
from avbench.recipes.ave.metadata import HEADER
from avbench.recipes.ave.media import write_toy_video, write_video_status

__all__ = ["TOY_ROWS", "TOY_SPLITS", "write_toy", "write_toy_features"]

TOY_ROWS = [
    "Church bell&toyAAAAAAA1&good&0&10",
    "Church bell&toyAAAAAAA2&good&0&0",
    "Bark&toyAAAAAAA3&good&2&5",
    "Male speech, man speaking&toyAAAAAAA4&good&3&9",
    "Female speech, woman speaking&toyAAAAAAA4&good&0&10",
    "Mandolin&toyAAAAAAA5&good&4&10",
    "Cat&toyAAAAAAA6&good&1&2",
]
TOY_SPLITS = {"train": [5, 0, 3, 1], "val": [4], "test": [2, 6]}
_VIDEOS = {"toyAAAAAAA1": 0, "toyAAAAAAA2": 1, "toyAAAAAAA3": 2, "toyAAAAAAA4": 3}
N_NOISY = 2


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def write_toy_features(root: Path, *, rows: int, noisy: int = N_NOISY, dtype: str = "float16") -> None:
    """Write ``data/{audio,visual}_feature.h5`` (and the ``*_noisy.h5`` pair) with the toy pattern."""
    import h5py

    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, n, base in (("", rows, 0), ("_noisy", noisy, 1000)):
        pattern = base + 10 * np.arange(n)[:, None] + np.arange(10)[None, :]
        for kind, tail in (("audio", (128,)), ("visual", (7, 7, 512))):
            arr = np.broadcast_to(pattern.reshape(n, 10, *([1] * len(tail))), (n, 10, *tail)).astype(dtype)
            tmp = data / f".{kind}_feature{name}.h5.tmp"
            with h5py.File(tmp, "w") as fh:
                fh.create_dataset("avadataset", data=arr)
            tmp.replace(data / f"{kind}_feature{name}.h5")
    labels = np.zeros((noisy, 29), np.float32)
    labels[:, 28] = 1
    with h5py.File(data / ".labels_noisy.h5.tmp", "w") as fh:
        fh.create_dataset("avadataset", data=labels)
    (data / ".labels_noisy.h5.tmp").replace(data / "labels_noisy.h5")


def write_toy(root: Path) -> None:
    """Write the toy dataset under ``root`` (see the module docstring)."""
    base = root / "AVE_Dataset"
    atomic_write_text(base / "Annotations.txt", HEADER + "\n" + "\n".join(TOY_ROWS) + "\n")
    files = {"train": "trainSet.txt", "val": "valSet.txt", "test": "testSet.txt"}
    for split, rows in TOY_SPLITS.items():
        atomic_write_text(base / files[split], "".join(TOY_ROWS[i] + "\n" for i in rows))
    atomic_write_text(base / "ReadMe.txt", "A tiny AVE in the released layout, written by avbench.\n")
    if _have("av"):
        for vid, row in _VIDEOS.items():
            write_toy_video(base / "AVE" / f"{vid}.mp4", seed=40 * row)
        rng = np.random.default_rng(6)
        (base / "AVE" / "toyAAAAAAA6.mp4").write_bytes(rng.integers(0, 256, 2048, dtype=np.uint8).tobytes())
        write_video_status(root, [r.split("&")[1] for r in TOY_ROWS])
    if _have("h5py"):
        write_toy_features(root, rows=len(TOY_ROWS))
