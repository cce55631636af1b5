"""``desed``: DESED, the data of DCASE Task 4 (Turpault et al., DCASE 2019): 10 domestic classes.

Real clips are YouTube (AudioSet) sections: the weak training set (1,578 clips, clip labels), the
unlabeled in-domain set (14,412), the validation set (1,168, strong labels; "dev-test" since 2021)
and the public evaluation set (692), named ``Y<YTID>_<start>_<end>.wav`` (``<YTID>_<start>_<end>.wav``
in the eval set) as DESED's own download script writes them (audio resampled to 44.1 kHz). The
synthetic soundscapes (Freesound, Scaper) never have video. ``--parts audio`` fetches the real
clips' sections through the download engine and writes each as DESED's script does, under the
metadata's own name in ``audio/<metadata path>/`` (:mod:`avbench.recipes.desed.media`: 44.1 kHz
16-bit WAV; extra ``youtube``); a clip already there is not fetched again.

Editions are versioned metadata sets (``index/editions.json``): ``2020`` (the original validation
file, 4,251 events: paper 002 and the 2020 baseline) and ``2021`` (= 2022, 2023: the updated one,
4,239 events). The edition a copy holds is recognised from its files' sha256 and reported in
:meth:`DesedRecipe.info` and every clip's ``meta["edition"]``; a file matching no edition is
reported as ``modified`` and still loaded.

Layout (DESED_task's; ``avbench download desed`` writes it, ``--from DIR`` reads an existing one)::

    metadata/train/weak.tsv                    filename<TAB>event_labels
    metadata/train/unlabel_in_domain.tsv       filename
    metadata/train/synthetic21_train/soundscapes.tsv    filename<TAB>onset<TAB>offset<TAB>event_label
    metadata/validation/validation.tsv         (same, strong)  + validation_durations.tsv
    metadata/eval/public.tsv                   (same, strong)  + public_durations.tsv
    audio/<the metadata path without .tsv>/<filename>
    missing_files_*.tsv                        DESED's record of clips it could not fetch

Availability has three states (:class:`~avbench.model.VideoState`): audio is available when its
file is there, missing when a split's audio folder exists without it or ``missing_files_*.tsv``
lists it, unknown otherwise; video is available or missing from the YouTube manifest
(``youtube/youtube_manifest.tsv``, ``--parts video``), unknown when never fetched, and missing for
every synthetic soundscape. A clip without video keeps an empty visual slot (``video=None``) for
partial-visual models (paper 002). :func:`availability_report` counts, per split, clips with audio
and with video.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "desed"
    >>> RECIPE.make_toy(root)
    >>> clips = RECIPE.load(root, split="validation")
    >>> [(c.id[:12], c.has_audio, c.has_video) for c in clips.values()]
    [('Y00pbt6aJV8Y', True, True), ('Y00pK0GMmE9s', True, False), ('Y01TVBl2a8lQ', False, None)]
    >>> parse_name("Y00pbt6aJV8Y_350.000_360.000.wav")
    ('00pbt6aJV8Y', 350.0, 360.0)
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from avbench.dataset import Recipe
from avbench.download.resource import Resource, ZenodoSource
from avbench.errors import DataNotFoundError, InputError
from avbench.io import atomic_write_text, write_json
from avbench.model import Clip, Event, MetricRef, SplitManifest, Task, TaskKind
from avbench.recipes.desed import media as media_wav

__all__ = ["RECIPE", "DesedRecipe", "CLASSES", "parse_name", "availability_report"]

CLASSES = ("Alarm_bell_ringing", "Blender", "Cat", "Dishes", "Dog", "Electric_shaver_toothbrush", "Frying",
           "Running_water", "Speech", "Vacuum_cleaner")
INDEX = Path(__file__).resolve().parent / "index"
SYNTHETIC = ("synthetic_train", "synthetic_validation")
FROM_FILE = "avbench/from.json"
AUDIO_MANIFEST = "avbench/audio_manifest.tsv"
YOUTUBE_MANIFEST = "youtube/youtube_manifest.tsv"
_NAME = re.compile(r"(Y?)([A-Za-z0-9_-]{11})_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)\.wav")


def clip_id(split: str, filename: str) -> str:
    """A real clip's id is its file stem; a synthetic soundscape's is ``<split>_<stem>`` (the two
    synthetic sets both number their files from ``0.wav``)."""
    stem = filename[:-4] if filename.endswith(".wav") else filename
    return f"{split}_{stem}" if split in SYNTHETIC else stem


def parse_name(filename: str) -> tuple[str, float, float] | None:
    """``(YTID, start, end)`` of a real clip's file name, ``None`` for a synthetic one (``12.wav``)."""
    m = _NAME.fullmatch(filename)
    if m is None:
        return None
    return m.group(2), float(m.group(3)), float(m.group(4))


