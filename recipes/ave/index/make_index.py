"""Regenerate ``index.json`` and ``splits.json`` of the AVE recipe from the released files.

Run from the repository root with the real files at hand (``../shared/reference/ave`` holds copies
of the GitHub-released ones, with provenance in its README)::

    .venv/bin/python recipes/ave/index/make_index.py ../shared/reference/ave

``splits.json`` holds, per split, the 0-based row numbers into the header-less ``Annotations.txt``
(the index space of every released ``.h5`` array) read from ``{train,val,test}_order.h5`` and, for
the cross-modal localization experiments of the reference code, ``*_order_match.h5``.
``index.json`` holds the class list, the files with their hosting, sizes and sha256 where known.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GITHUB = "https://raw.githubusercontent.com/YapengTian/AVE-ECCV18/93f843fed72fb17394df76330df958b0c2dbde76/data/"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(ref: Path) -> None:
    import h5py

    gh = ref / "YapengTian_AVE-ECCV18" / "data"
    zipped = ref / "haoyi-duan_DG-SCT" / "data" / "AVE"
    classes = zipped.joinpath("categories.txt").read_text(encoding="utf-8").splitlines()
    splits = {}
    for name in ("train", "val", "test"):
        for suffix, key in (("_order", name), ("_order_match", f"cml_{name}")):
            with h5py.File(gh / f"{name}{suffix}.h5", "r") as fh:
                splits[key] = [int(x) for x in fh["order"][:]]
    files = []
    for name in ("Annotations.txt", "train_order.h5", "val_order.h5", "test_order.h5",
                 "train_order_match.h5", "val_order_match.h5", "test_order_match.h5",
                 "mil_labels.h5", "labels_closs.h5"):
        p = gh / name
        files.append({"path": f"data/{name}", "part": "meta", "url": GITHUB + name,
                      "size": p.stat().st_size, "sha256": sha256(p)})
    files += [
        {"path": "data/labels_noisy.h5", "part": "weak", "url": GITHUB + "labels_noisy.h5",
         "size": (gh / "labels_noisy.h5").stat().st_size, "sha256": sha256(gh / "labels_noisy.h5")},
        {"path": "data/audio_feature_noisy.h5", "part": "weak", "url": GITHUB + "audio_feature_noisy.h5"},
        {"path": "data/visual_feature_noisy.h5", "part": "weak", "gdrive": "1I3OtOHJ8G1-v5G2dHIGCfevHQPn-QyLh"},
        {"path": "data/audio_feature.h5", "part": "features", "gdrive": "1F6p4BAOY-i0fDXUOhG7xHuw_fnO5exBS"},
        {"path": "data/visual_feature.h5", "part": "features", "gdrive": "1hQwbhutA3fQturduRnHMyfRqdrRHgmC9"},
        {"path": "data/visual_feature_vec.h5", "part": "cml", "gdrive": "1l-c8Kpr5SZ37h-NpL7o9u8YXBNVlX_Si"},
        # Content-Length recorded by a third-party download script (HTTP HEAD); no digest published.
        {"path": "AVE_Dataset.zip", "part": "videos", "gdrive": "1FjKwe79e0u96vdjIVwfRQ1V6SoDHe7kK",
         "size": 5665119358, "extract_to": "."},
    ]
    audioset = "http://storage.googleapis.com/us_audioset/youtube_corpus/v1/csv/"
    files += [  # AudioSet segment lists: the offset of each AVE clip in its YouTube video (part youtube)
        {"path": "youtube/audioset/eval_segments.csv", "part": "youtube", "url": audioset + "eval_segments.csv",
         "size": 1143389, "sha256": "f7055f53935f70e74e39494a5c8c4c78f1700fce275028bd36e31186f33d45db"},
        {"path": "youtube/audioset/balanced_train_segments.csv", "part": "youtube",
         "url": audioset + "balanced_train_segments.csv",
         "size": 1211931, "sha256": "3b83e5ff9ed72cfda37d4e36ce08250e107c1ea70f109f6ab6668ac200db5e94"},
        {"path": "youtube/audioset/unbalanced_train_segments.csv", "part": "youtube",
         "url": audioset + "unbalanced_train_segments.csv", "git_blob": "09dd5a7ca8b5c9067007115ca053c455c502d55c"},
    ]
    inner = {f"AVE_Dataset/{n}": sha256(zipped / n)
             for n in ("Annotations.txt", "trainSet.txt", "valSet.txt", "testSet.txt", "ReadMe.txt")}
    index = {
        "dataset": "ave",
        "version": "1.0",
        "classes": classes,
        "background": "background",
        "n_rows": 4143,
        "n_segments": 10,
        "files": files,
        "archive_members_sha256": inner,
        "feature_shapes": {"data/audio_feature.h5": [4143, 10, 128],
                           "data/visual_feature.h5": [4143, 10, 7, 7, 512],
                           "data/visual_feature_vec.h5": [4143, 10, 512],
                           "data/audio_feature_noisy.h5": [178, 10, 128],
                           "data/visual_feature_noisy.h5": [178, 10, 7, 7, 512]},
        "n_noisy": 178,
    }
    (HERE / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    (HERE / "splits.json").write_text(
        "{\n" + ",\n".join(f' "{k}": {json.dumps(v, separators=(",", ":"))}' for k, v in splits.items()) + "\n}\n",
        encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
