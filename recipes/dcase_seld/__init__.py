"""The DCASE Task 3 (SELD) sets: shared recipe code for ``tau-sse-2019``, ``tau-nigens-sse-2020``,
``tau-nigens-sse-2021``, ``starss22`` and ``starss23`` (one recipe module each in :mod:`avbench.recipes`).

Each edition is described by its index, ``index/<name>.json`` (see ``index/README.md``): the Zenodo
records with their titles, every archive with its md5 (where published), the class list, the
metadata format, the frame hop, the official folds as split rules and the tasks with their
``seld-dcaseYYYY`` metric. Quirks live there, not in code.

On disk (after ``avbench download NAME``), the released layout: ``metadata_dev/``, ``foa_dev/``,
``mic_dev/`` (and ``_eval``; ``video_dev/`` / ``video_eval/`` for STARSS23), each holding
``<clip>.csv`` / ``.wav`` / ``.mp4`` directly (2019, 2020) or in the release's sub-folders
(``dev-train/``... in 2021, ``dev-train-sony/``... in STARSS). The multi-volume archives
(``foa_dev.z01``, ``foa_dev.z02``, ``foa_dev.zip``) are fetched into ``archives/`` and extracted
in place by the download engine.

Parts (``--parts``): ``meta`` (the metadata archives), ``foa`` and ``mic`` (both subsets), or one
archive family alone (``foa_dev``, ``mic_eval``...); STARSS23 adds ``video`` = ``video_dev`` +
``video_eval``. ``--split eval`` (or a development split) restricts the fetch to that subset.

Clips are keyed by file stem (``fold4_room23_mix002``, ``split1_ir0_ov1_1``, ``mix001``), the
names the official prediction CSVs use. ``Clip.audio`` is the FOA file where present, else the MIC
file; ``meta["formats"]`` has both. ``Clip.events`` carry direction (and distance where the edition
gives it, in metres) per :mod:`avbench.recipes.dcase_seld.metadata`. A clip without a metadata file
(STARSS23 evaluation, or ``--parts`` without ``meta``) has no events and ``meta["labelled"]`` False;
scoring such a split is refused. An event that runs past the clip's end (TAU 2019 version-1
metadata has some ending up to 0.7 s after the 60-s recording) is cut at the end, and
``meta["events_cut_at_end"]`` counts them. ``has_video`` is True only for a STARSS23 clip whose
video is on disk and decodes (:mod:`avbench.recipes.dcase_seld.video`), False where it was checked and is not
usable (or the release documents no video: the TAU sets, STARSS22, the 12 audio-only STARSS23
recordings), ``None`` (unknown) where STARSS23's video was not downloaded. ``has_audio`` is
likewise ``None`` when neither the FOA nor the MIC folder of the clip's subset is on disk.

Example:
    >>> import tempfile, pathlib
    >>> from avbench import registry
    >>> r = registry.dataset("starss23")
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "starss23"
    >>> r.make_toy(root)
    >>> clips = r.load(root, split="dev-test")
    >>> list(clips)
    ['fold4_room2_mix001', 'fold4_room23_mix001']
    >>> ev = clips["fold4_room2_mix001"].events[0]
    >>> ev.label, ev.onset, ev.offset, ev.azimuth, ev.distance
    ('Telephone', 0.0, 0.5, 60.0, 1.5)
    >>> clips["fold4_room2_mix001"].has_video, clips["fold4_room23_mix001"].meta["video_status"] in ("ok", "missing")
    (True, False)
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

from avbench.dataset import Recipe
from avbench.download.resource import Resource, ZenodoSource
from avbench.errors import DataNotFoundError, DownloadError, InputError
from avbench.model import Clip, MetricRef, SplitManifest, Task, TaskKind
from avbench.recipes.dcase_seld.metadata import read_events

__all__ = ["SeldRecipe", "index", "natural_key", "SUBSETS", "KINDS"]

SUBSETS = ("dev", "eval")
#: folder kind -> file suffix; folders are ``<kind>_<subset>``
KINDS = {"metadata": ".csv", "foa": ".wav", "mic": ".wav", "video": ".mp4"}
_INDEX_DIR = Path(__file__).resolve().parent / "index"


@functools.cache
def index(name: str) -> dict[str, Any]:
    """The packaged index ``index/<name>.json`` of one edition."""
    path = _INDEX_DIR / f"{name}.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def natural_key(stem: str) -> tuple[Any, ...]:
    """Sort key that orders ``mix2`` before ``mix10``.

    Example:
        >>> sorted(["fold4_room10_mix001", "fold4_room2_mix001"], key=natural_key)
        ['fold4_room2_mix001', 'fold4_room10_mix001']
    """
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", stem))


class _Files:
    __slots__ = ("subset", "paths")

    def __init__(self, subset: str) -> None:
        self.subset = subset
        self.paths: dict[str, Path] = {}


class SeldRecipe(Recipe):
    """Base of the DCASE SELD recipes: a subclass sets ``index_name``; the rest comes from the index."""

    index_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        idx = index(cls.index_name)
        cls.name = idx["dataset"]
        cls.version = idx["version"]
        cls.title, cls.homepage, cls.license, cls.citation = (idx[k] for k in ("title", "homepage", "license",
                                                                                 "citation"))
        families = sorted({f["part"] for f in idx["files"]} - {"meta"})
        formats = sorted({p.split("_")[0] for p in families}, key=["foa", "mic", "video"].index)
        cls.parts = ("meta", *formats, *families)
        cls.default_parts = ("meta", "foa")
        cls.audio_formats = tuple(f for f in formats if f != "video")

    @property
    def idx(self) -> dict[str, Any]:
        return index(self.index_name)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.idx["classes"])

    # -- what to fetch -------------------------------------------------------------------------
    def _families(self, parts: Collection[str]) -> set[str]:
        self.check_parts(parts)
        out = set()
        for p in parts:
            out |= {p} if p == "meta" or "_" in p else {q for q in self.parts if q.startswith(p + "_")}
        return out

    def _subset_of_split(self, split: str) -> str:
        rules = self.idx["splits"]
        if split not in rules:
            raise InputError(f"{self.name} has no split {split!r}; its splits are {', '.join(rules)}")
        return str(rules[split]["subset"])

    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The archives of ``parts`` (of the subset holding ``split`` when given), from the index."""
        families = self._families(parts)
        subset = self._subset_of_split(split) if split is not None else None
        idx = self.idx
        keys = [f["key"] for f in idx["files"]]
        out = []
        for f in idx["files"]:
            stem, _, ext = f["key"].partition(".")
            if f["part"] not in families or (subset is not None and not stem.endswith("_" + subset)):
                continue
            rec = idx["records"][f["record"]]
            volumes = tuple(f"archives/{k}" for k in sorted(keys) if re.fullmatch(re.escape(stem) + r"\.z\d+", k)) \
                if ext == "zip" else ()
            out.append(Resource(f"archives/{f['key']}", ZenodoSource(int(rec["id"]), f["key"], title=rec["title"]),
                                size=f.get("size"), md5=f.get("md5"), part=f["part"],
                                extract_to="." if ext == "zip" else None, volumes=volumes))
        return out

    def prepare(self, root: Path, *, parts: Collection[str] = ("meta", "foa"), split: str | None = None,
                **options: Any) -> Any:
        """Fetch and extract ``parts``, check the extracted layout, probe STARSS23 videos.

        Raises:
            DownloadError: an extracted archive does not hold the folder the release documents.
        """
        from avbench.download import fetch_resources

        root = Path(root)
        files = self.resources(parts=parts, split=split)
        result = fetch_resources(files, root, **options)
        if options.get("dry_run"):
            return result
        for res in files:
            if res.path.endswith(".zip"):
                folder = res.path.rsplit("/", 1)[1][:-4]
                if not (root / folder).is_dir():
                    raise DownloadError(f"{root / folder}: missing after extracting {res.path}; the archive layout "
                                        f"of {self.name} changed: report it")
        if any(r.part.startswith("video") for r in files):
            from avbench.recipes.dcase_seld.video import write_status

            write_status(root, self._videos(root))
        return result

    # -- what is on disk -----------------------------------------------------------------------
    def scan(self, root: Path) -> dict[str, _Files]:
        """``{clip id: files}`` of every metadata, audio and video file under ``root``'s release folders."""
        out: dict[str, _Files] = {}
        for subset in SUBSETS:
            for kind, suffix in KINDS.items():
                base = Path(root) / f"{kind}_{subset}"
                if not base.is_dir():
                    continue
                for path in sorted(base.rglob(f"*{suffix}")):
                    if path.name.startswith("."):
                        continue
                    stem = path.stem
                    entry = out.setdefault(stem, _Files(subset))
                    if entry.subset != subset:
                        raise InputError(f"{path}: clip {stem!r} is in both the {entry.subset} and the {subset} "
                                         f"folders of {self.name}; remove the stray copy")
                    if kind in entry.paths:
                        raise InputError(f"{path}: clip {stem!r} has two {kind} files ({entry.paths[kind]}); "
                                         "remove the stray copy")
                    entry.paths[kind] = path
        return out

    def _videos(self, root: Path) -> dict[str, Path]:
        return {cid: f.paths["video"] for cid, f in self.scan(root).items() if "video" in f.paths}

    def is_prepared(self, root: Path) -> bool:
        root = Path(root)
        return any((root / f"{k}_{s}").is_dir() for k in ("metadata", "foa", "mic") for s in SUBSETS)

    def _membership(self, files: Mapping[str, _Files]) -> dict[str, list[str]]:
        rules = self.idx["splits"]
        splits: dict[str, list[str]] = {name: [] for name in rules}
        for cid in sorted(files, key=natural_key):
            for name, rule in rules.items():
                if files[cid].subset == rule["subset"] and re.search(rule["pattern"], cid):
                    splits[name].append(cid)
        return splits

    def splits(self, root: Path | None = None) -> SplitManifest:
        """The official folds (and setups) with the clips found under ``root``.

        Raises:
            DataNotFoundError: ``root`` is ``None`` or holds none of the release folders.
        """
        if root is None or not self.is_prepared(Path(root)):
            raise DataNotFoundError(f"the {self.name} splits are read from its file names: run "
                                    f"`avbench download {self.name} --parts meta` and pass the data directory")
        rules = self.idx["splits"]
        overlap = tuple((a, b) for a in rules if rules[a].get("setup") for b in rules if not rules[b].get("setup"))
        return SplitManifest(self.name, self.version, self._membership(self.scan(Path(root))), allow_overlap=overlap)

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Recordings per split: counted under ``root`` when the release is there, else the
        released counts in the packaged index (``counts``: the DCASE task pages' figures)."""
        if root is not None and self.is_prepared(Path(root)):
            return super().split_sizes(root)
        counts = self.idx.get("counts")
        return {k: int(counts[k]) for k in self.idx["splits"] if k in counts} if counts else None

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The clips of ``split`` (every clip found when ``None``) in split order.

        Raises:
            DataNotFoundError: none of the release folders is under ``root``.
            InputError: an unknown split, or a metadata file that does not parse.
        """
        root = Path(root)
        self.require(root)
        files = self.scan(root)
        members = self._membership(files)
        if split is not None:
            self._subset_of_split(split)
            ids = members[split]
        else:
            ids = sorted(files, key=natural_key)
        of = {cid: name for name, rule in self.idx["splits"].items() if not rule.get("setup") for cid in members[name]}
        from avbench.recipes.dcase_seld.video import read_status

        status = read_status(root) if "video" in self.parts else {}
        return {cid: self._clip(root, cid, files[cid], of.get(cid), status) for cid in ids}

    def _clip(self, root: Path, cid: str, files: _Files, split: str | None,
              status: Mapping[str, Mapping[str, Any]]) -> Clip:
        idx = self.idx
        hop = float(idx["hop"])
        fixed = idx.get("duration")
        meta_path = files.paths.get("metadata")
        n_frames = int(round(fixed / hop)) if fixed else None
        events = read_events(meta_path, idx["metadata_format"], self.classes, hop=hop, n_frames=n_frames) \
            if meta_path is not None else ()
        formats = {k: files.paths[k].relative_to(root).as_posix() for k in ("foa", "mic") if k in files.paths}
        duration, source = self._duration(root, files, events, status.get(cid, {}))
        cut = sum(e.offset > duration for e in events)
        if cut:  # 2019 v1 metadata has events ending up to 0.7 s past the 60-s recordings
            events = tuple(dataclasses.replace(e, offset=duration) if e.offset > duration else e
                           for e in events if e.onset < duration)
        meta: dict[str, Any] = {"subset": files.subset, "split": split, "labelled": meta_path is not None,
                                "formats": formats, "duration_source": source, "events_cut_at_end": cut}
        if meta_path is not None:
            meta["metadata"] = meta_path.relative_to(root).as_posix()
        has_video: bool | None = False  # the TAU sets and STARSS22 have no video: checked, missing
        video = None
        if "video" in self.parts:
            has_video, state = self._video_state(root, cid, files, status.get(cid, {}))
            vpath = files.paths.get("video")
            video = vpath.relative_to(root).as_posix() if has_video and vpath is not None else None
            meta["video_status"] = state
            meta["video_expected"] = cid not in set(idx.get("audio_only", ()))
            rec = status.get(cid, {})
            if has_video and "width" in rec:
                meta["video_info"] = {k: rec[k] for k in ("width", "height", "fps", "duration") if k in rec}
        audio = formats.get("foa", formats.get("mic"))
        looked = any((root / f"{k}_{files.subset}").is_dir() for k in ("foa", "mic"))
        has_audio = True if formats else (False if looked else None)
        return Clip(cid, duration, audio=audio, video=video, events=events, has_audio=has_audio,
                    has_video=has_video, meta=meta)

    def _video_state(self, root: Path, cid: str, files: _Files, rec: Mapping[str, Any]) -> tuple[bool | None, str]:
        """``(has_video, status)``: the probe record when there is one (``ok`` = available, else
        missing); else, when the clip's video folder exists, file presence; else a clip the release
        documents as audio-only is missing and any other is unknown (video not downloaded)."""
        if rec:
            state = str(rec.get("status"))
            return state == "ok", state
        vpath = files.paths.get("video")
        if vpath is not None:
            return (True, "ok (not probed)") if vpath.stat().st_size > 0 else (False, "undecodable: empty file")
        if (root / f"video_{files.subset}").is_dir() or cid in set(self.idx.get("audio_only", ())):
            return False, "missing"
        return None, "unknown (video not downloaded)"

    def _duration(self, root: Path, files: _Files, events: tuple[Any, ...],
                  status: Mapping[str, Any]) -> tuple[float, str]:
        fixed = self.idx.get("duration")
        if fixed:
            return float(fixed), "index"
        for kind in ("foa", "mic"):
            if kind in files.paths:
                import soundfile

                try:
                    info = soundfile.info(str(files.paths[kind]))
                except RuntimeError as exc:
                    raise InputError(f"{files.paths[kind]}: cannot read the WAV header ({exc}); "
                                     f"delete it and run `avbench download {self.name} --parts {kind}` again") from None
                return info.frames / info.samplerate, kind
        if events:
            return max(e.offset for e in events), "metadata (last active frame)"
        if status.get("duration"):
            return float(status["duration"]), "video"
        raise InputError(f"{self.name}: clip {next(iter(files.paths.values()))} has no audio and no labelled frame, "
                         f"so its duration is unknown; run `avbench download {self.name} --parts foa`")

    def tasks(self) -> list[Task]:
        return [Task(t["id"], self.name, TaskKind.EVENT_LOCALIZATION, self.classes, (MetricRef(t["metric"], profile="official"),),
                     split=t["split"], description=t["description"]) for t in self.idx["tasks"]]

    def reference(self, root: Path, task: Task, split: str) -> Mapping[str, Clip]:
        """The clips of ``split``; every one must have its metadata file.

        Raises:
            InputError: some clips of the split have no labels (STARSS23 evaluation, or metadata not
                downloaded).
        """
        clips = super().reference(root, task, split)
        unlabelled = [cid for cid, c in clips.items() if not c.meta["labelled"]]
        if unlabelled:
            hint = ("its labels are not released: score on a development split"
                    if self._subset_of_split(split) in self.idx.get("unlabelled_subsets", ())
                    else f"run `avbench download {self.name} --parts meta`")
            raise InputError(f"{self.name}/{split}: {len(unlabelled)} of {len(clips)} clips have no metadata file "
                             f"(e.g. {unlabelled[0]!r}); {hint}")
        return clips

    def make_toy(self, root: Path) -> None:
        """A few clips per split in the released layout (see :mod:`avbench.recipes.dcase_seld.toy`)."""
        from avbench.recipes.dcase_seld.toy import write_toy

        write_toy(self, Path(root))
