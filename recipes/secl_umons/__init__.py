"""``secl-umons``: SECL-UMONS, office sound events recorded by a 7-microphone array (Brousmiche et al.).

2,662 unilabel sequences of 3 s (one event) and 2,724 multilabel sequences of 4 s (two events at
once; the thesis says 2,729) of 11 classes, recorded in two rooms by a miniDSP UMA-8-SP array at
the room centre (7 capsules, one mono WAV each, 44.1 kHz); no onsets: every event spans its whole
sequence, with its position ``x, y, z`` in the room. Layout, column matching and the direction
convention: :mod:`avbench.recipes.secl_umons.layout`; the Zenodo record is resolved by title
(:mod:`avbench.recipes.secl_umons.records`).

Clips (ids ``unilabel-<File name>`` / ``multilabel-<File name>``): ``audio`` = the ``micro0`` WAV,
``meta["mics"]`` all seven (:func:`read_array` stacks them), ``events`` = one per event over the
whole sequence with azimuth, elevation and distance from the array, ``clip_labels`` = its classes.

Splits (recipe version 1.0): :mod:`avbench.recipes.secl_umons.splits` (the archive's lists where
present, else the thesis' rules, each with a validation part carved from train); ``prepare`` writes
the exact membership and where each scheme came from to ``avbench/splits-<version>.json``.

Tasks: ``secl-umons-<population>-split<k>``: classification and localization scored with
``seld-umons`` (sequence-level F, ER, wrapped-azimuth DOA error, frame recall; unilabel: majority
vote, multilabel: threshold 0.5) on ``<population>-split<k>-test``.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "secl"
    >>> RECIPE.make_toy(root)
    >>> m = RECIPE.splits(root)
    >>> len(m["unilabel-split1-test"]), len(m["multilabel-split2-test"])
    (8, 4)
    >>> c = RECIPE.load(root, split="unilabel-split1-train")["unilabel-room1_array_0_1_1"]
    >>> c.clip_labels, c.duration, round(c.events[0].azimuth, 1), read_array(root, c).shape
    (('chair_movement',), 3.0, 45.0, (7, 12000))
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from avbench.dataset import Recipe
from avbench.errors import DataNotFoundError, InputError
from avbench.io import write_json
from avbench.model import Clip, Event, MetricRef, SplitManifest, Task, TaskKind
from avbench.recipes.secl_umons.layout import SequenceRow, classes, direction, layout, metadata_files, read_metadata, scan_media
from avbench.recipes.secl_umons.splits import SCHEMES, scheme_splits

__all__ = ["RECIPE", "SeclUmonsRecipe", "UmonsRecipe", "read_array", "sequences"]


def sequences(root: Path) -> list[SequenceRow]:
    """Every sequence of the metadata CSVs under ``root``, in file order; a sequence described by
    several CSVs (SECL-UMONS labels and AVECL-UMONS visibility) is merged: later files add camera
    flags, and must agree on the classes.

    Raises:
        InputError: two files give the same sequence different classes.
    """
    merged: dict[str, SequenceRow] = {}
    for path in metadata_files(root):
        for s in read_metadata(path, root):
            old = merged.get(s.clip_id)
            if old is None:
                merged[s.clip_id] = s
                continue
            if [e.label for e in old.events] != [e.label for e in s.events]:
                raise InputError(f"{s.source}: sequence {s.key!r} has classes {[e.label for e in s.events]}, "
                                 f"{old.source} says {[e.label for e in old.events]}")
            if not any(e.cameras for e in old.events) and any(e.cameras for e in s.events):
                events = tuple(type(e)(o.label, o.subclass, o.x, o.y, o.z, cameras=e.cameras)
                               for o, e in zip(old.events, s.events))
                merged[s.clip_id] = SequenceRow(old.population, old.key, old.room, events, old.source,
                                                old.speaker_text)
    return list(merged.values())


def read_array(root: Path, clip: Clip) -> np.ndarray:
    """The 7 microphone signals of ``clip``, ``float32 [7, n_samples]`` (``micro0`` first).

    Raises:
        DataNotFoundError: a microphone file is missing.
        InputError: the files differ in length or sample rate.
    """
    import soundfile as sf

    mics = dict(clip.meta["mics"])
    n = int(layout()["n_mics"])
    if len(mics) != n:
        raise DataNotFoundError(f"clip {clip.id!r}: {len(mics)} of {n} microphone files on disk under {root}")
    sigs, rates = [], set()
    for m in range(n):
        data, fs = sf.read(Path(root) / mics[f"micro{m}"], dtype="float32", always_2d=True)
        sigs.append(data[:, 0])
        rates.add(fs)
    if len(rates) != 1 or len({len(s) for s in sigs}) != 1:
        raise InputError(f"clip {clip.id!r}: the microphone files differ in sample rate or length")
    return np.stack(sigs)


class UmonsRecipe(Recipe):
    """What SECL-UMONS and AVECL-UMONS share: sequences, directions, splits, SELD tasks."""

    record_kinds: ClassVar[tuple[str, ...]] = ("secl",)
    task_prefix: ClassVar[str] = "secl-umons"

    @property
    def classes(self) -> tuple[str, ...]:
        return classes()

    # -- what to fetch -------------------------------------------------------------------------
    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """Nothing is known before the records are resolved: :meth:`prepare` asks the Zenodo API
        (no file list, size or md5 of these records was ever published elsewhere)."""
        self.check_parts(parts)
        return []

    def prepare(self, root: Path, *, parts: Collection[str] | None = None, split: str | None = None,
                **options: Any) -> Any:
        """Resolve the record(s) by title, fetch their files of ``parts``, probe, write the manifests.

        Raises:
            DownloadError: no candidate record has the expected title, or a file fails verification.
        """
        from avbench.download import fetch_resources
        from avbench.recipes.secl_umons.records import record_resources, resolve_record, write_record

        parts = tuple(parts or self.default_parts)
        self.check_parts(parts)
        root = Path(root)
        resolved = [resolve_record(kind, timeout=float(options.get("timeout", 60.0))) for kind in self.record_kinds]
        files = [r for rec in resolved for r in record_resources(rec, parts, into=rec.kind)]
        result = fetch_resources(files, root, **options)
        if options.get("dry_run"):
            return result
        for rec in resolved:
            write_record(root, rec)
        self.after_fetch(root)
        return result

    def after_fetch(self, root: Path, *, warn: bool = True) -> None:
        """Count the sequences against the published numbers (``warn``: print the differences) and
        write the split manifest."""
        if not self.is_prepared(root):
            return
        for message in self.count_warnings(root) if warn else ():
            print(f"{self.name}: warning: {message}")
        self.write_manifest(root)

    def count_warnings(self, root: Path) -> list[str]:
        """Differences between the sequences on disk and the published counts."""
        seqs = sequences(root)
        out = []
        for pop, spec in layout()["populations"].items():
            n = sum(s.population == pop for s in seqs)
            if n not in spec["expected"]:
                out.append(f"{n} {pop} sequences in the metadata, published: {' or '.join(map(str, spec['expected']))}")
        return out

    def write_manifest(self, root: Path) -> Path:
        """Write ``avbench/splits-<version>.json``: membership, sha256, where each scheme came from."""
        seqs = sequences(root)
        splits, sources = scheme_splits(root, seqs)
        data = self._manifest(splits).to_dict()
        data["sources"] = sources
        data["seed"] = layout()["splits"]["seed"]
        path = Path(root) / "avbench" / f"splits-{self.version}.json"
        write_json(path, data)
        return path

    # -- what is on disk -----------------------------------------------------------------------
    def is_prepared(self, root: Path) -> bool:
        return Path(root).is_dir() and bool(metadata_files(Path(root)))

    def info(self, root: Path | None = None) -> dict[str, Any]:
        """``avbench info``: adds the Zenodo record(s) the data came from and count differences."""
        out = super().info(root)
        if root is not None and out.get("on_disk"):
            from avbench.io import read_json

            records = {k: read_json(p) for k in self.record_kinds
                       if (p := Path(root) / "avbench" / f"zenodo-{k}.json").is_file()}
            out["zenodo_records"] = {k: {"record": v.get("record"), "title": v.get("title"),
                                         "version": v.get("version")} for k, v in records.items()}
            out["count_warnings"] = self.count_warnings(Path(root))
        return out

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Sequences per split: counted from the metadata under ``root`` when it is there, else the
        test sizes the dataset's README publishes (``index/layout.json``, ``reported_test_sizes``;
        the first figure where the README and the thesis differ). No metadata file of these
        records is public, so ``train`` / ``val``, which avbench carves, are counted only on disk
        (:meth:`split_sizes_note` says so).

        Example:
            >>> RECIPE.split_sizes(None)["unilabel-split1-test"]
            484
        """
        if root is not None and self.is_prepared(Path(root)):
            return super().split_sizes(root)
        sizes = layout()["reported_test_sizes"]
        return {f"{k}-test": int(v[0] if isinstance(v, list) else v) for k, v in sizes.items()}

    def split_names(self, root: Path | None = None) -> tuple[str, ...] | None:
        if root is not None and self.is_prepared(Path(root)):
            return super().split_names(root)
        return tuple(f"{k}-{part}" for k in SCHEMES for part in ("train", "val", "test"))

    def split_sizes_note(self, root: Path | None = None) -> str | None:
        if root is not None and self.is_prepared(Path(root)):
            return None
        pops = layout()["populations"]
        total = ", ".join(f"{p} {spec['expected'][0]:,}" for p, spec in pops.items())
        return (f"published test sizes (the dataset's README and the thesis); train and val are carved by avbench from the "
                f"metadata and counted once it is on disk ({total} sequences in all)")

    def _manifest(self, splits: dict[str, tuple[str, ...]]) -> SplitManifest:
        overlap = tuple((a, b) for a in splits for b in splits
                        if a < b and a.rsplit("-", 1)[0] != b.rsplit("-", 1)[0])
        return SplitManifest(self.name, self.version, splits, allow_overlap=overlap)

    def splits(self, root: Path | None = None) -> SplitManifest:
        """The four schemes' train/val/test read from the data under ``root`` (module docstring).

        Raises:
            DataNotFoundError: ``root`` is ``None`` or holds no metadata CSVs.
        """
        if root is None:
            raise DataNotFoundError(f"the {self.name} splits are read from its metadata: pass the data directory "
                                    f"(`avbench download {self.name}`)")
        self.require(Path(root))
        return self._manifest(scheme_splits(Path(root), sequences(Path(root)))[0])

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The sequences of ``split`` (all when ``None``) in split order.

        Raises:
            DataNotFoundError: no metadata under ``root``.
            InputError: an unknown split, or metadata that does not parse.
        """
        root = Path(root)
        self.require(root)
        seqs = sequences(root)
        by_id = {s.clip_id: s for s in seqs}
        if split is None:
            ids = list(by_id)
        else:
            splits = self._manifest(scheme_splits(root, seqs)[0])
            ids = list(splits[split])
        media = scan_media(root)
        return {cid: self._clip(root, by_id[cid], media) for cid in ids}

    def _media(self, table: dict[tuple[str | None, str], dict[str, str]], s: SequenceRow) -> dict[str, str]:
        return table.get((s.population, s.key)) or table.get((None, s.key)) or {}

    def _clip(self, root: Path, s: SequenceRow, media: dict[str, Any], **extra: Any) -> Clip:
        spec = layout()["populations"][s.population]
        seconds = float(spec["seconds"])
        origin = layout()["array_position"].get(str(s.room), layout()["array_position"]["default"])
        events = []
        for e in s.events:
            az, el, dist = direction(e.x, e.y, e.z, origin)
            events.append(Event(0.0, seconds, e.label, labels=self.classes, azimuth=az, elevation=el, distance=dist))
        mics = self._media(media["audio"], s)
        has_audio = len(mics) == int(layout()["n_mics"])
        meta = {"room": s.room, "population": s.population, "key": s.key, "source": s.source,
                "subclasses": [e.subclass for e in s.events], "xyz": [[e.x, e.y, e.z] for e in s.events],
                "mics": dict(sorted(mics.items())), "speaker_text": s.speaker_text}
        meta.update(extra.pop("meta", {}))
        return Clip(id=s.clip_id, duration=seconds, audio=mics.get("micro0"), events=tuple(events),
                    clip_labels=tuple(sorted({e.label for e in s.events})), has_audio=has_audio,
                    **{"has_video": False, **extra}, meta=meta)

    def seld_tasks(self) -> list[Task]:
        out = []
        for scheme in SCHEMES:
            pop = scheme.split("-")[0]
            out.append(Task(
                f"{self.task_prefix}-{scheme}", self.name, TaskKind.EVENT_LOCALIZATION, self.classes,
                (MetricRef("seld-umons", {"n_classes": len(self.classes), "mode": pop}),), split=f"{scheme}-test",
                description=f"Classification and localization of the {pop} sequences of {scheme}: every event of a "
                "sequence spans it whole (onset 0, offset the sequence length) with its azimuth; scored with "
                "seld-umons (sequence-level F, wrapped-azimuth DOA error). Select models on "
                f"{scheme}-val."))
        return out

    def tasks(self) -> list[Task]:
        return self.seld_tasks()

    def make_toy(self, root: Path) -> None:
        """A tiny simulated set in the real layout (see :mod:`avbench.recipes.secl_umons.toy`)."""
        from avbench.recipes.secl_umons.toy import write_toy

        write_toy(Path(root), with_video=False)
        self.after_fetch(Path(root), warn=False)


class SeclUmonsRecipe(UmonsRecipe):
    """The SECL-UMONS recipe (see the module docstring)."""

    name = "secl-umons"
    version = "1.0"
    title = "SECL-UMONS: sound event classification and localization in offices (UMA-8-SP array)"
    homepage = "https://zenodo.org/record/3632377"
    license = "see the Zenodo record (not stated in the thesis or the README)"
    citation = ("M. Brousmiche, J. Rouat, S. Dupont. SECL-UMons Database for Sound Event Classification and "
                "Localization. ICASSP 2020, pp. 756-760.")
    parts = ("meta", "audio")
    default_parts = ("meta", "audio")


RECIPE = SeclUmonsRecipe()
