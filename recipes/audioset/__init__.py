"""``audioset``: Google AudioSet (Gemmeke et al., ICASSP 2017): 10-s YouTube segments, 527 classes,
the 2021 strong labels (Hershey et al., ICASSP 2021); YouTube-sourced, so every copy differs.

Parts of ``avbench download audioset``:

- ``meta`` (default): the eval and balanced-train segment lists, ``class_labels_indices.csv``,
  ``ontology.json`` and ``mid_to_display_name.tsv`` into ``meta/``, each verified by size and sha256;
- ``strong``: ``audioset_{train,eval}_strong.tsv`` and ``audioset_eval_strong_framed_posneg.tsv``
  (checked after download against the git blob ids of the published copies);
- ``unbalanced``: ``unbalanced_train_segments.csv`` (about 2 M rows; checked the same way);
- ``audio`` / ``video``: the clips of the chosen subset, from YouTube through the download engine
  (``mode=audio``, or ``av`` with ``video``; start/end cut; availability manifest
  ``youtube/youtube_manifest.tsv``) or, with ``--source hub --repo ID``, from a Hugging Face Hub
  mirror (:mod:`avbench.recipes.audioset.media`).

Subsets (:mod:`avbench.recipes.audioset.subset`) are chosen from the packaged index (eval and
balanced-train lists and the ontology, CC BY 4.0 / CC BY-SA 4.0, see ``index/README.md``) before
any byte is fetched: ``--split``, ``--classes "Dog,Cat"`` (names or MIDs) with
``--include-descendants``, ``--ids FILE|a,b``, ``--sample N`` with ``--balanced`` and ``--seed``.
The choice is written to ``subsets/<split>-<sha12>.json`` (ids, labels, the command and seed);
``--subset FILE`` passes one back. ``--dry-run`` prints the counts and fetches nothing.

Clips are keyed ``<YTID>_<start in ms>`` (the strong labels' ``segment_id``); ``clip_labels`` are
display names of the 527 classes (multi-hot with :func:`multi_hot`), ``events`` the strong labels
(display names of the 456-label vocabulary), ``has_audio`` / ``has_video`` three-state from the
manifests: unknown until checked.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "audioset"
    >>> RECIPE.make_toy(root)
    >>> clips = RECIPE.load(root, split="eval")
    >>> [(c.id, c.has_audio) for c in clips.values()][:2]
    [('--4gqARaEJE_0', True), ('--BfvyPmVMo_20000', False)]
    >>> int(multi_hot([clips["--4gqARaEJE_0"]]).sum())
    4
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.dataset import Recipe
from avbench.download.resource import HttpSource, Resource
from avbench.errors import DataNotFoundError, DownloadError, InputError
from avbench.model import Clip, Event, SplitManifest, Task, TaskKind
from avbench.recipes.audioset.metadata import (
    Segment,
    classes,
    git_blob_id,
    index_files,
    index_segments,
    parse_strong,
    segments_from_file,
    strong_vocabulary,
)
from avbench.recipes.audioset.subset import Selection, SubsetManifest, select

__all__ = ["RECIPE", "AudioSetRecipe", "multi_hot"]

SEGMENT_FILE = "meta/{split}_segments.csv"
STRONG_EVAL = "meta/audioset_eval_strong.tsv"
STRONG_TRAIN = "meta/audioset_train_strong.tsv"
_RECIPE_OPTIONS = ("classes", "include_descendants", "ids", "sample", "balanced", "seed", "subset", "source",
                   "repo", "revision")


def multi_hot(clips: Sequence[Clip], labels: Sequence[str] | None = None) -> np.ndarray:
    """``uint8 [len(clips), 527]``: 1 where the clip carries the class (``clip_labels``)."""
    names = list(labels) if labels is not None else [n for _, n in classes()]
    index = {n: i for i, n in enumerate(names)}
    out = np.zeros((len(clips), len(names)), np.uint8)
    for i, c in enumerate(clips):
        for lab in c.clip_labels:
            out[i, index[lab]] = 1
    return out


def _ids_option(ids: Any) -> tuple[str, ...] | None:
    if ids is None:
        return None
    if isinstance(ids, str):
        p = Path(ids)
        if p.is_file():
            return tuple(x.strip() for x in p.read_text(encoding="utf-8").replace(",", "\n").splitlines() if x.strip())
        return tuple(x.strip() for x in ids.split(",") if x.strip())
    return tuple(ids)


class AudioSetRecipe(Recipe):
    """The AudioSet recipe (see the module docstring)."""

    name = "audioset"
    version = "1.0"
    title = "AudioSet: an ontology and human-labeled dataset for audio events (Gemmeke et al., ICASSP 2017)"
    homepage = "https://research.google.com/audioset/"
    license = "labels CC BY 4.0 (Google); ontology CC BY-SA 4.0; videos belong to their YouTube uploaders"
    citation = (
        "J. F. Gemmeke, D. P. W. Ellis, D. Freedman, A. Jansen, W. Lawrence, R. C. Moore, M. Plakal, M. Ritter. "
        "Audio Set: An ontology and human-labeled dataset for audio events. ICASSP 2017. Strong labels: S. Hershey, "
        "D. P. W. Ellis, E. Fonseca, A. Jansen, C. Liu, R. C. Moore, M. Plakal. The benefit of temporally-strong "
        "labels in audio event classification. ICASSP 2021."
    )
    parts = ("meta", "strong", "unbalanced", "audio", "video")
    default_parts = ("meta",)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(n for _, n in classes())

    # -- what to fetch -------------------------------------------------------------------------
    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The metadata files of ``parts`` (media clips are chosen by :meth:`prepare`)."""
        self.check_parts(parts)
        out = []
        for f in index_files():
            if f["part"] not in parts:
                continue
            url = str(f["url"])
            url = url if url.startswith("http") else "http://storage.googleapis.com/us_audioset/youtube_corpus/" + url
            out.append(Resource(str(f["path"]), HttpSource(url), size=f.get("size"), sha256=f.get("sha256"),  # type: ignore[arg-type]
                                part=str(f["part"])))
        return out

    def choose(self, split: str, *, root: Path | None = None, subset: str | Path | None = None,
               **selection: Any) -> SubsetManifest:
        """The subset of ``split`` that ``selection`` (or the manifest ``subset``) names."""
        if subset is not None:
            m = SubsetManifest.read(Path(subset))
            if m.split != split and split is not None:
                raise InputError(f"{subset}: the manifest is of split {m.split!r}, not {split!r}; drop --split "
                                 "or pass the matching one")
            return m
        segs = self.segment_list(split, root)
        sel = Selection(classes=tuple(selection.get("classes") or ()),
                        include_descendants=bool(selection.get("include_descendants")),
                        ids=_ids_option(selection.get("ids")), sample=selection.get("sample"),
                        balanced=bool(selection.get("balanced")), seed=int(selection.get("seed") or 0))
        chosen, mids = select(segs, sel, split=split)
        record = {"classes": list(sel.classes), "mids": list(mids), "include_descendants": sel.include_descendants,
                  "ids": list(sel.ids) if sel.ids is not None else None, "sample": sel.sample,
                  "balanced": sel.balanced, "seed": sel.seed}
        return SubsetManifest(split, tuple(chosen), record, _command(split, selection), self.version)

    def segment_list(self, split: str, root: Path | None = None) -> tuple[Segment, ...]:
        """The segments of ``split``: the file under ``root/meta`` when there, else the packaged index."""
        if split not in ("eval", "balanced_train", "unbalanced_train"):
            raise InputError(f"audioset has no split {split!r}; its splits: eval, balanced_train, unbalanced_train")
        if root is not None and (Path(root) / SEGMENT_FILE.format(split=split)).is_file():
            return tuple(segments_from_file(Path(root) / SEGMENT_FILE.format(split=split)))
        if split == "unbalanced_train":
            raise DataNotFoundError("the unbalanced list is not packaged: `avbench download audioset --parts unbalanced`")
        return index_segments(split)

    def prepare(self, root: Path, *, parts: Collection[str] = ("meta",), split: str | None = None,
                **options: Any) -> Any:
        """Fetch ``parts``; for ``audio``/``video`` the chosen subset of ``split`` (default eval).

        Recipe options (the rest go to the download engine): ``classes``, ``include_descendants``,
        ``ids``, ``sample``, ``balanced``, ``seed``, ``subset`` (a manifest to pass back), ``source``
        (``youtube`` or ``hub``), ``repo`` and ``revision`` (the Hub mirror).

        Raises:
            InputError: bad subset options, or ``--source hub`` without ``--repo``.
            DownloadError: a downloaded file whose git blob id differs from the published one.
        """
        self.check_parts(parts)
        root = Path(root)
        mine = {k: options.pop(k) for k in _RECIPE_OPTIONS if k in options}
        source = mine.pop("source", None) or "youtube"
        repo, revision = mine.pop("repo", None), mine.pop("revision", None)
        if source not in ("youtube", "hub"):
            raise InputError(f"--source must be youtube or hub, got {source!r}")
        if source == "hub" and not repo:
            raise InputError("--source hub needs --repo ID (e.g. agkphysics/AudioSet)")
        media = [p for p in ("audio", "video") if p in parts]
        wants_subset = media or any(mine.get(k) for k in ("classes", "ids", "sample", "subset"))
        subset = None
        if wants_subset:
            if mine.get("subset"):
                subset = self.choose(split or "", subset=mine["subset"]) if split is None else \
                    self.choose(split, subset=mine["subset"])
            else:
                subset = self.choose(split or "eval", root=root, **mine)
            _print_counts(subset)
            from avbench.download.dry_run import note

            note("subset", {"split": subset.split, "clips": len(subset.clips), "digest": subset.digest(),
                            "positive_labels": sum(len(c.labels) for c in subset.clips),
                            "classes": len({m for c in subset.clips for m in c.labels}),
                            "seconds": round(sum(c.end - c.start for c in subset.clips), 3),
                            "clip_ids": [c.clip_id for c in subset.clips]})
        dry = bool(options.get("dry_run"))
        report: dict[str, Any] = {"subset": subset}
        files = self.resources(parts=[p for p in parts if p not in media])
        if files:
            from avbench.download import fetch_resources

            report["files"] = fetch_resources(files, root, **options)
            if not dry:
                self._check_git_blobs(root, files)
        if subset is None:
            return report
        if not dry:
            path = root / "subsets" / f"{subset.split}-{subset.digest()[:12]}.json"
            subset.write(path)
            report["manifest"] = path
            sys.stderr.write(f"avbench: subset manifest {path} (pass it back with --subset)\n")
        if not media:
            return report
        if source == "hub":
            from avbench.recipes.audioset.media import fetch_hub_mirror

            report["hub"] = fetch_hub_mirror(root, subset.clips, split=subset.split, repo=repo, revision=revision,
                                             **options)
            return report
        from avbench.download import YouTubeClip, fetch_resources

        mode = "av" if "video" in media else "audio"
        clips = [YouTubeClip(s.clip_id, s.ytid, s.start, s.end, mode) for s in subset.clips]
        report["youtube"] = fetch_resources(clips, root, **options)
        return report

    def _check_git_blobs(self, root: Path, files: Sequence[Resource]) -> None:
        known = {str(f["path"]): f.get("git") for f in index_files()}
        for r in files:
            want = known.get(r.path)
            path = root / r.path
            if want and path.is_file():
                got = git_blob_id(path)
                if got != want:
                    bad = path.with_name(path.name + ".mismatch")
                    path.replace(bad)
                    raise DownloadError(f"{r.path}: git blob id {got} differs from the published {want}; the file was "
                                        f"moved to {bad.name}: the host changed it, or it is not the original")

    # -- what is on disk -----------------------------------------------------------------------
    def is_prepared(self, root: Path) -> bool:
        root = Path(root)
        return any((root / SEGMENT_FILE.format(split=s)).is_file() for s in ("eval", "balanced_train"))

    def splits(self, root: Path | None = None) -> SplitManifest:
        """``eval``, ``balanced_train`` (on disk, else the packaged index), ``unbalanced_train`` and
        ``strong_eval`` / ``strong_train`` (the segments with strong labels) when their files are on disk."""
        out: dict[str, tuple[str, ...]] = {}
        for split in ("eval", "balanced_train", "unbalanced_train"):
            try:
                out[split] = tuple(s.clip_id for s in self.segment_list(split, root))
            except DataNotFoundError:
                continue
        if root is not None:
            for name, rel in (("strong_eval", STRONG_EVAL), ("strong_train", STRONG_TRAIN)):
                if (Path(root) / rel).is_file():
                    out[name] = tuple(dict.fromkeys(e.segment_id for e in self._strong(Path(root), rel)))
        overlap = (("strong_eval", "eval"), ("strong_train", "balanced_train"), ("strong_train", "unbalanced_train"))
        return SplitManifest(self.name, self.version, out, allow_overlap=overlap)

    def _strong(self, root: Path, rel: str) -> list[Any]:
        with open(root / rel, encoding="utf-8") as fh:
            return parse_strong(fh, source=str(root / rel))

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The clips of ``split`` (all splits when ``None``) with labels, strong events and availability."""
        from avbench.recipes.audioset.media import availability

        root = Path(root)
        self.require(root)
        manifest = self.splits(root)
        names = [split] if split is not None else list(manifest.splits)
        ids = [cid for n in names for cid in manifest[n]]
        lists = {"eval": ("eval",), "strong_eval": ("eval",), "balanced_train": ("balanced_train",),
                 "unbalanced_train": ("unbalanced_train",), "strong_train": ("balanced_train", "unbalanced_train")}
        need = lists.get(split or "", ("eval", "balanced_train", "unbalanced_train"))
        segs: dict[str, Segment] = {}
        for n in need:
            if n in manifest.splits:
                for s in self.segment_list(n, root):
                    segs.setdefault(s.clip_id, s)
        names_by_mid = dict(classes())
        strong_names = dict(strong_vocabulary())
        events: dict[str, list[Any]] = {}
        strong_files = {"eval": (STRONG_EVAL,), "strong_eval": (STRONG_EVAL,)}.get(
            split or "", (STRONG_TRAIN,) if split else (STRONG_EVAL, STRONG_TRAIN))
        for rel in strong_files:
            if (root / rel).is_file():
                for e in self._strong(root, rel):
                    if e.present:
                        events.setdefault(e.segment_id, []).append(e)
        avail = availability(root, ids)
        out: dict[str, Clip] = {}
        for cid in dict.fromkeys(ids):
            s = segs.get(cid)
            if s is None:
                ytid, _, ms = cid.rpartition("_")
                s = Segment(ytid, int(ms), int(ms) + 10000, ())
            dur = s.end - s.start
            evs = []
            for e in events.get(cid, ()):
                if e.mid not in strong_names:
                    raise InputError(f"strong label {e.mid!r} of {cid} is not in mid_to_display_name.tsv")
                off = min(e.offset, dur)
                if e.onset < off:
                    evs.append(Event(e.onset, off, strong_names[e.mid]))
            a = avail[cid]
            out[cid] = Clip(cid, dur, audio=a.audio, video=a.video, events=tuple(evs),
                            clip_labels=tuple(names_by_mid[m] for m in s.labels if m in names_by_mid),
                            has_audio=a.has_audio, has_video=a.has_video,
                            meta={"ytid": s.ytid, "start": s.start, "end": s.end, "mids": list(s.labels),
                                  "source": a.source})
        return out

    def tasks(self) -> list[Task]:
        weak = self.classes
        strong = tuple(n for _, n in strong_vocabulary())
        return [
            Task("audioset-tagging", self.name, TaskKind.TAGGING, weak, ("map", "roc_auc"), split="eval",
                 description="Score all 527 classes for every eval clip (20,371 segments listed; a copy holds those "
                 "still on YouTube or in the mirror). mAP, mean ROC-AUC and d' over classes, the AudioSet convention."),
            Task("audioset-strong-sed", self.name, TaskKind.EVENT_DETECTION, strong, ("psds1", "psds2", "event_f1"),
                 split="strong_eval", description="Detect the strong-label events (456-label vocabulary) in the eval "
                 "clips of the 2021 strong labels (audioset_eval_strong.tsv, PRESENT rows): PSDS1, PSDS2 and "
                 "event-based F1 (0.2 s collar, 20 % offset)."),
        ]

    def make_toy(self, root: Path) -> None:
        """A few segments in the released layout (see :mod:`avbench.recipes.audioset.toy`)."""
        from avbench.recipes.audioset.toy import write_toy

        write_toy(Path(root))


def _command(split: str, sel: Mapping[str, Any]) -> str:
    cmd = ["avbench", "download", "audioset", "--split", split]
    if sel.get("classes"):
        cmd += ["--classes", ",".join(sel["classes"])]
    if sel.get("include_descendants"):
        cmd.append("--include-descendants")
    if sel.get("ids") is not None:
        ids = sel["ids"]
        cmd += ["--ids", ids if isinstance(ids, str) else ",".join(ids)]
    if sel.get("sample"):
        cmd += ["--sample", str(sel["sample"])]
    if sel.get("balanced"):
        cmd.append("--balanced")
    if sel.get("seed"):
        cmd += ["--seed", str(sel["seed"])]
    return shlex.join(cmd)


def _print_counts(subset: SubsetManifest) -> None:
    n_labels = sum(len(s.labels) for s in subset.clips)
    n_classes = len({m for s in subset.clips for m in s.labels})
    seconds = sum(s.end - s.start for s in subset.clips)
    sys.stdout.write(f"audioset {subset.split}: {len(subset.clips)} clips, {n_labels} positive labels over "
                     f"{n_classes} classes, {seconds / 3600:.1f} h of audio to fetch\n")


RECIPE = AudioSetRecipe()
