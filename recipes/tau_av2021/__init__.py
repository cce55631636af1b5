"""``tau-urban-av-2021``: TAU Urban Audio-Visual Scenes 2021 (DCASE 2021 Task 1B), 10 urban scenes.

12,291 synchronised 10-s audio (binaural) and video recordings of the development set, from 10
cities; fold 1 of the official setup holds 8,646 training and 3,645 evaluation recordings. Hosting:
Zenodo 4477542 (development) and 4767103 (evaluation), multi-part archives whose sizes and md5
are in ``index/index.json`` (from dcase_util, see ``index/make_index.py``). Parts of
``avbench download tau-urban-av-2021``:

- ``meta``: ``doc.zip`` and ``meta.zip`` (``meta.csv``, ``evaluation_setup/fold1_*.csv``), 250 kB;
- ``audio``: ``audio.1.zip`` ... ``audio.8.zip`` (30 GB development, 18 GB evaluation);
- ``video``: ``video.1.zip`` ... ``video.16.zip`` (77 GB development, 42 GB evaluation);

so ``--parts meta,audio`` never fetches video. ``--split train|val|test`` fetches the
development archives, ``--split eval`` the evaluation ones; without ``--split``, both.

Splits (recipe version 1.0): ``train`` = ``fold1_train`` without ``val``; ``val`` = whole recording
locations carved from ``fold1_train`` (:func:`~avbench.recipes.tau_av2021.metadata.carve_validation`,
seed and fraction in the index), so no location is in both; ``test`` = ``fold1_evaluate``; ``eval``
= the evaluation set's recordings (no labels in its ``meta.csv`` unless it has a ``scene_label``
column). ``prepare`` writes the exact membership to ``avbench/splits-<version>.json``.

Tasks (both score ``test``):

- ``tau-urban-av-2021-scene``: one scene per 10-s recording (``clip_scores`` [10]);
- ``tau-urban-av-2021-scene-1s``: one scene per 1-s segment, 10 per recording (the DCASE 2021
  Task 1B evaluation unit, ``segment_scores`` [10][11]: the last, background, column is never the
  truth and should be 0).

Both report the multi-class log loss of DCASE 2021 (``log_loss``: mean over classes of the mean
``-ln p`` of the true class, the ranking metric), ``accuracy`` and the class-wise averaged accuracy
DCASE reports (``balanced_accuracy``). ``has_video`` is whether the recording's mp4 is on disk, or
``None`` (unknown) when no video part was fetched (likewise ``has_audio``).

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "tau"
    >>> RECIPE.make_toy(root)
    >>> m = RECIPE.splits(root)
    >>> {k: len(v) for k, v in m.splits.items()}
    {'train': 6, 'val': 6, 'test': 6}
    >>> c = RECIPE.load(root, split="test")["airport-lisbon-3-30"]
    >>> c.clip_labels, c.segment_labels[:3], c.meta["location"]
    (('airport',), (0, 0, 0), 'lisbon-3')
    >>> [r.path.split(".", 1)[1] for r in RECIPE.resources(parts=("meta",), split="test")]
    ['doc.zip', 'meta.zip']
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from avbench.dataset import Recipe
from avbench.download.resource import Resource, ZenodoSource
from avbench.errors import DataNotFoundError, InputError
from avbench.io import write_json
from avbench.model import Clip, SplitManifest, Task, TaskKind
from avbench.recipes.tau_av2021.metadata import (
    SetupRow,
    carve_validation,
    classes,
    index,
    read_setup,
    set_dir,
    with_meta,
)

__all__ = ["RECIPE", "TauAv2021Recipe"]

DEV_SPLITS = ("train", "val", "test")
CLIP_SECONDS = 10
_METRICS = ("log_loss", "accuracy", "balanced_accuracy")
_SELECTION = (" Select models on the val split (locations held out of fold1_train); test is fold1_evaluate, "
              "scored once.")


class TauAv2021Recipe(Recipe):
    """The TAU Urban Audio-Visual Scenes 2021 recipe (see the module docstring)."""

    name = "tau-urban-av-2021"
    version = "1.0"
    title = "TAU Urban Audio-Visual Scenes 2021 (DCASE 2021 Task 1B)"
    homepage = "https://zenodo.org/record/4477542"
    license = "Tampere University non-commercial research licence (see the dataset's doc.zip)"
    citation = ("S. Wang, A. Mesaros, T. Heittola, T. Virtanen. A curated dataset of urban scenes for audio-visual "
                "scene analysis. ICASSP 2021 (arXiv:2011.00030).")
    parts = ("meta", "audio", "video")
    default_parts = ("meta", "audio", "video")

    @property
    def classes(self) -> tuple[str, ...]:
        return classes()

    # -- what to fetch -------------------------------------------------------------------------
    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The archives of ``parts`` for ``split`` (development for train/val/test, evaluation for
        eval, both for ``None``), each extracted into the dataset root."""
        self.check_parts(parts)
        if split is not None and split not in (*DEV_SPLITS, "eval"):
            raise InputError(f"{self.name} has no split {split!r}; its splits are {', '.join((*DEV_SPLITS, 'eval'))}")
        sets = ["development"] if split in DEV_SPLITS else ["evaluation"] if split == "eval" else \
            ["development", "evaluation"]
        out = []
        for name in sets:
            entry = index()["sets"][name]
            for f in entry["files"]:
                if f["part"] in parts:
                    out.append(Resource(f["name"], ZenodoSource(int(entry["record"]), f["name"]), size=f["size"],
                                        md5=f["md5"], part=f["part"], extract_to=".",
                                        splits=DEV_SPLITS if name == "development" else ("eval",)))
        return out

    def prepare(self, root: Path, *, parts: Collection[str] = ("meta", "audio", "video"), split: str | None = None,
                **options: Any) -> Any:
        """Fetch ``parts`` through the download engine, then write the split manifest."""
        result = super().prepare(root, parts=parts, split=split, **options)
        if not options.get("dry_run") and self.is_prepared(Path(root)):
            self.write_manifest(Path(root))
        return result

    def write_manifest(self, root: Path) -> Path:
        """Write ``avbench/splits-<version>.json`` (the exact membership and its sha256)."""
        path = Path(root) / "avbench" / f"splits-{self.version}.json"
        data = self.splits(root).to_dict()
        data["validation"] = dict(index()["validation"])
        write_json(path, data)
        return path

    # -- what is on disk -----------------------------------------------------------------------
    def is_prepared(self, root: Path) -> bool:
        return (set_dir(Path(root), "development") / "evaluation_setup" / "fold1_train.csv").is_file()

    def _rows(self, root: Path) -> dict[str, list[SetupRow]]:
        self.require(root)
        setup = set_dir(root, "development") / "evaluation_setup"
        labels = self.classes
        fold_train = read_setup(setup / "fold1_train.csv", labels=labels)
        evaluate = read_setup(setup / "fold1_evaluate.csv", labels=labels)
        meta_csv = set_dir(root, "development") / "meta.csv"
        if meta_csv.is_file():
            fold_train, evaluate = (with_meta(meta_csv, rows, labels=labels) for rows in (fold_train, evaluate))
        v = index()["validation"]
        val = carve_validation(fold_train, seed=int(v["seed"]), fraction=float(v["fraction"]))
        out = {"train": [r for r in fold_train if r.clip_id not in val],
               "val": [r for r in fold_train if r.clip_id in val], "test": evaluate}
        eval_meta = set_dir(root, "evaluation") / "meta.csv"
        if eval_meta.is_file():
            out["eval"] = read_setup(eval_meta, labels=labels, labelled=False)
        return out

    def splits(self, root: Path | None = None) -> SplitManifest:
        """Split membership read from the setup files under ``root`` (see the module docstring).

        Raises:
            DataNotFoundError: ``root`` is ``None`` or holds no ``fold1_train.csv``.
        """
        if root is None:
            raise DataNotFoundError(f"the {self.name} splits are read from its setup files: pass the data directory "
                                    f"(`avbench download {self.name} --parts meta` fetches them)")
        rows = self._rows(Path(root))
        return SplitManifest(self.name, self.version, {k: tuple(r.clip_id for r in v) for k, v in rows.items()})

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Recordings per split: counted from the setup files under ``root`` when they are there,
        else the packaged index's ``counts``: ``train`` / ``val`` as :meth:`splits` carves them from
        the 8,646 rows of fold1_train (counted on the baseline repository's copy of its rows by
        ``index/make_index.py``), ``test`` = fold1_evaluate's 3,645; ``eval`` only once on disk.

        Example:
            >>> RECIPE.split_sizes(None)
            {'train': 7592, 'val': 1054, 'test': 3645}
        """
        if root is not None and self.is_prepared(Path(root)):
            return super().split_sizes(root)
        return {k: int(index()["counts"][k]) for k in DEV_SPLITS}

    def split_names(self, root: Path | None = None) -> tuple[str, ...] | None:
        return (*DEV_SPLITS, "eval")

    def split_sizes_note(self, root: Path | None = None) -> str | None:
        if root is not None and self.is_prepared(Path(root)):
            return None
        return "from the packaged index; eval is counted once the evaluation set's meta.csv is on disk"

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The recordings of ``split`` (every split when ``None``) in split order.

        Raises:
            DataNotFoundError: no setup files under ``root``.
            InputError: an unknown split, or setup files that do not parse.
        """
        root = Path(root)
        rows = self._rows(root)
        if split is not None and split not in rows:
            raise InputError(f"{self.name} has no split {split!r} in {root}; known splits: {', '.join(rows)}")
        chosen = [split] if split is not None else list(rows)
        out: dict[str, Clip] = {}
        for name in chosen:
            base = set_dir(root, "evaluation" if name == "eval" else "development")
            seconds = float(index()["sets"]["evaluation"].get("clip_seconds", 1.0)) if name == "eval" else CLIP_SECONDS
            for r in rows[name]:
                out[r.clip_id] = self._clip(root, base, r, name, seconds)
        return out

    def _clip(self, root: Path, base: Path, r: SetupRow, split: str, seconds: float) -> Clip:
        audio, video = base / r.audio, base / r.video
        rel = base.relative_to(root).as_posix()
        labelled = r.scene is not None
        n_seg = max(1, int(seconds))
        return Clip(
            id=r.clip_id, duration=seconds, audio=f"{rel}/{r.audio}", video=f"{rel}/{r.video}",
            clip_labels=(r.scene,) if labelled else (),
            segment_labels=(self.classes.index(str(r.scene)),) * n_seg if labelled else None,
            has_audio=audio.is_file() if (base / "audio").is_dir() else None,
            has_video=video.is_file() if (base / "video").is_dir() else None,
            meta={"city": r.city, "location": r.location, "split": split},
        )

    def tasks(self) -> list[Task]:
        labels = self.classes
        return [
            Task("tau-urban-av-2021-scene", self.name, TaskKind.CLIP_CLASSIFICATION, labels, _METRICS, split="test",
                 description="Audio-visual scene classification of each 10-s recording of fold1_evaluate (10 "
                 "classes): clip_scores are class probabilities; log_loss is the DCASE 2021 Task 1B macro log "
                 "loss." + _SELECTION),
            Task("tau-urban-av-2021-scene-1s", self.name, TaskKind.SEGMENT_CLASSIFICATION, labels, _METRICS,
                 split="test", n_segments=CLIP_SECONDS, segment_length=1.0,
                 description="The DCASE 2021 Task 1B unit: a scene for each 1-s segment of every fold1_evaluate "
                 "recording (segment_scores [10][11]; the background column is never true, give it 0); log "
                 "loss and accuracy over all segments." + _SELECTION),
        ]

    def make_toy(self, root: Path) -> None:
        """A tiny development set in the released layout (see :mod:`avbench.recipes.tau_av2021.toy`)."""
        from avbench.recipes.tau_av2021.toy import write_toy

        write_toy(Path(root))
        self.write_manifest(Path(root))


RECIPE = TauAv2021Recipe()