@functools.lru_cache(maxsize=1)
def editions() -> Mapping[str, Any]:
    return json.loads((INDEX / "editions.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _sha256(path: Path) -> str:
    from avbench.download.verify import hash_file

    return str(hash_file(path).hexdigest("sha256"))


def _tsv(path: Path, header: tuple[str, ...]) -> list[list[str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    if not lines or tuple(lines[0].split("\t")) != header:
        raise InputError(f"{path} line 1: expected the header {'<TAB>'.join(header)}, got {(lines or [''])[0][:80]!r}")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise InputError(f"{path} line {n}: expected {len(header)} tab-separated fields, got {len(cells)}")
        out.append(cells)
    return out


def _edition_files(root: Path) -> tuple[str, dict[str, str]]:
    """Which edition ``root`` holds (by the validation file's sha256) and ``{split: metadata path}``."""
    ed = editions()["editions"]
    val = root / "metadata/validation/validation.tsv"
    digest = _sha256(val) if val.is_file() else None
    name = next((k for k, e in ed.items() if e["files"]["validation"][1] == digest), None)
    chosen = ed[name or "2021"]
    files = {split: rel for split, (rel, _) in chosen["files"].items()}
    if (root / "metadata/train/synthetic21_train/soundscapes.tsv").is_file():
        files["synthetic_train"] = "metadata/train/synthetic21_train/soundscapes.tsv"
    files = {k: v for k, v in files.items() if (root / v).is_file()}
    return (name or ("modified" if digest else "none")), files


class DesedRecipe(Recipe):
    """The DESED / DCASE Task 4 recipe (see the module docstring)."""

    name = "desed"
    version = "1.0"
    title = "DESED: Domestic Environment Sound Event Detection (DCASE Task 4)"
    homepage = "https://project.inria.fr/desed/"
    license = "metadata MIT (turpaultn/DESED); real clips from YouTube (their uploaders); Freesound clips CC licences"
    citation = ("N. Turpault, R. Serizel, A. Parag Shah, J. Salamon. Sound event detection in domestic environments "
                "with weakly labeled data and soundscape synthesis. DCASE 2019 Workshop.")
    parts = ("meta", "synthetic", "eval", "audio", "video")
    default_parts = ("meta",)

    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The Zenodo archives of ``parts`` (sizes and md5 from the record; extracted into the root)."""
        self.check_parts(parts)
        out = []
        for part, z in editions()["zenodo"].items():
            if part in parts:
                out.append(Resource(f"archives/{z['file']}", ZenodoSource(int(z["record"]), z["file"]), part=part,
                                    extract_to="."))
        return out

    def base(self, root: Path) -> Path:
        """Where the DESED files are: ``root``, or the directory ``--from DIR`` indexed."""
        link = Path(root) / FROM_FILE
        if link.is_file():
            return Path(json.loads(link.read_text(encoding="utf-8"))["from"])
        return Path(root)

    def prepare(self, root: Path, *, parts: Collection[str] = ("meta",), split: str | None = None,
                **options: Any) -> Any:
        """Fetch ``parts`` (or, with ``from_dir``, index an existing copy); ``video`` fetches the
        YouTube clips' sections (audio + video) through the engine into ``youtube/``.

        Raises:
            InputError: ``from_dir`` is not a DESED copy (no ``metadata/`` with its TSVs).
        """
        self.check_parts(parts)
        root = Path(root)
        from_dir = options.pop("from_dir", None)
        report: dict[str, Any] = {}
        if from_dir is not None:
            report["indexed"] = self.index_copy(root, Path(from_dir))
        files = self.resources(parts=[p for p in parts if p not in ("audio", "video")]) if from_dir is None else []
        from avbench.download import YouTubeClip, fetch_resources

        if files:
            report["files"] = fetch_resources(files, root, **options)
        media = [p for p in ("audio", "video") if p in parts]
        if not media:
            return report
        if not self.is_prepared(root):
            if options.get("dry_run"):
                sys.stdout.write("would fetch the YouTube clips' sections once the metadata is on disk\n")
                from avbench.download.dry_run import note

                note("youtube", "the YouTube clips' sections are listed once the metadata is on disk")
                return report
            raise DataNotFoundError(f"no DESED metadata in {root}: fetch it first (`avbench download desed`) or "
                                    "index a copy (`--from DIR`)")
        base = self.base(root)
        _, meta = _edition_files(base)
        clips: dict[str, YouTubeClip] = {}
        targets: dict[str, Path] = {}  # clip id -> the WAV DESED's script would write
        for sp, rel in meta.items():
            if sp in SYNTHETIC or (split is not None and sp != split):
                continue
            for fname in self._filenames(base, sp, rel):
                parsed = parse_name(fname)
                if parsed is not None:
                    ytid, start, end = parsed
                    clips[fname[:-4]] = YouTubeClip(fname[:-4], ytid, start, end, "av" if "video" in media else "audio")
                    targets.setdefault(fname[:-4], root / _audio_dir(rel) / fname)
        if "audio" in media and base == root:  # a --from copy keeps its own files: sections stay in youtube/
            have = {cid for cid, path in targets.items() if path.is_file()}
            if options.get("dry_run"):
                from avbench.download.dry_run import note

                note("audio_wav", {"already_on_disk": len(have), "to_write": len(targets) - len(have),
                                   "rate": media_wav.RATE, "layout": "audio/<metadata path>/<metadata file name>"})
            clips = {k: v for k, v in clips.items() if k not in have or "video" in media}
        report["youtube"] = fetch_resources(list(clips.values()), root, **options)
        if "audio" in media and base == root and not options.get("dry_run"):
            report["audio_wav"] = self._write_wavs(root, targets)
        return report

    def _write_wavs(self, root: Path, targets: Mapping[str, Path]) -> dict[str, int]:
        """Turn every fetched section with audio into DESED's WAV (:mod:`avbench.recipes.desed.media`);
        a section that cannot be decoded is reported, its WAV not written."""
        from avbench.download.manifest import read_manifest

        rows = read_manifest(root / YOUTUBE_MANIFEST) if (root / YOUTUBE_MANIFEST).is_file() else {}
        out = {"written": 0, "already_on_disk": 0, "not_fetched": 0, "undecodable": 0}
        for cid, dest in targets.items():
            row = rows.get(cid)
            if dest.is_file():
                out["already_on_disk"] += 1
            elif row is None or row.status != "ok" or not row.has_audio:
                out["not_fetched"] += 1
            else:
                try:
                    media_wav.write_wav(root / "youtube" / row.path, dest)
                    out["written"] += 1
                except InputError as exc:
                    out["undecodable"] += 1
                    sys.stderr.write(f"note: {exc}\n")
        for folder in {t.parent for t in targets.values()}:
            folder.mkdir(parents=True, exist_ok=True)  # the split's audio folder exists: a clip without its WAV is missing
        sys.stderr.write(f"avbench: desed audio: {out['written']} WAV written (44.1 kHz), {out['already_on_disk']} "
                         f"already on disk, {out['not_fetched']} not available\n")
        return out

    def index_copy(self, root: Path, src: Path) -> dict[str, Any]:
        """Index an existing DESED copy at ``src``: check its metadata against the editions, count
        its audio, read ``missing_files_*.tsv`` into ``avbench/audio_manifest.tsv`` (one row per real
        clip: ``ok`` with the file's sha256, or the status DESED's error text maps to)."""
        from avbench.download.manifest import ManifestRow, clean_reason, utc_now, write_manifest
        from avbench.download.youtube import classify_error

        src = src.expanduser().absolute()
        if not (src / "metadata").is_dir():
            raise InputError(f"--from {src}: no metadata/ folder; point at the DESED root that holds metadata/ and audio/")
        edition, meta = _edition_files(src)
        if not meta:
            raise InputError(f"--from {src}: none of DESED's metadata TSVs (metadata/validation/validation.tsv, ...) is there")
        missing: dict[str, str] = {}
        for f in sorted(src.rglob("missing_files_*.tsv")):
            for cells in _tsv(f, ("filename", "error")) if f.read_text(encoding="utf-8").startswith("filename\terror") \
                    else [[line.split("\t")[0], " ".join(line.split("\t")[1:])] for line in
                          f.read_text(encoding="utf-8").splitlines() if line.strip()]:
                missing[Path(cells[0]).name] = cells[1] if len(cells) > 1 else ""
        rows, counts = [], {}
        for sp, rel in meta.items():
            folder = src / _audio_dir(rel)
            names = self._filenames(src, sp, rel)
            have = 0
            for fname in names:
                parsed = parse_name(fname)
                p = folder / fname
                if p.is_file():
                    have += 1
                if parsed is None:
                    continue
                ytid, start, end = parsed
                if p.is_file():
                    rows.append(ManifestRow(fname[:-4], ytid, start, end, "audio", "ok", date=utc_now(),
                                            path=str(p.relative_to(src)), sha256=_sha256(p), size=p.stat().st_size,
                                            has_audio=True))
                elif fname in missing:
                    status = classify_error(missing[fname])
                    rows.append(ManifestRow(fname[:-4], ytid, start, end, "audio", status,
                                            reason=clean_reason(missing[fname] or "listed in missing_files"),
                                            date=utc_now()))
            counts[sp] = {"clips": len(names), "audio_files": have}
        root.mkdir(parents=True, exist_ok=True)
        write_manifest(root / AUDIO_MANIFEST, rows)
        write_json(root / FROM_FILE, {"from": str(src), "edition": edition, "splits": counts})
        return {"from": str(src), "edition": edition, "splits": counts, "missing_listed": len(missing)}

    def _filenames(self, base: Path, split: str, rel: str) -> list[str]:
        if split == "unlabel_in_domain":
            return [c[0] for c in _tsv(base / rel, ("filename",))]
        if split == "weak":
            return [c[0] for c in _tsv(base / rel, ("filename", "event_labels"))]
        return list(dict.fromkeys(c[0] for c in _tsv(base / rel, ("filename", "onset", "offset", "event_label"))))

    # -- what is on disk -----------------------------------------------------------------------
    def is_prepared(self, root: Path) -> bool:
        base = self.base(Path(root))
        return (base / "metadata").is_dir() and bool(_edition_files(base)[1])

    def splits(self, root: Path | None = None) -> SplitManifest:
        if root is None:
            raise DataNotFoundError("the DESED splits are read from its metadata: `avbench download desed` "
                                    "(or `--from DIR` for an existing copy)")
        base = self.base(Path(root))
        _, meta = _edition_files(base)
        return SplitManifest(self.name, self.version,
                             {sp: tuple(clip_id(sp, f) for f in self._filenames(base, sp, rel)) for sp, rel in meta.items()})

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Clips per split: counted from the metadata under ``root`` when it is there, else the
        released counts of the default edition (``2021``) in the packaged index
        (``index/editions.json``, ``counts``: distinct file names, as :meth:`splits` counts them).

        Example:
            >>> RECIPE.split_sizes(None)["validation"]
            1168
        """
        if root is not None and self.is_prepared(Path(root)):
            return super().split_sizes(root)
        counts = editions()["editions"]["2021"]["counts"]
        return {k: int(v) for k, v in counts.items() if v is not None}

    def split_sizes_note(self, root: Path | None = None) -> str | None:
        if root is not None and self.is_prepared(Path(root)):
            return None
        return ("released counts of the 2021-2023 metadata; the edition on disk is counted once it is there "
                "(`avbench download desed` or `--from DIR`)")

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        root = Path(root)
        self.require(root)
        base = self.base(root)
        edition, meta = _edition_files(base)
        if split is not None and split not in meta:
            raise InputError(f"desed has no split {split!r} on disk; its splits: {', '.join(meta)}")
        avail = _Availability(root, base)
        out: dict[str, Clip] = {}
        for sp in ([split] if split else list(meta)):
            rel = meta[sp]
            durations = _durations(base, sp, edition)
            events: dict[str, list[Event]] = {}
            weak: dict[str, tuple[str, ...]] = {}
            if sp == "weak":
                for fname, labs in _tsv(base / rel, ("filename", "event_labels")):
                    weak[fname] = tuple(x for x in labs.split(",") if x)
            elif sp != "unlabel_in_domain":
                for fname, on, off, lab in _tsv(base / rel, ("filename", "onset", "offset", "event_label")):
                    if on == off == lab == "":
                        continue  # DESED's way of listing a clip without any event
                    if lab not in CLASSES:
                        raise InputError(f"{base / rel}: {fname}: unknown class {lab!r}; DESED has {', '.join(CLASSES)}")
                    events.setdefault(fname, []).append(Event(float(on), float(off), lab))
            for fname in self._filenames(base, sp, rel):
                parsed = parse_name(fname)
                dur = durations.get(fname) or ((parsed[2] - parsed[1]) if parsed else 10.0)
                evs = tuple(Event(e.onset, min(e.offset, dur), e.label) for e in events.get(fname, ())
                            if e.onset < min(e.offset, dur))
                audio, has_audio, video, has_video = avail.of(sp, rel, fname)
                labels = weak.get(fname) or tuple(dict.fromkeys(e.label for e in evs))
                cid = clip_id(sp, fname)
                out[cid] = Clip(cid, dur, audio=audio, video=video, events=evs, clip_labels=labels,
                                       has_audio=has_audio, has_video=has_video,
                                       meta={"split": sp, "filename": fname, "edition": edition,
                                             "youtube_id": parsed[0] if parsed else None,
                                             "synthetic": sp in SYNTHETIC})
        return out

    def info(self, root: Path | None = None) -> dict[str, Any]:
        out = super().info(root)
        if root is not None and self.is_prepared(Path(root)):
            out["edition"] = _edition_files(self.base(Path(root)))[0]
            out["availability"] = availability_report(self.load(Path(root)).values())
        return out

    def tasks(self) -> list[Task]:
        # Scored by default with the tools of the DCASE 2023 Task 4 recipe (profile dcase2023: PSDS from score
        # tables with sed_scores_eval, from detections with psds_eval, event/segment F1 with sed_eval), so the
        # numbers compare with the published DESED validation tables; avbench's own values are shown beside.
        p = "dcase2023"
        metrics = (MetricRef("psds1", profile=p), MetricRef("psds2", profile=p),
                   MetricRef("event_f1", {"collar": 0.2, "percentage_of_length": 0.2}, p),
                   MetricRef("intersection_f1", {"dtc": 0.5, "gtc": 0.5, "cttc": 0.3}, p),
                   MetricRef("segment_f1", {"time_resolution": 1.0}, p))
        return [Task("desed-sed", self.name, TaskKind.EVENT_DETECTION, CLASSES, metrics, split="validation",
                     description="DCASE Task 4 sound event detection on the DESED validation (dev-test) clips with the "
                     "official settings: PSDS1 (dtc=gtc=0.7, alpha_st=1), PSDS2 (dtc=gtc=0.1, cttc=0.3, alpha_ct=0.5, "
                     "alpha_st=1), e_max 100/h; event-based F1 (0.2 s collar, 20 % offset), intersection F1 "
                     "(dtc=gtc=0.5, cttc=0.3), segment F1 (1 s). Reported on all clips and on clips with and without "
                     "video (checked clips only). Scored with profile dcase2023 (the tools of the DCASE 2023 Task 4 "
                     "recipe, as the published tables were), avbench's own values beside them where they differ.")]

    def make_toy(self, root: Path) -> None:
        """A tiny DESED in the DESED_task layout (see :func:`write_toy`)."""
        write_toy(Path(root))


def _audio_dir(rel: str) -> str:
    return "audio/" + rel[len("metadata/"):-len(".tsv")]


def _durations(base: Path, split: str, edition: str) -> dict[str, float]:
    ed = editions()["editions"].get(edition) or editions()["editions"]["2021"]
    rel = ed.get("durations", {}).get(split)
    if not rel or not (base / rel).is_file():
        return {}
    try:
        return {f: float(d) for f, d in _tsv(base / rel, ("filename", "duration"))}
    except ValueError:
        raise InputError(f"{base / rel}: a duration is not a number") from None


class _Availability:
    """Three-state audio and video per clip (see the module docstring)."""

    def __init__(self, root: Path, base: Path) -> None:
        from avbench.download.manifest import read_manifest

        self.root, self.base = root, base
        self.audio_rows = read_manifest(root / AUDIO_MANIFEST) if (root / AUDIO_MANIFEST).is_file() else {}
        self.youtube = read_manifest(root / YOUTUBE_MANIFEST) if (root / YOUTUBE_MANIFEST).is_file() else {}
        from avbench.download.youtube import classify_error

        self.missing: dict[str, str] = {}  # file name -> manifest status of DESED's recorded error
        for f in base.rglob("missing_files_*.tsv") if base.is_dir() else ():
            for line in f.read_text(encoding="utf-8").splitlines()[1:]:
                name, _, err = line.partition("\t")
                if name.strip():
                    self.missing[Path(name).name] = classify_error(err)

    def of(self, split: str, rel: str, fname: str) -> tuple[str | None, bool | None, str | None, bool | None]:
        folder = _audio_dir(rel)
        cid = clip_id(split, fname)
        path = self.base / folder / fname
        audio: str | None = None
        has_audio: bool | None = None
        if path.is_file():
            audio, has_audio = (f"{folder}/{fname}" if self.base == self.root else str(path)), True
        else:
            row = self.audio_rows.get(cid)
            if row is not None:
                has_audio = False if row.permanent or row.status == "ok" else None
            elif fname in self.missing:
                has_audio = None if self.missing[fname] == "error" else False  # a rate limit decides nothing
            elif (self.base / folder).is_dir():
                y_row = self.youtube.get(cid)
                # the split's audio is there without this clip: missing, unless its last fetch failed
                # for a reason that decides nothing (a rate limit, a network error)
                has_audio = None if y_row is not None and y_row.status == "error" else False
        video: str | None = None
        has_video: bool | None = None
        if split in SYNTHETIC:
            return audio, has_audio, None, False  # soundscapes never had video
        y = self.youtube.get(cid)
        if y is not None:
            rel_v = f"youtube/{y.path}"
            if y.status == "ok" and y.mode == "av":
                has_video = y.has_video and (self.root / rel_v).is_file()
                video = rel_v if has_video else None
                if has_audio is not True and y.has_audio and (self.root / rel_v).is_file():
                    audio, has_audio = rel_v, True
            elif y.status == "ok" and has_audio is not True and (self.root / rel_v).is_file():
                audio, has_audio = rel_v, True
            elif y.permanent:
                has_video = False
        return audio, has_audio, video, has_video


def availability_report(clips: Any) -> dict[str, dict[str, int]]:
    """Per split: clips, with audio / video available, missing, unknown (the paper's 15.5 % figure
    is ``video_missing / clips`` over the YouTube splits).

    Example:
        >>> availability_report([Clip("a", 1.0, has_video=None, meta={"split": "weak"})])["weak"]["video_unknown"]
        1
    """
    out: dict[str, dict[str, int]] = {}
    for c in clips:
        d = out.setdefault(str(c.meta.get("split")), dict.fromkeys(
            ("clips", "audio_available", "audio_missing", "audio_unknown", "video_available", "video_missing",
             "video_unknown"), 0))
        d["clips"] += 1
        d[f"audio_{c.audio_state.value}"] += 1
        d[f"video_{c.video_state.value}"] += 1
    return out


# -- the toy fixture ---------------------------------------------------------------------------
TOY_VALIDATION = [
    ("Y00pbt6aJV8Y_350.000_360.000.wav", 0.0, 9.971, "Vacuum_cleaner"),
    ("Y00pK0GMmE9s_70.000_80.000.wav", 0.0, 10.0, "Vacuum_cleaner"),
    ("Y00pK0GMmE9s_70.000_80.000.wav", 2.5, 3.25, "Speech"),
    ("Y01TVBl2a8lQ_30.000_40.000.wav", 1.0, 4.0, "Dog"),
]
TOY_WEAK = [("YKK227gPpRn4_30.000_40.000.wav", "Alarm_bell_ringing,Speech"), ("Y-6p32k2WUCs_0.000_10.000.wav", "Cat")]
TOY_SYNTH = [("0.wav", 4.151, 4.41, "Speech"), ("0.wav", 4.19, 5.888, "Dog"), ("1.wav", 0.5, 2.0, "Blender")]


def write_toy(root: Path) -> None:
    """Validation (3 clips: audio+video, audio without video (removed), audio missing per
    ``missing_files_validation.tsv``), weak (2, audio folder absent: unknown), synthetic (2 soundscapes)."""
    import numpy as np
    import soundfile as sf

    from avbench.download.manifest import ManifestRow, write_manifest

    def tsv(rel: str, header: str, rows: list[tuple[Any, ...]]) -> None:
        body = "".join("\t".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in r) + "\n" for r in rows)
        atomic_write_text(root / rel, header + "\n" + body)

    ev = "filename\tonset\toffset\tevent_label"
    tsv("metadata/validation/validation.tsv", ev, TOY_VALIDATION)
    tsv("metadata/validation/validation_durations.tsv", "filename\tduration",
        [(f, 10.0) for f in dict.fromkeys(r[0] for r in TOY_VALIDATION)])
    tsv("metadata/train/weak.tsv", "filename\tevent_labels", TOY_WEAK)
    tsv("metadata/train/synthetic21_train/soundscapes.tsv", ev, TOY_SYNTH)
    tone = (0.05 * np.sin(2 * np.pi * 440 * np.arange(4410) / 44100)).astype(np.float32)
    for rel in ("audio/validation/validation/Y00pbt6aJV8Y_350.000_360.000.wav",
                "audio/validation/validation/Y00pK0GMmE9s_70.000_80.000.wav",
                "audio/train/synthetic21_train/soundscapes/0.wav", "audio/train/synthetic21_train/soundscapes/1.wav"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, tone, 44100, subtype="PCM_16")
    atomic_write_text(root / "missing_files_validation.tsv",
                      "filename\terror\nY01TVBl2a8lQ_30.000_40.000.wav\tERROR: Video unavailable\n")
    (root / "youtube").mkdir(exist_ok=True)
    vid = root / "youtube" / "Y00pbt6aJV8Y_350.000_360.000.mp4"
    vid.write_bytes(b"toy video bytes (not decoded by the loader)")
    write_manifest(root / YOUTUBE_MANIFEST, [
        ManifestRow("Y00pbt6aJV8Y_350.000_360.000", "00pbt6aJV8Y", 350.0, 360.0, "av", "ok", path=vid.name,
                    sha256=_sha256(vid), size=vid.stat().st_size, duration=10.0, has_audio=True, has_video=True),
        ManifestRow("Y00pK0GMmE9s_70.000_80.000", "00pK0GMmE9s", 70.0, 80.0, "av", "removed", reason="Video removed"),
    ])


RECIPE = DesedRecipe()
