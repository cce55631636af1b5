"""``ave``: the Audio-Visual Event dataset (Tian et al., ECCV 2018): 4,143 10-s YouTube clips, 28 classes.

Hosting (Google Drive, linked from YapengTian/AVE-ECCV18) and parts of ``avbench download ave``:

- ``meta`` (default): the small files released in the AVE-ECCV18 repository at a pinned commit,
  sha256-verified: header-less ``data/Annotations.txt``, ``data/{train,val,test}_order.h5``,
  ``data/*_order_match.h5``, ``data/mil_labels.h5``, ``data/labels_closs.h5``;
- ``videos`` (default): ``AVE_Dataset.zip`` (5.3 GB: ``AVE_Dataset/AVE/<VideoID>.mp4``,
  ``Annotations.txt``, ``{train,val,test}Set.txt``, ``ReadMe.txt``), extracted; its annotation and
  split files are checked against their known sha256 and every video is probed once (``has_video``);
- ``features``: ``data/audio_feature.h5`` (VGGish ``[4143, 10, 128]``) and ``data/visual_feature.h5``
  (VGG-19 pool5 ``[4143, 10, 7, 7, 512]``), 7.7 GB together, read lazily by
  :class:`~avbench.recipes.ave.features.AveFeatures`;
- ``weak``: the 178 background-only videos of the weakly-supervised setting (``*_noisy.h5``);
- ``cml``: ``data/visual_feature_vec.h5`` (pooled visual features of the cross-modal matching code);
- ``youtube``: raw media per clip from YouTube by video id at its AudioSet offset, with an
  availability manifest (``youtube/youtube_manifest.tsv``) that fills ``has_video`` where the archive
  video is missing or undecodable.

Clips are keyed by annotation row (``"0026_VWi2ENBuTbw"``), never by YouTube id: 45 ids carry 2 or 3 rows.
Splits: the official ``train``/``val``/``test`` (3,339 / 402 / 402, equal to the released
``*_order.h5``), ``noisy`` when the ``weak`` part is there, and ``cml_train``/``cml_val``/``cml_test``:
the partition of the reference cross-modal code (``*_order_match.h5``), which overlaps the official
splits (314 of its 402 test clips are official training clips): use it only to compare with the paper.

Cross-modal localization (A2V / V2A) is scored on the clips whose event is shorter than 10 s
(``0 < EndTime - StartTime < 10``): 141 clips of the official test split; all 402 of ``cml_test``.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "ave"
    >>> RECIPE.make_toy(root)
    >>> clips = RECIPE.load(root, split="test")
    >>> [c.id for c in clips.values()]
    ['0002_toyAAAAAAA3', '0006_toyAAAAAAA6']
    >>> clips["0002_toyAAAAAAA3"].segment_labels
    (28, 28, 2, 2, 2, 28, 28, 28, 28, 28)
    >>> len(RECIPE.reference(root, RECIPE.task("ave-cml-a2v"), "test"))
    2
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from avbench.dataset import Recipe
from avbench.download.resource import GDriveSource, HttpSource, Resource
from avbench.errors import DataNotFoundError, DownloadError, InputError
from avbench.extras import require
from avbench.model import Clip, SplitManifest, Task, TaskKind
from avbench.recipes.ave.metadata import (
    SPLIT_FILES,
    annotation_path,
    classes,
    index,
    index_splits,
    make_clip,
    read_rows,
    read_split_rows,
    sha256_file,
)
from avbench.recipes.ave.media import video_availability, write_video_status

__all__ = ["RECIPE", "AveRecipe", "CML_MAX_DURATION"]

CML_MAX_DURATION = 10  # the CML subset: events strictly shorter than this (seconds), and not empty
_SELECTION = (
    " Model selection (early stopping, checkpoints, hyper-parameters) uses the val split only; the test "
    "split gives the final number once. (The reference code AVE-ECCV18 supervised_main.py and later "
    "repositories keep the best-on-test checkpoint: numbers obtained that way are not comparable.)"
)


def _noisy_count(root: Path) -> int | None:
    path = root / "data" / "audio_feature_noisy.h5"
    if not path.is_file():
        return None
    h5py = require("h5py", "features")
    try:
        with h5py.File(path, "r") as fh:
            return int(fh["avadataset"].shape[0])
    except (OSError, KeyError):
        raise InputError(f"{path}: expected an HDF5 file with dataset 'avadataset'; download it again") from None


class AveRecipe(Recipe):
    """The AVE recipe (see the module docstring)."""

    name = "ave"
    version = "1.0"
    title = "AVE: Audio-Visual Event localization dataset (Tian et al., ECCV 2018)"
    homepage = "https://github.com/YapengTian/AVE-ECCV18"
    license = "not stated by the authors (YouTube videos; research use)"
    citation = (
        "Y. Tian, J. Shi, B. Li, Z. Duan, C. Xu. Audio-Visual Event Localization in Unconstrained Videos. "
        "ECCV 2018."
    )
    parts = ("meta", "videos", "features", "weak", "cml", "youtube")
    default_parts = ("meta", "videos")

    @property
    def classes(self) -> tuple[str, ...]:
        return classes()

    # -- what to fetch -------------------------------------------------------------------------
    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The files of ``parts`` from the packaged index (sizes and sha256 where known)."""
        self.check_parts(parts)
        out = []
        for f in index()["files"]:
            if f["part"] not in parts:
                continue
            source = GDriveSource(f["gdrive"]) if "gdrive" in f else HttpSource(f["url"])
            out.append(Resource(f["path"], source, size=f.get("size"), sha256=f.get("sha256"), part=f["part"],
                                extract_to=f.get("extract_to")))
        return out

    def prepare(self, root: Path, *, parts: Collection[str] = ("meta", "videos"), split: str | None = None,
                **options: Any) -> Any:
        """Fetch ``parts``, then check the extracted archive and probe its videos.

        Options: ``probe`` (bool, default True when PyAV is installed): probe every archive video and
        write ``avbench/video_status.json``; the others go to the download engine
        (:func:`avbench.download.fetch_resources`). The ``youtube`` part fetches the AudioSet segment
        lists, then each clip's section through the engine (see :mod:`avbench.recipes.ave.youtube`).

        Raises:
            DownloadError: an extracted annotation or split file does not have its known sha256.
        """
        self.check_parts(parts)
        root = Path(root)
        probe = options.pop("probe", None)
        result = None
        files = self.resources(parts=parts)
        if files:
            from avbench.download import fetch_resources

            result = fetch_resources(files, root, **options)
        if options.get("dry_run"):
            return result
        if "videos" in parts:
            self.verify_archive(root)
            if probe is None:
                try:
                    require("av", "video")
                    probe = True
                except ImportError:
                    probe = False
            if probe:
                rows, _ = read_rows(root)
                write_video_status(root, [r.youtube_id for r in rows])
        if "youtube" in parts:
            from avbench.recipes.ave.youtube import fetch_media

            rows, _ = read_rows(root)
            return {"files": result, "youtube": fetch_media(root, rows, **options)}
        return result

    def verify_archive(self, root: Path) -> None:
        """Check ``AVE_Dataset/{Annotations,trainSet,valSet,testSet}.txt`` against their known sha256."""
        for rel, expected in index()["archive_members_sha256"].items():
            path = root / rel
            if rel.endswith("ReadMe.txt") and not path.is_file():
                continue
            if not path.is_file():
                raise DownloadError(f"{path}: missing after extracting AVE_Dataset.zip; the archive layout changed")
            got = sha256_file(path)
            if got != expected:
                raise DownloadError(
                    f"{path}: sha256 {got} differs from the released file's {expected}; the archive on "
                    "Google Drive changed: report it, or delete the file and download again"
                )

    # -- what is on disk -----------------------------------------------------------------------
    def is_prepared(self, root: Path) -> bool:
        return annotation_path(Path(root)) is not None

    def splits(self, root: Path | None = None) -> SplitManifest:
        """Split membership read from the data under ``root`` (clip ids need the annotation file).

        Raises:
            DataNotFoundError: ``root`` is ``None`` or holds no AVE annotations.
        """
        if root is None:
            raise DataNotFoundError("the AVE splits are read from its annotation files: pass the data directory "
                                    "(`avbench download ave --parts meta` fetches them)")
        root = Path(root)
        rows, released = read_rows(root)
        split_rows = read_split_rows(root, rows, released=released)
        splits = {k: tuple(rows[i].clip_id for i in v) for k, v in split_rows.items()}
        n_noisy = _noisy_count(root)
        if n_noisy is not None:
            splits["noisy"] = tuple(f"noisy_{i:03d}" for i in range(n_noisy))
        cml = [k for k in splits if k.startswith("cml_")]
        overlap = tuple((a, b) for a in SPLIT_FILES for b in cml)
        return SplitManifest(self.name, self.version, splits, allow_overlap=overlap)

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Clips per split as released, from the packaged index (``index/splits.json``, ``n_noisy``)."""
        sizes = {k: len(v) for k, v in index_splits().items()}
        sizes["noisy"] = int(index()["n_noisy"])
        return sizes

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The clips of ``split`` (all annotation rows when ``None``) in split order.

        Raises:
            DataNotFoundError: no annotations under ``root``.
            InputError: an unknown split, or annotation/split files that do not parse.
        """
        root = Path(root)
        self.require(root)
        labels = self.classes
        if split == "noisy":
            return self._noisy(root)
        rows, released = read_rows(root)
        split_rows = read_split_rows(root, rows, released=released)
        if split is not None and split not in split_rows:
            known = list(split_rows) + (["noisy"] if _noisy_count(root) is not None else [])
            raise InputError(f"ave has no split {split!r}; known splits: {', '.join(known)}")
        official = {i: name for name in SPLIT_FILES for i in split_rows.get(name, ())}
        selected = [rows[i] for i in split_rows[split]] if split is not None else rows
        videos = video_availability(root, selected)
        return {
            r.clip_id: make_clip(r, labels=labels, video=videos[r.clip_id][0], has_video=videos[r.clip_id][1],
                                 split=official.get(r.row))
            for r in selected
        }

    def _noisy(self, root: Path) -> dict[str, Clip]:
        n = _noisy_count(root)
        if n is None:
            raise DataNotFoundError(f"no data/audio_feature_noisy.h5 in {root}: run `avbench download ave --parts weak`")
        bg = [len(self.classes)] * 10
        return {
            f"noisy_{i:03d}": Clip(f"noisy_{i:03d}", 10.0, features={
                "audio": f"data/audio_feature_noisy.h5#{i}", "visual": f"data/visual_feature_noisy.h5#{i}"},
                segment_labels=tuple(bg), has_video=False, meta={"row": i, "split": "noisy"})
            for i in range(n)
        }

    def tasks(self) -> list[Task]:
        labels = self.classes
        seg = ("ave_segment_accuracy", "f1_macro", "f1_weighted")
        desc_seg = (
            "Predict one of 28 classes or background (index 28) for each of the 10 one-second segments of a "
            "test clip; scored over all 4,020 test segments, background included."
        )
        desc_cml = (
            "Given the event segments of one modality, find where they sit in the other: the predicted start "
            "segment must equal the true one. Scored on the test clips whose event is shorter than 10 s "
            "(141 of the official test split)."
        )
        return [
            Task("ave-supervised", self.name, TaskKind.SEGMENT_CLASSIFICATION, labels, seg, split="test",
                 n_segments=10, description=desc_seg + " Training uses segment labels." + _SELECTION),
            Task("ave-weakly-supervised", self.name, TaskKind.SEGMENT_CLASSIFICATION, labels, seg, split="test",
                 n_segments=10, description=desc_seg + " Training uses clip-level labels only (Clip.clip_labels), "
                 "plus the 178 background-only videos of the 'noisy' split." + _SELECTION),
            Task("ave-cml-a2v", self.name, TaskKind.CROSS_MODAL_LOCALIZATION, labels, ("ave_cml_accuracy",),
                 split="test", n_segments=10, description="Audio to visual. " + desc_cml + _SELECTION),
            Task("ave-cml-v2a", self.name, TaskKind.CROSS_MODAL_LOCALIZATION, labels, ("ave_cml_accuracy",),
                 split="test", n_segments=10, description="Visual to audio. " + desc_cml + _SELECTION),
        ]

    def task(self, task_id: str) -> Task:
        for t in self.tasks():
            if t.id == task_id:
                return t
        raise InputError(f"ave has no task {task_id!r}; its tasks are {', '.join(t.id for t in self.tasks())}")

    def reference(self, root: Path, task: Task, split: str) -> Mapping[str, Clip]:
        """The clips ``task`` is scored on: for cross-modal localization only events shorter than 10 s."""
        clips = super().reference(root, task, split)
        if task.kind is not TaskKind.CROSS_MODAL_LOCALIZATION:
            return clips
        return {k: c for k, c in clips.items() if c.events and c.events[0].duration < CML_MAX_DURATION}

    def make_toy(self, root: Path) -> None:
        """Seven annotation rows in the released layout (see :mod:`avbench.recipes.ave.toy`)."""
        from avbench.recipes.ave.toy import write_toy

        write_toy(Path(root))


RECIPE = AveRecipe()
